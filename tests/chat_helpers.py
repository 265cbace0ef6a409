"""Helpers for chat-decoder tests: run a stream and summarise the outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sseproto import ChatStreamDecoder, Delta, Done, Final, ProtocolError, StreamError


def decode_chat(pieces: Sequence[bytes], **kwargs: Any) -> tuple[list[Any], ChatStreamDecoder]:
    chat = ChatStreamDecoder(**kwargs)
    events: list[Any] = []
    for piece in pieces:
        events.extend(chat.feed(piece))
    events.extend(chat.close())
    return events, chat


def delta_text(events: Sequence[Any], index: int = 0) -> str:
    return "".join(e.content or "" for e in events if isinstance(e, Delta) and e.index == index)


def outcome(pieces: Sequence[bytes], **kwargs: Any) -> Any:
    """A comparable summary: events (minus chunks), done flag, repairs; or the error."""
    try:
        events, chat = decode_chat(pieces, **kwargs)
    except ProtocolError as exc:
        return ("error", type(exc).__name__, exc.offset)
    summary: list[Any] = []
    for ev in events:
        if isinstance(ev, Delta):
            summary.append(("delta", ev.index, ev.content, ev.tool_calls))
        elif isinstance(ev, Final):
            summary.append(("final", ev.index, ev.generated_text, ev.finish_reason, ev.usage))
        elif isinstance(ev, Done):
            summary.append(("done",))
        elif isinstance(ev, StreamError):
            summary.append(("error", ev.message, ev.type, ev.code))
    return summary, chat.done, dict(chat.repairs)
