"""Integrations with other tools; each module needs its own extra (``sseproto[locust]``)."""
