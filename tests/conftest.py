"""Shared fixtures."""

from __future__ import annotations

import pytest

from tests.servers import TLSContexts, make_tls_contexts


@pytest.fixture(scope="session")
def tls_contexts() -> TLSContexts:
    """Throw-away CAs (trustme): server/client SSL contexts, and an untrusted pair."""
    return make_tls_contexts()
