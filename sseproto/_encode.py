"""The encoder: conforming SSE bytes for a :class:`ServerSentEvent`.

``SSEDecoder().feed(encode(ev))`` gives back ``ev`` for every event that SSE
can carry.  Values SSE cannot carry raise :class:`LocalProtocolError` rather
than being silently altered: a CR or LF in the type or id, U+0000 in the id
(a decoder ignores such an id), and a CR in the data (it would come back as
LF).
"""

from __future__ import annotations

from ._errors import LocalProtocolError
from ._events import ServerSentEvent
from ._sse import format_digits

__all__ = ["encode", "encode_comment"]


def encode(event: ServerSentEvent) -> bytes:
    """Return the UTF-8 bytes of one SSE block, ending with its empty line.

    >>> encode(ServerSentEvent(event="delta", data="a\\nb", id="7"))
    b'event: delta\\nid: 7\\ndata: a\\ndata: b\\n\\n'
    """
    parts: list[str] = []
    if event.event and event.event != "message":
        _check_single_line("event type", event.event)
        parts.append(f"event: {event.event}\n")
    if event.id is not None:
        _check_single_line("id", event.id)
        if "\x00" in event.id:
            raise LocalProtocolError("an SSE id cannot contain U+0000: decoders ignore it")
        parts.append(f"id: {event.id}\n" if event.id else "id\n")
    if event.retry is not None:
        if event.retry < 0:
            raise LocalProtocolError(f"retry must be a non-negative integer, not {event.retry}")
        parts.append(f"retry: {format_digits(event.retry)}\n")
    if "\r" in event.data:
        raise LocalProtocolError("SSE data cannot carry CR: a decoder reads it as a line break")
    for line in event.data.split("\n"):
        parts.append(f"data: {line}\n" if line else "data\n")
    parts.append("\n")
    try:
        return "".join(parts).encode()
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"an SSE event must be valid Unicode text: {exc}") from None


def encode_comment(text: str = "") -> bytes:
    """Return a comment line (``: text``), e.g. a keep-alive.  Decoders ignore it."""
    _check_single_line("comment", text)
    return f": {text}\n".encode() if text else b":\n"


def _check_single_line(what: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise LocalProtocolError(f"an SSE {what} cannot contain CR or LF: {value!r}")
