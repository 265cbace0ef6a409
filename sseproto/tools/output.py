"""How the CLI prints decoded events, and how a decoded stream turns into an exit code.

``parse --json`` writes one JSON object per line, the form the client
conformance suite reads from any client under test:

- chat events: ``{"type": "delta"|"final"|"done"|"error", ...}``;
- raw SSE events (``--sse``): ``{"type": "event", "event", "data", "id"}``.

Decoded text goes to stdout; notices and failures go to stderr, one line
each, so a pipe receives only the stream's content.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import IO, Any

import orjson

from .._events import ChatEvent, Delta, Done, Final, ServerSentEvent, StreamError

__all__ = ["ChatOutcome", "chat_event_json", "notice", "print_chat", "print_sse", "sse_json"]


def notice(message: str) -> None:
    """One line on stderr, prefixed like every CLI message."""
    print(f"sseproto: {message}", file=sys.stderr)


def sse_json(event: ServerSentEvent) -> dict[str, Any]:
    """The JSON form of a raw SSE event (``parse --sse --json``)."""
    return {"type": "event", "event": event.event, "data": event.data, "id": event.id}


def chat_event_json(event: ChatEvent) -> dict[str, Any]:
    """The JSON form of a chat event used by ``parse --json`` and ``replay --json``.

    ``reasoning`` and ``refusal`` appear only when the stream carried them,
    so the common form stays the one any client can print.
    """
    if isinstance(event, Delta):
        out: dict[str, Any] = {"type": "delta", "index": event.index, "content": event.content,
                               "tool_calls": event.tool_calls}
    elif isinstance(event, Final):
        out = {"type": "final", "index": event.index, "generated_text": event.generated_text,
               "finish_reason": event.finish_reason, "usage": event.usage,
               "tool_calls": event.tool_calls}
    elif isinstance(event, StreamError):
        return {"type": "error", "message": event.message, "error_type": event.type,
                "code": event.code}
    else:
        return {"type": "done"}
    for name in ("reasoning", "refusal"):
        if getattr(event, name) is not None:
            out[name] = getattr(event, name)
    return out


class ChatOutcome:
    """What a printed chat stream amounted to: its exit code and the reason for a failure."""

    def __init__(self) -> None:
        self.events = 0
        self.done = False
        self.errors: list[StreamError] = []

    def see(self, event: ChatEvent) -> None:
        self.events += 1
        if isinstance(event, Done):
            self.done = True
        elif isinstance(event, StreamError):
            self.errors.append(event)

    def failure(self) -> str | None:
        """Why the stream failed (exit 1), or ``None`` when it ended normally."""
        if self.errors:
            error = self.errors[0]
            return f"the stream reported an error ({error.type}): {error.message}"
        if not self.events:
            return "no events at all: the input holds no chat stream"
        if not self.done:
            return "the stream ended before its end marker: it was cut short"
        return None


def print_sse(events: Iterable[ServerSentEvent], as_json: bool, out: IO[str]) -> int:
    """Print raw SSE events; return how many there were."""
    count = 0
    for event in events:
        count += 1
        if as_json:
            out.write(orjson.dumps(sse_json(event)).decode() + "\n")
        else:
            out.write(f"[{event.event}] {event.data}\n")
    out.flush()
    return count


def print_chat(events: Iterable[ChatEvent], as_json: bool, out: IO[str]) -> ChatOutcome:
    """Print chat events as they arrive; the text view ends its line even on an error."""
    outcome = ChatOutcome()
    printer: _JsonPrinter | _TextPrinter = _JsonPrinter(out) if as_json else _TextPrinter(out)
    try:
        for event in events:
            outcome.see(event)
            printer.show(event)
    finally:
        printer.end()
    return outcome


class _JsonPrinter:
    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def show(self, event: ChatEvent) -> None:
        self.out.write(orjson.dumps(chat_event_json(event)).decode() + "\n")

    def end(self) -> None:
        self.out.flush()


class _TextPrinter:
    """Streams choice 0's text; tool calls follow it, notices go to stderr."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.streamed: list[str] = []
        self.server_text: str | None = None
        self.tool_calls: list[dict[str, Any]] = []

    def show(self, event: ChatEvent) -> None:
        if isinstance(event, Delta) and event.index == 0 and event.content:
            self.streamed.append(event.content)
            self.out.write(event.content)
            self.out.flush()
        elif isinstance(event, Final) and event.index == 0:
            if event.generated_text != "".join(self.streamed):
                self.server_text = event.generated_text
            self.tool_calls = event.tool_calls or []

    def end(self) -> None:
        if self.streamed:
            self.out.write("\n")
        if self.server_text is not None:
            # Prediction Guard-style streams send the whole text on the last chunk:
            # it is the stream's content too, so it goes to stdout after the deltas.
            self.out.write(self.server_text + "\n")
        for call in self.tool_calls:
            function = call.get("function") or {}
            self.out.write(f"--- tool call {call.get('id')}: {function.get('name')}"
                           f"({function.get('arguments')})\n")
        self.out.flush()
        if self.server_text is not None:
            notice("notice: the server's generated_text differs from the joined deltas;"
                   " it was printed after them (--json shows both)")
