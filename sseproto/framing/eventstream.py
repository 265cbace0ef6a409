"""The ``"eventstream"`` framing: AWS event-stream messages to the chat decoder's frames.

AWS Bedrock answers ``ConverseStream`` and ``InvokeModelWithResponseStream``
with ``application/vnd.amazon.eventstream``, a binary framing read by
:class:`EventStreamFramer` (in :mod:`sseproto.framing._eventstream_codec`:
prelude, typed headers, payload, both CRC32s).  :class:`EventStreamFraming`
turns its messages into ``(event, value)`` frames, the ``:event-type`` and
the parsed JSON payload, and exception messages into
:class:`~sseproto.StreamError` frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from .._errors import RemoteProtocolError, short_repr, snippet
from .._events import StreamError
from .._limits import Limits
from ._base import Frame, Repairs, check_on_malformed
from ._eventstream_codec import (
    CONTENT_TYPE,
    EventStreamFramer,
    EventStreamMessage,
    HeaderType,
    HeaderValue,
    encode_message,
)

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError

__all__ = [
    "CONTENT_TYPE",
    "EventStreamFramer",
    "EventStreamFraming",
    "EventStreamMessage",
    "HeaderType",
    "HeaderValue",
    "encode_message",
]


class EventStreamFraming:
    """The ``eventstream`` framing of the chat decoder: messages to ``(event, value)`` frames.

    An ``event`` message gives ``(":event-type", parsed JSON payload)`` (an
    empty payload is ``{}``); an ``exception`` or ``error`` message gives
    ``("error", StreamError)``, typed by ``:exception-type`` or
    ``:error-code``.  A payload that is not JSON raises
    :class:`~sseproto.RemoteProtocolError` naming the message's offset, or
    with ``on_malformed="skip"`` is skipped and counted
    (``skipped_malformed``).  Frames are made lazily, so nothing after the
    end of the stream is parsed.
    """

    __slots__ = ("_counts", "_framer", "on_malformed")

    def __init__(self, limits: Limits, on_malformed: str = "raise") -> None:
        check_on_malformed(on_malformed)
        self._framer = EventStreamFramer(max_event_size=limits.max_event_size)
        self._counts = Repairs()
        self.on_malformed = on_malformed

    @property
    def repairs(self) -> Repairs:
        return Repairs(self._counts)

    def count(self, key: str) -> None:
        self._counts.add(key)

    def feed(self, data: bytes) -> Iterable[Frame]:
        messages = self._framer.feed(data)
        return self._frames(messages) if messages else ()

    def close(self) -> Iterable[Frame]:
        self._framer.close()
        return ()

    def _frames(self, messages: list[EventStreamMessage]) -> Iterator[Frame]:
        for message in messages:
            kind = message.message_type
            if kind == "exception" or kind == "error":
                yield "error", _exception(message, kind)
                continue
            try:
                value = _loads(message.payload) if message.payload else {}
            except _JSONError:
                if self.on_malformed == "skip":
                    self._counts.add("skipped_malformed")
                    continue
                raise _not_json(message) from None
            yield message.event_type or "", value


def _exception(message: EventStreamMessage, kind: str) -> StreamError:
    headers = message.headers
    try:
        payload: Any = _loads(message.payload) if message.payload else None
    except _JSONError:
        payload = message.payload.decode("utf-8", "replace")
    if kind == "error":
        name, text = headers.get(":error-code"), headers.get(":error-message")
    else:
        name = headers.get(":exception-type")
        text = payload.get("message") if isinstance(payload, dict) else payload
        text = text or payload
    return StreamError(message=text if isinstance(text, str) else short_repr(text),
                       type=name if isinstance(name, str) and name else kind,
                       code=None, payload=payload)


def _not_json(message: EventStreamMessage) -> RemoteProtocolError:
    text = message.payload.decode("utf-8", "replace")
    return RemoteProtocolError(
        f"the payload of the event-stream message at byte {message.offset}"
        f" ({message.event_type or 'no :event-type'}) is not JSON: {snippet(text)};"
        ' pass on_malformed="skip" to skip such messages', offset=message.offset)
