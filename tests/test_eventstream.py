"""The AWS event-stream framer: round trips, splits, corrupt input, limits, and botocore."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sseproto import IncompleteStream, LimitExceeded, LocalProtocolError, RemoteProtocolError
from sseproto.framing.eventstream import (
    EventStreamFramer,
    EventStreamMessage,
    HeaderType,
    HeaderValue,
    encode_message,
)
from tests.helpers import bytewise, split_at

CONVERSE = [
    ({":event-type": "messageStart", ":content-type": "application/json",
      ":message-type": "event"}, b'{"p":"abcd","role":"assistant"}'),
    ({":event-type": "contentBlockDelta", ":content-type": "application/json",
      ":message-type": "event"}, b'{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"ab"}'),
    ({":event-type": "messageStop", ":content-type": "application/json",
      ":message-type": "event"}, b'{"p":"abc","stopReason":"end_turn"}'),
]
WIRE = b"".join(encode_message(h, p) for h, p in CONVERSE)

EVERY_TYPE: dict[str, Any] = {
    "t": True, "f": False, "b": (HeaderType.BYTE, -7), "s": (HeaderType.SHORT, -300),
    "i": (HeaderType.INTEGER, 1 << 30), "l": (HeaderType.LONG, -(1 << 40)),
    "a": b"\x00\xff", "str": "h\u00e9", "ts": (HeaderType.TIMESTAMP, 1_700_000_000_000),
    "u": (HeaderType.UUID, bytes(range(16))),
}
EVERY_VALUE = {"t": True, "f": False, "b": -7, "s": -300, "i": 1 << 30, "l": -(1 << 40),
               "a": b"\x00\xff", "str": "h\u00e9", "ts": 1_700_000_000_000,
               "u": bytes(range(16))}


def decode(pieces: list[bytes], **kwargs: Any) -> list[EventStreamMessage]:
    framer = EventStreamFramer(**kwargs)
    out: list[EventStreamMessage] = []
    for piece in pieces:
        out += framer.feed(piece)
    return out + framer.close()


def outcome(pieces: list[bytes], **kwargs: Any) -> Any:
    """Messages, or the error class and offset, plus the messages delivered before it."""
    framer = EventStreamFramer(**kwargs)
    out: list[Any] = []
    try:
        for piece in pieces:
            out += [(m.headers, m.payload, m.offset) for m in framer.feed(piece)]
        framer.close()
    except RemoteProtocolError as exc:
        return out, type(exc).__name__, exc.offset
    return out, None, None


def botocore_messages(data: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """What botocore's own parser makes of ``data`` (the test skips without botocore)."""
    eventstream = pytest.importorskip("botocore.eventstream")
    buffer = eventstream.EventStreamBuffer()
    buffer.add_data(data)
    return [(m.headers, m.payload) for m in buffer]


def with_byte(data: bytes, at: int, value: int) -> bytes:
    return data[:at] + bytes([value]) + data[at + 1 :]


def reframe(prelude_and_headers: bytes, payload: bytes = b"") -> bytes:
    """A message whose headers section is given raw, with valid CRCs."""
    total = 16 + len(prelude_and_headers) + len(payload)
    head = struct.pack("!II", total, len(prelude_and_headers))
    head += struct.pack("!I", zlib.crc32(head))
    body = head + prelude_and_headers + payload
    return body + struct.pack("!I", zlib.crc32(body))


# --- round trips and splits -----------------------------------------------------------


def test_messages_whole_bytewise_and_at_every_cut() -> None:
    expected = decode([WIRE])
    assert [(m.event_type, m.payload) for m in expected] == [
        (h[":event-type"], p) for h, p in CONVERSE]
    assert [m.offset for m in expected] == [0, len(encode_message(*CONVERSE[0])),
                                            len(encode_message(*CONVERSE[0]))
                                            + len(encode_message(*CONVERSE[1]))]
    assert decode(bytewise(WIRE)) == expected
    for cut in range(len(WIRE) + 1):
        assert decode(split_at(WIRE, [cut])) == expected


def test_every_header_type_decodes_as_botocore_does() -> None:
    wire = encode_message(EVERY_TYPE, b"payload")
    [message] = decode([wire])
    assert message.headers == EVERY_VALUE
    assert message.payload == b"payload"
    assert botocore_messages(wire) == [(EVERY_VALUE, b"payload")]
    assert message.message_type is None and message.event_type is None


def test_empty_message_and_empty_stream() -> None:
    assert decode([]) == []
    assert decode([b"", b""]) == []
    [message] = decode([encode_message({})])
    assert message == EventStreamMessage(headers={}, payload=b"", offset=0)


header_values = st.one_of(
    st.booleans(), st.binary(max_size=40), st.text(max_size=40),
    st.tuples(st.sampled_from([HeaderType.BYTE]), st.integers(-128, 127)),
    st.tuples(st.sampled_from([HeaderType.SHORT]), st.integers(-(1 << 15), (1 << 15) - 1)),
    st.tuples(st.sampled_from([HeaderType.INTEGER]), st.integers(-(1 << 31), (1 << 31) - 1)),
    st.tuples(st.sampled_from([HeaderType.LONG, HeaderType.TIMESTAMP]),
              st.integers(-(1 << 63), (1 << 63) - 1)),
    st.tuples(st.just(HeaderType.UUID), st.binary(min_size=16, max_size=16)),
)
messages = st.tuples(
    st.dictionaries(st.text(min_size=0, max_size=20).filter(lambda s: len(s.encode()) < 256),
                    header_values, max_size=6),
    st.binary(max_size=200),
)


def plain(value: Any) -> HeaderValue:
    return value[1] if isinstance(value, tuple) else value


@settings(max_examples=150, deadline=None)
@given(st.lists(messages, max_size=5), st.lists(st.integers(0, 4000), max_size=12))
def test_random_messages_at_random_cuts_agree_with_botocore(
        items: list[tuple[dict[str, Any], bytes]], cuts: list[int]) -> None:
    wire = b"".join(encode_message(h, p) for h, p in items)
    got = decode(split_at(wire, cuts))
    expected = [({k: plain(v) for k, v in h.items()}, p) for h, p in items]
    assert [(m.headers, m.payload) for m in got] == expected
    assert botocore_messages(wire) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(messages, min_size=1, max_size=3), st.data())
def test_any_corruption_is_a_protocol_error_whatever_the_split(
        items: list[tuple[dict[str, Any], bytes]], data: st.DataObject) -> None:
    wire = bytearray(b"".join(encode_message(h, p) for h, p in items))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(wire) - 1))
        wire[at] = data.draw(st.integers(0, 255))
    wire = wire[: data.draw(st.integers(0, len(wire)))]
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=8))
    whole = outcome([bytes(wire)])
    assert outcome(split_at(bytes(wire), cuts)) == whole
    assert outcome(bytewise(bytes(wire))) == whole


# --- corrupt input ----------------------------------------------------------------------


def test_prelude_crc_mismatch_names_the_offset() -> None:
    first = encode_message(*CONVERSE[0])
    bad = first + with_byte(encode_message(*CONVERSE[1]), 9, 0)
    with pytest.raises(RemoteProtocolError, match=rf"prelude CRC32 .* at byte {len(first)}"):
        decode([bad])
    assert outcome(bytewise(bad)) == outcome([bad])
    with pytest.raises(Exception, match="Checksum mismatch"):
        botocore_messages(bad)


def test_message_crc_mismatch_in_the_payload() -> None:
    wire = encode_message(*CONVERSE[1])
    bad = with_byte(wire, len(wire) - 8, ord("X"))
    with pytest.raises(RemoteProtocolError, match=r"message CRC32 mismatch .* at byte 0") as info:
        decode([bad])
    assert info.value.offset == 0
    with pytest.raises(Exception, match="Checksum mismatch"):
        botocore_messages(bad)


def test_messages_before_an_error_are_delivered_then_the_error() -> None:
    good = encode_message(*CONVERSE[0])
    framer = EventStreamFramer()
    bad = good + with_byte(good, 0, 0xFF)
    assert [m.offset for m in framer.feed(bad)] == [0]
    with pytest.raises(RemoteProtocolError) as info:
        framer.feed(b"")
    assert info.value.offset == len(good)
    with pytest.raises(LocalProtocolError, match="earlier error"):
        framer.close()


def test_unknown_header_type() -> None:
    wire = reframe(b"\x01x\x0a")
    with pytest.raises(RemoteProtocolError, match="value type 10, which is not") as info:
        decode([wire])
    assert info.value.offset == 12 + 2
    with pytest.raises(KeyError):  # botocore: a bare KeyError
        botocore_messages(wire)


@pytest.mark.parametrize(("headers", "what"), [
    (b"\x05abc", "header name runs past"),
    (b"\x01x", "no value type"),
    (b"\x01x\x04\x00\x00", "runs past the end of the headers section"),
    (b"\x01x\x07\x00\x09abc", "runs past"),
    (b"\x01x\x09" + bytes(15), "runs past"),
    (b"\x02\xff\xfe\x00", "header name is not valid UTF-8"),
    (b"\x01x\x07\x00\x01\xff", "header 'x' is not valid UTF-8"),
    (b"\x01x\x00\x01x\x01", "appears twice"),
])
def test_bad_headers(headers: bytes, what: str) -> None:
    with pytest.raises(RemoteProtocolError, match=what):
        decode([reframe(headers)])


@pytest.mark.parametrize(("total", "headers_length"), [(0, 0), (15, 0), (20, 5), (16, 1)])
def test_impossible_lengths(total: int, headers_length: int) -> None:
    head = struct.pack("!II", total, headers_length)
    wire = head + struct.pack("!I", zlib.crc32(head)) + bytes(40)
    with pytest.raises(RemoteProtocolError, match="impossible lengths") as info:
        decode([wire])
    assert info.value.offset == 0


def test_a_length_beyond_the_data_is_an_incomplete_stream() -> None:
    wire = encode_message(*CONVERSE[0])
    with pytest.raises(IncompleteStream, match=rf"ended 20 bytes into a {len(wire)}-byte message"):
        decode([wire[:20]])
    with pytest.raises(IncompleteStream, match="inside the 12-byte prelude"):
        decode([WIRE[: len(wire) + 5]])
    assert outcome(bytewise(wire[:20])) == outcome([wire[:20]])


def test_a_message_over_max_event_size() -> None:
    wire = encode_message({}, bytes(100))
    assert len(decode([wire], max_event_size=116)) == 1
    with pytest.raises(LimitExceeded, match="max_event_size=115") as info:
        decode([wire[:12]], max_event_size=115)  # refused at the prelude: nothing buffered
    assert (info.value.limit_name, info.value.limit, info.value.offset) == (
        "max_event_size", 115, 0)


def test_a_huge_declared_length_is_refused_before_buffering() -> None:
    head = struct.pack("!II", 0xFFFFFFFF, 0)
    with pytest.raises(LimitExceeded):
        EventStreamFramer().feed(head + struct.pack("!I", zlib.crc32(head)))


def test_feed_after_close_and_bad_arguments() -> None:
    framer = EventStreamFramer()
    assert framer.close() == []
    with pytest.raises(LocalProtocolError, match="after close"):
        framer.feed(WIRE)
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="max_event_size"):
            EventStreamFramer(max_event_size=bad)  # type: ignore[arg-type]
    assert "open at byte 0" in repr(EventStreamFramer())


def test_many_messages_in_one_read_and_large_reads() -> None:
    wire = b"".join(encode_message({":event-type": "e"}, b"x" * (i % 50)) for i in range(2000))
    whole = decode([wire])
    assert len(whole) == 2000
    assert decode(split_at(wire, range(0, len(wire), 4093))) == whole


def test_encoder_rejects_what_it_cannot_encode() -> None:
    with pytest.raises(ValueError, match="255"):
        encode_message({"x" * 256: True})
    with pytest.raises(ValueError, match="16 bytes"):
        encode_message({"u": (HeaderType.UUID, b"short")})
    with pytest.raises(ValueError, match="65535"):
        encode_message({"s": "x" * 70000})
