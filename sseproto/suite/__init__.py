"""The client conformance suite: every scenario served to any client, and a report.

Like Autobahn for WebSocket or h2spec for HTTP/2: each scenario is a stream
from the spec vectors or a real capture, delivered in some way (whole, one
byte per write, cut inside every UTF-8 sequence and CRLF, coalesced with the
response head) or with a fault (cut, reset, stall, delay, gzip, an error
status, a wrong Content-Type), with its expected outcome in the
``sseproto parse --json`` form.

- :func:`select` lists scenarios (by glob on their ids);
- :class:`SuiteServer` serves each at ``/suite/<id>`` and the list at
  ``/suite/index.json``;
- :func:`run` runs a command per scenario and compares what it printed;
  :mod:`sseproto.suite.report` renders the result as text, JSON or HTML.
"""

from __future__ import annotations

from ._compare import Difference, compare, parse_output
from ._runner import Result, SuiteServer, run
from ._scenarios import DELIVERIES, Scenario, load_scenarios, select

__all__ = ["DELIVERIES", "Difference", "Result", "Scenario", "SuiteServer", "compare",
           "load_scenarios", "parse_output", "run", "select"]
