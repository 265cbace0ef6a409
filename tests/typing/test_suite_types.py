"""The static types of the conformance suite and the test helpers (``mypy --strict``)."""

from __future__ import annotations

from typing import Any, assert_type

from sseproto.server import ReceivedRequest
from sseproto.suite import Difference, Result, Scenario, SuiteServer, compare, run, select
from sseproto.testing import ServedStream, serve


def in_process(url: str, kind: str) -> tuple[bytes, int]:
    return b'{"type": "done"}\n', 0


def test_suite_types() -> None:
    scenarios = select(["fault/status-429"])
    assert_type(scenarios, list[Scenario])
    scenario = scenarios[0]
    assert_type(scenario.expected, tuple[dict[str, Any], ...])
    assert_type(scenario.ok, bool | None)
    assert_type(scenario.compare([{"type": "done"}], ok=False), Difference | None)
    assert_type(compare([], None, [], 0), Difference | None)
    results = run(in_process, scenarios, jobs=1)
    assert_type(results, list[Result])
    assert not results[0].passed  # a 429 printed as a finished stream
    with SuiteServer(scenarios) as server:
        assert_type(server.url_for(scenario), str)


def test_serve_types() -> None:
    with serve([b"data: [DONE]\n\n"], faults=["bytewise"]) as served:
        assert_type(served, ServedStream)
        assert_type(served.url, str)
        assert_type(served.requests, list[ReceivedRequest])
