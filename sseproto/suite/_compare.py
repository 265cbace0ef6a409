"""Comparing what a client printed with a scenario's expected outcome.

The client prints one JSON object per line (the ``sseproto parse --json``
form).  Lines whose ``type`` is not an event type (``delta``, ``final``,
``done``, ``error``, ``event``) are ignored, so a client may print
diagnostics of its own; an expected event matches a received one when every
field the expectation names is equal (extra fields are ignored).  Last, the
exit status: 0 when the scenario says the stream succeeded, anything else
when it says the stream failed (a stream that ends before its end marker
has failed, even after a finish reason; a raw SSE stream without events is
not graded on the exit status).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["EVENT_TYPES", "Difference", "compare", "parse_output"]

EVENT_TYPES = frozenset({"delta", "final", "done", "error", "event"})


@dataclass(frozen=True)
class Difference:
    """The first way the received outcome differs from the expected one.

    ``index`` is the position in the event lists where they part (``None``
    when the events agree and only the outcome differs).
    """

    message: str
    index: int | None = None

    def __str__(self) -> str:
        return self.message


class OutputError(ValueError):
    """A line of the client's output that is not a JSON object with a ``type``."""


def parse_output(stdout: bytes) -> list[dict[str, Any]]:
    """The events in a client's output, in order; :class:`OutputError` for a bad line."""
    events: list[dict[str, Any]] = []
    for number, line in enumerate(stdout.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise OutputError(f"output line {number} is not JSON: {_short(line)}") from None
        if not isinstance(value, dict) or not isinstance(value.get("type"), str):
            raise OutputError(f"output line {number} is not an object with a \"type\":"
                              f" {_short(line)}")
        if value["type"] in EVENT_TYPES:
            events.append(value)
    return events


def _short(line: bytes) -> str:
    text = line.decode("utf-8", "replace")
    return text if len(text) <= 80 else text[:77] + "..."


def _matches(expected: dict[str, Any], received: dict[str, Any]) -> bool:
    return all(key in received and received[key] == value for key, value in expected.items())


def _show(event: dict[str, Any]) -> str:
    text = orjson.dumps(event).decode()
    return text if len(text) <= 160 else text[:157] + "..."


def compare(expected: Sequence[dict[str, Any]], ok: bool | None,
            received: Sequence[dict[str, Any]], exit_code: int) -> Difference | None:
    """The first difference between the expected outcome and the received one, or ``None``.

    ``ok`` is whether the stream succeeded (the client must exit 0) or failed
    (it must not); ``None`` leaves the exit status ungraded.
    """
    for index, want in enumerate(expected):
        if index >= len(received):
            return Difference(f"event {index + 1}: expected {_show(want)}, received nothing"
                              f" more ({len(received)} events)", index)
        if not _matches(want, received[index]):
            return Difference(f"event {index + 1}: expected {_show(want)}, received"
                              f" {_show(received[index])}", index)
    if len(received) > len(expected):
        return Difference(f"event {len(expected) + 1}: expected no more events, received"
                          f" {_show(received[len(expected)])}", len(expected))
    if ok is True and exit_code != 0:
        return Difference(f"the events match, but the client failed (exit status {exit_code})"
                          " on a stream that ends normally")
    if ok is False and exit_code == 0:
        return Difference("the events match, but the client reported success (exit status 0)"
                          " on a stream that failed")
    return None
