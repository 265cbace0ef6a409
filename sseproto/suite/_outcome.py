"""A scenario's expected outcome in the ``parse --json`` event form, from sseproto's decoder."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._chat import ChatStreamDecoder
from .._errors import ProtocolError
from .._events import ChatEvent, Delta, Done, Final, StreamError

__all__ = ["chat_event_outcome", "decode_outcome"]


def chat_event_outcome(event: ChatEvent) -> dict[str, Any]:
    """The fields of ``event`` a client under test must print (``parse --json`` form)."""
    if isinstance(event, Delta | Final):
        fields: dict[str, Any] = (
            {"type": "delta", "index": event.index, "content": event.content}
            if isinstance(event, Delta) else
            {"type": "final", "index": event.index, "generated_text": event.generated_text,
             "finish_reason": event.finish_reason, "usage": event.usage})
        # reasoning and refusal only when the stream carried them, as parse --json prints
        for name in ("reasoning", "refusal"):
            if getattr(event, name) is not None:
                fields[name] = getattr(event, name)
        return fields
    if isinstance(event, StreamError):
        return {"type": "error", "message": event.message}
    assert isinstance(event, Done)
    return {"type": "done"}


def decode_outcome(chunks: Iterable[bytes], *, close: bool = True,
                   dialect: str = "auto") -> tuple[list[dict[str, Any]], bool]:
    """What sseproto makes of ``chunks``, fed a byte at a time: (events, stream ok).

    The stream is ok when it reached its end marker (``Done``); one that
    ends without it was cut short, even after a finish reason.
    """
    chat = ChatStreamDecoder(dialect)
    events: list[ChatEvent] = []
    try:
        for chunk in chunks:
            for index in range(len(chunk)):
                events.extend(chat.feed(chunk[index : index + 1]))
        if not close:
            return [chat_event_outcome(event) for event in events], False
        events.extend(chat.close())
    except ProtocolError:
        return [chat_event_outcome(event) for event in events], False
    finished = bool(events) and isinstance(events[-1], Done)  # the end marker, no error
    return [chat_event_outcome(event) for event in events], finished
