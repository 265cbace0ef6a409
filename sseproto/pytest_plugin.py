"""The sseproto pytest plugin: loaded by the ``pytest11`` entry point ``sseproto``.

Nothing to import or configure in the project under test:

- the fixture ``sse_server`` is a factory, ``sse_server(source, faults=(),
  speed=0.0) -> handle``: it serves ``source`` (a transcript path, bytes, a
  list of chunks, or a suite scenario) on 127.0.0.1 until the test ends;
  ``handle.url`` is its base URL and ``handle.requests`` the requests it
  received (``.method``, ``.path``, ``.headers``, ``.body``, ``.json``);
- a test that takes an argument named ``sse_scenario`` runs once per
  scenario of the client conformance suite, or per scenario matching the
  glob patterns of its ``@pytest.mark.sse_suite("chat/*", ...)`` marker.
  ``sse_server(sse_scenario)`` serves one; ``sse_scenario.check(events,
  ok=...)`` asserts the client's events (``parse --json`` dictionaries)
  and whether it reported success.

Loading the plugin imports neither hypothesis nor the suite's data: those
load when a test uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server import Fault
    from .testing.server import ServedStream, Source

__all__ = ["pytest_configure", "pytest_generate_tests", "sse_server"]

MARKER = "sse_suite"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(*patterns): run the test once per sseproto conformance-suite"
        " scenario whose id matches one of the glob patterns; the test takes sse_scenario")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sse_scenario" not in metafunc.fixturenames:
        return
    from .suite import select

    marker = metafunc.definition.get_closest_marker(MARKER)
    scenarios = select(marker.args if marker is not None else ())
    if not scenarios:
        raise pytest.UsageError(f"no sseproto suite scenario matches {marker.args!r}"
                                if marker is not None else "no sseproto suite scenarios")
    metafunc.parametrize("sse_scenario", scenarios, ids=[s.id for s in scenarios])


@pytest.fixture
def sse_server() -> Iterator[Callable[..., ServedStream]]:
    """A factory: ``sse_server(source, faults=(), speed=0.0)`` serves ``source`` for this test."""
    from .testing.server import serve

    started: list[ServedStream] = []

    def start(source: Source, faults: Iterable[str | Fault] = (),
              speed: float = 0.0) -> ServedStream:
        served = serve(source, faults=faults, speed=speed)
        started.append(served)
        return served

    yield start
    for served in started:
        served.close()
