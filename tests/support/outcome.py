"""One outcome function: what a decoder made of a stream, as one comparable value.

An outcome holds every event the decoder *delivered* (also those before an
error: no event may be lost to one), the error it raised, if any, as its class
name and byte offset, and the decoder's state at the end.  The property every
decoder keeps: the outcome does not depend on how the stream was split.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sseproto import ChatStreamDecoder, Delta, Done, Final, ProtocolError, SSEDecoder, StreamError
from sseproto._decoder import State

__all__ = ["chat_outcome", "decode_all", "outcome", "sse_outcome", "summarize"]

ErrorInfo = tuple[str, int | None]


def decode_all(decoder: Any, pieces: Sequence[bytes]) -> tuple[list[Any], ErrorInfo | None]:
    """Feed every piece, then close: the events delivered and the error raised, if any.

    An error that follows events is raised by the call after the one that
    returned them, so a last ``close()`` collects one left pending by the first.
    """
    events: list[Any] = []
    try:
        for piece in pieces:
            events += decoder.feed(piece)
        events += decoder.close()
        if decoder.state is State.FAILED:
            decoder.close()
    except ProtocolError as exc:
        return events, (type(exc).__name__, exc.offset)
    return events, None


def summarize(event: Any) -> tuple[Any, ...]:
    """A chat event as a comparable tuple (the ``chunk`` left out)."""
    if isinstance(event, Delta):
        return ("delta", event.index, event.content, event.reasoning, event.refusal,
                event.tool_calls)
    if isinstance(event, Final):
        return ("final", event.index, event.generated_text, event.reasoning, event.refusal,
                event.finish_reason, event.tool_calls, event.usage)
    if isinstance(event, Done):
        return ("done",)
    if isinstance(event, StreamError):
        return ("error", event.message, event.type, event.code)
    raise TypeError(f"not a chat event: {event!r}")


def chat_outcome(pieces: Sequence[bytes], decoder: ChatStreamDecoder | None = None,
                 **kwargs: Any) -> tuple[Any, ...]:
    """``("chat", events, error, done, repairs, dialect)`` of a ChatStreamDecoder
    (``decoder``, or one made with ``kwargs``)."""
    decoder = decoder or ChatStreamDecoder(**kwargs)
    events, error = decode_all(decoder, pieces)
    return ("chat", [summarize(ev) for ev in events], error, decoder.done,
            dict(decoder.repairs), decoder.dialect)


def sse_outcome(pieces: Sequence[bytes], decoder: SSEDecoder | None = None,
                **kwargs: Any) -> tuple[Any, ...]:
    """``("sse", events, error, last_event_id, retry)`` of an SSEDecoder
    (``decoder``, or one made with ``kwargs``)."""
    decoder = decoder or SSEDecoder(**kwargs)
    events, error = decode_all(decoder, pieces)
    return ("sse", [(e.event, e.data, e.id, e.retry) for e in events], error,
            decoder.last_event_id, decoder.retry)


def outcome(target: str, pieces: Sequence[bytes], **kwargs: Any) -> tuple[Any, ...]:
    """The outcome of the ``"sse"`` or ``"chat"`` decoder (``decoder=`` or ``kwargs``)."""
    if target == "sse":
        return sse_outcome(pieces, **kwargs)
    return chat_outcome(pieces, **kwargs)
