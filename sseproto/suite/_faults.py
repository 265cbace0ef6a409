"""Fault scenarios: real captures cut, reset, stalled, delayed, gzipped; error responses.

Their expected outcome is what the client has received when the fault
strikes: the events of the complete frames before a cut (the frame the cut
falls in is incomplete JSON, so no decoder can make an event of it), then a
failure.  A stall, a delay or gzip must change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from .._chat import ChatStreamDecoder
from ..server import Fault
from ._outcome import decode_outcome
from ._scenarios import Scenario

__all__ = ["fault_scenarios"]

#: The captures the faults are applied to (package samples, always present).
_TARGETS = ("openai-chat", "prediction-guard")
_STALL = 1.5  # seconds: longer than a hasty client waits, well under any sane read timeout
_SETTLE = 0.3  # seconds before a reset, for the client to read what came before it

_RATE_LIMIT = {"error": {"message": "Rate limit reached for gpt-4o-mini on requests per min"
                         " (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
                         "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
_SERVER_ERROR = {"error": {"message": "The server had an error while processing your request."
                           " Sorry about that!", "type": "server_error", "param": None,
                           "code": None}}
_HTML = (b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>"
         b"<p>Please sign in to continue to the gateway.</p></form></body></html>\n")
_COMPLETION = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1732560000,
               "model": "gpt-4o-mini", "choices": [{"index": 0, "finish_reason": "stop",
               "message": {"role": "assistant", "content": "Hello!"}}]}


def _event_ends(body: bytes) -> list[int]:
    """The offsets at which sseproto, fed one byte at a time, completes an event."""
    chat = ChatStreamDecoder()
    return [index + 1 for index in range(len(body)) if chat.feed(body[index : index + 1])]


def _cut_scenarios(base: Scenario) -> Iterator[Scenario]:
    ends = _event_ends(base.body)
    # The third event's end, or an earlier one: before any finish reason, so that no
    # client can take the stream for finished whatever it does at the cut.
    number = next(number for number in range(min(2, len(ends) - 1), -1, -1)
                  if not decode_outcome([base.body[: ends[number]]])[1])
    boundary = ends[number]
    middle = ((ends[number - 1] if number else 0) + boundary) // 2  # inside the frame
    name = base.id.split("/", 1)[1]
    for kind, at, where in (("cut", middle, "in the middle of a frame"),
                            ("cut", boundary, "at an event boundary"),
                            ("reset", middle, "in the middle of a frame")):
        events, _ = decode_outcome([base.body[:at]], close=False)
        label = ("cut-mid-frame" if at == middle else "cut-at-boundary").replace("cut", kind)
        yield _with(base, f"fault/{name}/{label}",
                    f"{name}: {_VERBS[kind]} after {at} body bytes, {where}, before the end"
                    " marker", _fault(kind, at), expected=tuple(events), ok=False)


_VERBS = {"cut": "connection closed", "reset": f"a {_SETTLE} s pause, then a TCP reset"}


def _fault(kind: str, at: int) -> tuple[Fault, ...]:
    """A cut after ``at`` bytes; a reset after a pause there, and one more byte.

    A reset discards what the client has not read yet: the pause lets it
    read the bytes before the reset, which then strikes inside the same frame.
    """
    if kind == "cut":
        return (Fault("cut", at),)
    return Fault("stall", _SETTLE, at), Fault("reset", at + 1)


def _harmless(base: Scenario) -> Iterator[Scenario]:
    name = base.id.split("/", 1)[1]
    middle = _event_ends(base.body)[0] // 2
    yield _with(base, f"fault/{name}/stall",
                f"{name}: a {_STALL} s silence in the middle of a frame, then the rest",
                (Fault("stall", _STALL, middle),))
    yield _with(base, f"fault/{name}/delay", f"{name}: the response head comes after 1 s",
                (Fault("delay", 1.0),))
    yield _with(base, f"fault/{name}/gzip",
                f"{name}: Content-Encoding: gzip, each write flushed as it is produced",
                (Fault("gzip"),))


def _with(base: Scenario, scenario_id: str, description: str, faults: tuple[Fault, ...],
          **changes: Any) -> Scenario:
    return Scenario(id=scenario_id, kind="chat", group="fault", description=description,
                    expected=changes.get("expected", base.expected), ok=changes.get("ok", base.ok),
                    writes=base.writes, headers=base.headers, faults=faults)


def _error_response(scenario_id: str, description: str, status: int, content_type: str,
                    body: bytes, *extra: tuple[str, str]) -> Scenario:
    return Scenario(id=f"fault/{scenario_id}", kind="chat", group="fault",
                    description=description, expected=(), ok=False, writes=(body,),
                    status=status, headers=(("content-type", content_type), *extra))


def _responses() -> Iterator[Scenario]:
    yield _error_response("status-429", "429 Too Many Requests with Retry-After and an OpenAI"
                          " error body: no events, and a failure", 429, "application/json",
                          orjson.dumps(_RATE_LIMIT), ("retry-after", "20"))
    yield _error_response("status-500", "500 with an OpenAI server_error body: no events, and"
                          " a failure", 500, "application/json", orjson.dumps(_SERVER_ERROR))
    yield _error_response("wrong-content-type", "200 with Content-Type text/html (a gateway's"
                          " sign-in page): no events, and a failure", 200, "text/html",
                          _HTML)
    yield _error_response("json-instead-of-stream", "200 application/json: a whole"
                          " chat.completion, the server ignored stream=true: a failure",
                          200, "application/json", orjson.dumps(_COMPLETION))


def fault_scenarios(captures: Mapping[str, Scenario]) -> list[Scenario]:
    """The fault scenarios over the captures named in :data:`_TARGETS`."""
    scenarios: list[Scenario] = []
    for name in _TARGETS:
        if name in captures:
            scenarios += [*_cut_scenarios(captures[name]), *_harmless(captures[name])]
    return [*scenarios, *_responses()]
