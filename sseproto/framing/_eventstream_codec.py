"""The AWS event-stream codec (``application/vnd.amazon.eventstream``): bytes to messages.

AWS Bedrock's ``ConverseStream`` and ``InvokeModelWithResponseStream`` answer
with this binary framing instead of SSE.  Each message is, all integers
unsigned big-endian (the AWS "Event stream encoding" reference, and
botocore's ``eventstream.py``, which this module agrees with byte for byte)::

    prelude   total length (u32) | headers length (u32) | prelude CRC32 (u32)
    headers   repeated: name length (u8) | name (UTF-8) | value type (u8) | value
    payload   total length - headers length - 16 bytes
    trailer   message CRC32 (u32) of everything before it, prelude included

The prelude CRC covers the two lengths; the message CRC covers the prelude,
its CRC, the headers and the payload.  Header value types: 0 true, 1 false
(no value bytes), 2 byte (i8), 3 short (i16), 4 integer (i32), 5 long (i64),
6 byte array and 7 string (each a u16 length and the bytes), 8 timestamp
(i64 milliseconds since the epoch), 9 UUID (16 bytes).

:class:`EventStreamFramer` is sans-IO: :meth:`~EventStreamFramer.feed` takes
reads of any size and returns the messages they complete; the result never
depends on where the reads were cut.  It keeps at most one message's bytes
(bounded by ``max_event_size``, checked as soon as a prelude arrives), and
looks at each byte a fixed number of times, so decoding is linear.  A
corrupt stream (a CRC mismatch, lengths that do not fit, a header of an
unknown type or running past its section, a duplicate header, a name that
is not UTF-8) raises :class:`~sseproto.RemoteProtocolError` naming the byte
offset; a stream cut inside a message raises
:class:`~sseproto.IncompleteStream` at :meth:`~EventStreamFramer.close`.

The chat decoder's ``"eventstream"`` framing on top of it is in
:mod:`sseproto.framing.eventstream`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum

from .._errors import IncompleteStream, LimitExceeded, LocalProtocolError, RemoteProtocolError
from .._limits import DEFAULT_MAX_EVENT_SIZE

__all__ = [
    "CONTENT_TYPE",
    "EventStreamFramer",
    "EventStreamMessage",
    "HeaderType",
    "HeaderValue",
    "encode_message",
]

#: The media type of an AWS event stream.
CONTENT_TYPE = "application/vnd.amazon.eventstream"

#: A decoded header value: booleans, integers (timestamps in ms), byte
#: arrays and UUIDs as ``bytes``, strings as ``str``.
HeaderValue = bool | int | bytes | str

_PRELUDE = struct.Struct("!III")
_U32 = struct.Struct("!I")
_U16 = struct.Struct("!H")
_PRELUDE_SIZE = _PRELUDE.size  # 12
_CRC_SIZE = 4
#: The smallest message: a prelude and a message CRC, no headers, no payload.
_MIN_MESSAGE = _PRELUDE_SIZE + _CRC_SIZE


class HeaderType(IntEnum):
    """The value types of event-stream headers (the byte after the header's name)."""

    BOOL_TRUE = 0
    BOOL_FALSE = 1
    BYTE = 2
    SHORT = 3
    INTEGER = 4
    LONG = 5
    BYTE_ARRAY = 6
    STRING = 7
    TIMESTAMP = 8
    UUID = 9


#: Fixed-size integer types: their struct format.
_INTEGERS = {
    HeaderType.BYTE: struct.Struct("!b"),
    HeaderType.SHORT: struct.Struct("!h"),
    HeaderType.INTEGER: struct.Struct("!i"),
    HeaderType.LONG: struct.Struct("!q"),
    HeaderType.TIMESTAMP: struct.Struct("!q"),
}
_UUID_SIZE = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class EventStreamMessage:
    """One event-stream message: its headers, its payload, and where it started.

    ``offset`` is the byte offset of the message's first byte in the stream.
    """

    headers: dict[str, HeaderValue]
    payload: bytes
    offset: int = 0

    @property
    def message_type(self) -> str | None:
        """``:message-type``: ``event``, ``exception`` or ``error`` (``None`` if absent)."""
        return _maybe_str(self.headers.get(":message-type"))

    @property
    def event_type(self) -> str | None:
        """``:event-type`` (``messageStart``, ``chunk``, ...) of an ``event`` message."""
        return _maybe_str(self.headers.get(":event-type"))


def _maybe_str(value: HeaderValue | None) -> str | None:
    return value if isinstance(value, str) else None


class _State(Enum):
    OPEN = "open"
    CLOSED = "closed"
    ERROR = "error"


class EventStreamFramer:
    """Sans-IO AWS event-stream decoder: ``feed(bytes) -> [EventStreamMessage]``, ``close()``.

    >>> framer = EventStreamFramer()
    >>> wire = encode_message({":event-type": "chunk"}, b'{"bytes": ""}')
    >>> [m.event_type for m in framer.feed(wire[:7]) + framer.feed(wire[7:])]
    ['chunk']
    >>> framer.close()
    []

    When one read completes messages and then hits corrupt bytes, that
    ``feed()`` returns the messages and the error is raised by the next
    ``feed()`` or ``close()``: what is delivered before an error never
    depends on the split.  After an error or ``close()``, calls raise
    :class:`~sseproto.LocalProtocolError`.
    """

    __slots__ = ("_buffer", "_error", "_known_headers", "_offset", "_pending", "_pos", "_state",
                 "_total", "max_event_size")

    def __init__(self, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        if type(max_event_size) is not int or max_event_size < 1:
            raise ValueError(f"max_event_size must be a positive integer, not {max_event_size!r}")
        self.max_event_size = max_event_size
        self._buffer = bytearray()
        self._pos = 0  # where the next message starts in _buffer
        self._offset = 0  # the stream offset of _buffer[_pos]
        self._total: int | None = None  # the next message's length, once its prelude is read
        self._pending: RemoteProtocolError | None = None
        self._error: RemoteProtocolError | None = None
        self._state = _State.OPEN
        # Header sections already read, by their bytes: a stream repeats a few
        # (Bedrock's three headers per event type), so most are read once.
        self._known_headers: dict[bytes, dict[str, HeaderValue]] = {}

    def __repr__(self) -> str:
        return f"<EventStreamFramer {self._state.value} at byte {self._offset}>"

    @property
    def offset(self) -> int:
        """Bytes of the stream consumed by complete messages so far."""
        return self._offset

    def feed(self, data: bytes) -> list[EventStreamMessage]:
        """Add the next bytes; return the messages they complete, in order."""
        self._check_open()
        self._buffer += data
        out: list[EventStreamMessage] = []
        try:
            while (message := self._maybe_next()) is not None:
                out.append(message)
        except RemoteProtocolError as exc:
            if not out:
                self._fail(exc)
                raise
            self._pending = exc  # the messages first; the error at the next call
        finally:
            del self._buffer[: self._pos]
            self._pos = 0
        return out

    def close(self) -> list[EventStreamMessage]:
        """End of stream.  Raises :class:`~sseproto.IncompleteStream` inside a message."""
        self._check_open()
        self._state = _State.CLOSED
        if self._buffer:
            exc = self._cut()
            self._fail(exc)
            raise exc
        return []

    # --- internals ------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._pending is not None:
            exc, self._pending = self._pending, None
            self._fail(exc)
            raise exc
        if self._state is _State.CLOSED:
            raise LocalProtocolError("EventStreamFramer.feed() or close() called after close()")
        if self._state is _State.ERROR:
            raise LocalProtocolError(
                f"EventStreamFramer cannot continue after an earlier error: {self._error}")

    def _fail(self, exc: RemoteProtocolError) -> None:
        self._state = _State.ERROR
        self._error = exc

    def _maybe_next(self) -> EventStreamMessage | None:
        """The next complete message in the buffer, or None until more bytes come."""
        available = len(self._buffer) - self._pos
        if self._total is None:
            if available < _PRELUDE_SIZE:
                return None
            self._total = self._read_prelude()
        total = self._total
        if available < total:
            return None
        start = self._pos
        raw = bytes(self._buffer[start : start + total])
        message = _parse_message(raw, self._offset, self._known_headers)
        self._pos += total
        self._offset += total
        self._total = None
        return message

    def _read_prelude(self) -> int:
        """Check the prelude at the buffer's position; return the message's total length."""
        offset = self._offset
        prelude = bytes(self._buffer[self._pos : self._pos + _PRELUDE_SIZE])
        total: int
        headers_length: int
        total, headers_length, crc = _PRELUDE.unpack(prelude)
        _check_crc("prelude", zlib.crc32(prelude[:8]), crc, offset, offset + 8)
        if total > self.max_event_size:
            raise LimitExceeded(
                f"the event-stream message at byte {offset} is {total} bytes long, over"
                f" max_event_size={self.max_event_size}; raise max_event_size if such"
                " messages are expected",
                limit_name="max_event_size", limit=self.max_event_size, offset=offset)
        if total < _MIN_MESSAGE or headers_length > total - _MIN_MESSAGE:
            raise RemoteProtocolError(
                f"the event-stream message at byte {offset} has impossible lengths: total"
                f" {total} bytes with {headers_length} bytes of headers (the prelude and"
                f" CRCs alone take {_MIN_MESSAGE}); the stream is corrupt", offset=offset)
        return total

    def _cut(self) -> IncompleteStream:
        offset, held = self._offset, len(self._buffer)
        if self._total is None:
            what = f"inside the 12-byte prelude of a message ({held} bytes of it)"
        else:
            what = f"{held} bytes into a {self._total}-byte message"
        return IncompleteStream(
            f"the event stream ended {what} starting at byte {offset}: the response was cut",
            offset=offset)


def _check_crc(what: str, computed: int, expected: int, offset: int, where: int) -> None:
    if computed != expected:
        raise RemoteProtocolError(
            f"{what} CRC32 mismatch in the event-stream message at byte {offset}: the"
            f" checksum at byte {where} says 0x{expected:08x}, the bytes give"
            f" 0x{computed:08x}; the stream is corrupt", offset=offset)


#: How many distinct header sections a framer remembers.
_KNOWN_HEADERS = 64


def _parse_message(raw: bytes, offset: int,
                   known: dict[bytes, dict[str, HeaderValue]]) -> EventStreamMessage:
    """A whole message (prelude checked already): check its CRC, read headers and payload."""
    total = len(raw)
    headers_end = _PRELUDE_SIZE + _U32.unpack_from(raw, 4)[0]
    _check_crc("message", zlib.crc32(memoryview(raw)[: total - _CRC_SIZE]),
               _U32.unpack_from(raw, total - _CRC_SIZE)[0], offset, offset + total - _CRC_SIZE)
    section = raw[_PRELUDE_SIZE:headers_end]
    headers = known.get(section)
    if headers is None:
        headers = _Headers(raw, offset).parse(_PRELUDE_SIZE, headers_end)
        if len(known) >= _KNOWN_HEADERS:
            known.clear()
        known[section] = headers
    headers = dict(headers)  # each message owns its dict
    return EventStreamMessage(headers=headers, payload=raw[headers_end : total - _CRC_SIZE],
                              offset=offset)


class _Headers:
    """Reads the headers section of one message, with offsets for its errors."""

    __slots__ = ("_offset", "_raw")

    def __init__(self, raw: bytes, offset: int) -> None:
        self._raw, self._offset = raw, offset

    def parse(self, pos: int, end: int) -> dict[str, HeaderValue]:
        headers: dict[str, HeaderValue] = {}
        while pos < end:
            start = pos
            name_bytes, pos = self._sized(pos, 1, end, "header name")
            name = self._utf8(name_bytes, start, "header name")
            value, pos = self._value(pos, end, name)
            if name in headers:
                self._fail(start, f"header {name!r} appears twice")
            headers[name] = value
        return headers

    def _value(self, pos: int, end: int, name: str) -> tuple[HeaderValue, int]:
        if pos >= end:
            self._fail(pos, f"header {name!r} has no value type before the headers end")
        code = self._raw[pos]
        pos += 1
        if code > HeaderType.UUID:
            self._fail(pos - 1, f"header {name!r} has value type {code}, which is not an"
                       " event-stream type (0 to 9)")
        kind = HeaderType(code)
        if kind is HeaderType.BOOL_TRUE or kind is HeaderType.BOOL_FALSE:
            return kind is HeaderType.BOOL_TRUE, pos
        if kind in _INTEGERS:
            fmt = _INTEGERS[kind]
            self._need(pos, fmt.size, end, f"header {name!r}")
            return fmt.unpack_from(self._raw, pos)[0], pos + fmt.size
        if kind is HeaderType.UUID:
            self._need(pos, _UUID_SIZE, end, f"header {name!r}")
            return self._raw[pos : pos + _UUID_SIZE], pos + _UUID_SIZE
        start = pos
        value, pos = self._sized(pos, 2, end, f"header {name!r}")
        if kind is HeaderType.STRING:
            return self._utf8(value, start, f"header {name!r}"), pos
        return value, pos

    def _sized(self, pos: int, width: int, end: int, what: str) -> tuple[bytes, int]:
        """A u8- or u16-length-prefixed byte string at ``pos``, and the position after it."""
        self._need(pos, width, end, what)
        raw = self._raw
        length = raw[pos] if width == 1 else _U16.unpack_from(raw, pos)[0]
        pos += width
        self._need(pos, length, end, what)
        return raw[pos : pos + length], pos + length

    def _need(self, pos: int, size: int, end: int, what: str) -> None:
        if pos + size > end:
            self._fail(pos, f"{what} runs past the end of the headers section"
                       f" ({size} bytes needed, {end - pos} left)")

    def _utf8(self, value: bytes, pos: int, what: str) -> str:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            self._fail(pos, f"{what} is not valid UTF-8")
            raise  # pragma: no cover - _fail always raises

    def _fail(self, pos: int, what: str) -> None:
        offset = self._offset
        raise RemoteProtocolError(
            f"bad header at byte {offset + pos} in the event-stream message at byte {offset}:"
            f" {what}; the stream is corrupt", offset=offset + pos)

# --- encoding (tests, vectors, transcripts) --------------------------------------------

#: A header to encode: a value (str, bytes, bool, or int as a long), or a
#: ``(HeaderType, value)`` pair to choose the type.
HeaderInput = HeaderValue | tuple[HeaderType, HeaderValue]


def encode_message(headers: Mapping[str, HeaderInput], payload: bytes = b"") -> bytes:
    """One event-stream message with both CRCs, as a server would send it.

    >>> wire = encode_message({":event-type": "messageStop"}, b"{}")
    >>> len(wire), wire[:8].hex()  # total length, headers length
    (44, '0000002c0000001a')
    """
    body = b"".join(_encode_header(name, value) for name, value in headers.items())
    total = _MIN_MESSAGE + len(body) + len(payload)
    prelude = struct.pack("!II", total, len(body))
    prelude += _U32.pack(zlib.crc32(prelude))
    message = prelude + body + payload
    return message + _U32.pack(zlib.crc32(message))


def _encode_header(name: str, value: HeaderInput) -> bytes:
    raw_name = name.encode()
    if len(raw_name) > 255:
        raise ValueError(f"a header name is at most 255 bytes, not {len(raw_name)}")
    kind, value = value if isinstance(value, tuple) else (_default_type(value), value)
    head = bytes([len(raw_name)]) + raw_name + bytes([kind])
    if kind is HeaderType.BOOL_TRUE or kind is HeaderType.BOOL_FALSE:
        return head
    if kind in _INTEGERS:
        return head + _INTEGERS[kind].pack(value)
    if kind is HeaderType.UUID:
        if not isinstance(value, bytes) or len(value) != _UUID_SIZE:
            raise ValueError("a UUID header value is 16 bytes")
        return head + value
    data = value.encode() if isinstance(value, str) else value
    if not isinstance(data, bytes) or len(data) > 0xFFFF:
        raise ValueError(f"header {name!r}: a string or byte array of at most 65535 bytes")
    return head + _U16.pack(len(data)) + data


def _default_type(value: HeaderValue) -> HeaderType:
    if isinstance(value, bool):
        return HeaderType.BOOL_TRUE if value else HeaderType.BOOL_FALSE
    if isinstance(value, int):
        return HeaderType.LONG
    if isinstance(value, str):
        return HeaderType.STRING
    return HeaderType.BYTE_ARRAY
