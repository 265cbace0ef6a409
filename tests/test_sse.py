"""SSEDecoder: behaviour, limits at their exact boundaries, and errors."""

from __future__ import annotations

import tracemalloc

import pytest

import sseproto
from sseproto import LimitExceeded, LocalProtocolError, ServerSentEvent, SSEDecoder
from tests.helpers import bytewise, run


def decode(data: bytes, **kwargs: int) -> list[ServerSentEvent]:
    return run(lambda: SSEDecoder(**kwargs), [data])[0]


def test_basic_event_fields() -> None:
    events = decode(b"event: delta\nid: 3\nretry: 1500\ndata: a\ndata:b\n\n")
    assert events == [ServerSentEvent(event="delta", data="a\nb", id="3", retry=1500)]


def test_feed_returns_events_as_soon_as_their_block_ends() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: one\n") == []
    assert dec.feed(b"\ndata: two") == [ServerSentEvent(data="one")]
    assert dec.feed(b"\n\n") == [ServerSentEvent(data="two")]
    assert dec.close() == []


def test_unterminated_block_is_discarded_at_close() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"id: 1\n\ndata: lost\nid: 2\n") == []
    assert dec.close() == []
    assert dec.last_event_id == "1"


def test_cr_at_read_boundary_is_one_line_end() -> None:
    dec = SSEDecoder()
    events = dec.feed(b"data: a\r") + dec.feed(b"\n") + dec.feed(b"\r\n")
    assert events == [ServerSentEvent(data="a")]


def test_bom_split_across_reads_and_second_bom_is_data() -> None:
    pieces = [b"\xef", b"\xbb", b"\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n"]
    events, _ = run(SSEDecoder, pieces)
    # The second BOM starts the first line, so its field name is "\ufeffdata".
    assert events == [ServerSentEvent(data="y")]


def test_stream_of_only_a_partial_bom() -> None:
    assert run(SSEDecoder, [b"\xef", b"\xbb"])[0] == []


def test_huge_retry_is_kept_exactly() -> None:
    digits = "9" * 5000
    dec = SSEDecoder()
    events = dec.feed(f"retry: {digits}\ndata: x\n\n".encode())
    assert dec.retry == 10**5000 - 1
    assert events[0].retry == dec.retry


def test_feed_accepts_bytearray_and_memoryview() -> None:
    dec = SSEDecoder()
    events = dec.feed(bytearray(b"data: a\n\n")) + dec.feed(memoryview(b"data: b\n\n"))
    assert [e.data for e in events] == ["a", "b"]


def test_large_single_feed_is_windowed_without_changing_results() -> None:
    block = b"data: " + b"x" * 1000 + b"\n\n"
    stream = block * 2000  # ~2 MB, several windows
    assert decode(stream) == [ServerSentEvent(data="x" * 1000)] * 2000


def test_feed_after_close_is_a_local_error() -> None:
    dec = SSEDecoder()
    dec.close()
    with pytest.raises(LocalProtocolError, match="after close"):
        dec.feed(b"data: x\n\n")
    with pytest.raises(LocalProtocolError):
        dec.close()


# --- limits ----------------------------------------------------------------


@pytest.mark.parametrize("split", [False, True])
def test_max_line_size_exact_boundary(split: bool) -> None:
    line = b"data: " + b"a" * 94  # exactly 100 bytes
    stream = line + b"\r\n\r\n"
    pieces = bytewise(stream) if split else [stream]
    events, _ = run(lambda: SSEDecoder(max_line_size=100), pieces)
    assert events == [ServerSentEvent(data="a" * 94)]
    too_long = b"data: " + b"a" * 95 + b"\n\n"
    with pytest.raises(LimitExceeded) as info:
        run(lambda: SSEDecoder(max_line_size=100), bytewise(too_long) if split else [too_long])
    assert info.value.limit_name == "max_line_size"
    assert info.value.limit == 100
    assert info.value.offset == 0
    assert "max_line_size=100" in str(info.value)


def test_max_line_size_counts_bytes_not_characters() -> None:
    line = "data: " + "é" * 47  # 6 + 94 bytes = 100
    assert decode((line + "\n\n").encode(), max_line_size=100) == [
        ServerSentEvent(data="é" * 47)
    ]
    with pytest.raises(LimitExceeded):
        decode((line + "é\n\n").encode(), max_line_size=100)


def test_max_line_size_reports_offset_of_the_long_line() -> None:
    stream = b"data: ok\n\n" + b"data: " + b"b" * 200 + b"\n\n"
    for pieces in ([stream], bytewise(stream)):
        with pytest.raises(LimitExceeded) as info:
            run(lambda: SSEDecoder(max_line_size=100), pieces)
        assert info.value.offset == 10


def test_unterminated_long_line_fails_before_its_end_arrives() -> None:
    dec = SSEDecoder(max_line_size=10)
    dec.feed(b"data: 1234")
    with pytest.raises(LimitExceeded):
        dec.feed(b"5")


@pytest.mark.parametrize("split", [False, True])
def test_max_event_size_exact_boundary(split: bool) -> None:
    # Data as dispatched: "aaaa\nbbbb\ncc" is 12 characters.
    stream = b"data: aaaa\ndata: bbbb\ndata: cc\n\n"
    pieces = bytewise(stream) if split else [stream]
    events, _ = run(lambda: SSEDecoder(max_event_size=12), pieces)
    assert events == [ServerSentEvent(data="aaaa\nbbbb\ncc")]
    with pytest.raises(LimitExceeded) as info:
        run(lambda: SSEDecoder(max_event_size=11), pieces)
    assert info.value.limit_name == "max_event_size"
    assert info.value.offset == 22  # the "data: cc" line


def test_max_event_size_applies_to_single_line_events_too() -> None:
    assert decode(b"data: 12345\n\n", max_event_size=5) == [ServerSentEvent(data="12345")]
    with pytest.raises(LimitExceeded) as info:
        decode(b"data: ok\n\ndata: 123456\n\n", max_event_size=5)
    assert info.value.offset == 10


def test_event_size_resets_between_events() -> None:
    stream = b"data: 12345\n\n" * 10
    assert len(decode(stream, max_event_size=5)) == 10


def test_decoder_refuses_input_after_an_error() -> None:
    dec = SSEDecoder(max_line_size=4)
    with pytest.raises(LimitExceeded):
        dec.feed(b"data: too long\n\n")
    with pytest.raises(LocalProtocolError, match="earlier error"):
        dec.feed(b"data: x\n\n")


def test_bad_limits_are_rejected() -> None:
    with pytest.raises(ValueError):
        SSEDecoder(max_line_size=0)
    with pytest.raises(ValueError):
        SSEDecoder(max_event_size=0)


def test_an_endless_line_fails_at_the_limit_instead_of_buffering() -> None:
    dec = SSEDecoder(max_line_size=100_000)
    chunk = b"x" * 4096
    with pytest.raises(LimitExceeded):
        for _ in range(25_000):  # would be 100 MB
            dec.feed(chunk)


def test_memory_is_bounded_by_the_limits_not_the_stream() -> None:
    block = b"data: " + b"y" * 200 + b"\n\n"
    chunk = block * 300  # ~62 KB
    dec = SSEDecoder()
    tracemalloc.start()
    try:
        for _ in range(300):  # ~18 MB in all
            for _event in dec.feed(chunk):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


def test_error_classes_form_the_documented_hierarchy() -> None:
    assert issubclass(sseproto.LimitExceeded, sseproto.RemoteProtocolError)
    assert issubclass(sseproto.IncompleteStream, sseproto.RemoteProtocolError)
    assert issubclass(sseproto.HTTPStatusError, sseproto.Error)  # (v2) not a ProtocolError
    assert not issubclass(sseproto.HTTPStatusError, sseproto.ProtocolError)
    assert issubclass(sseproto.RemoteProtocolError, sseproto.ProtocolError)
    assert issubclass(sseproto.LocalProtocolError, sseproto.ProtocolError)
    assert issubclass(sseproto.ProtocolError, sseproto.Error)
    for cls in (sseproto.ConnectError, sseproto.TLSError, sseproto.Timeout):
        assert issubclass(cls, sseproto.TransportError)
    assert issubclass(sseproto.TransportError, sseproto.Error)
    err = sseproto.HTTPStatusError("nope", status_code=401, body={"error": {}})
    assert err.status_code == 401 and err.body == {"error": {}}


def test_cr_inside_a_read_does_not_swallow_the_next_reads_lf() -> None:
    # Regression: a CR followed by more bytes in the same read is a whole line end;
    # only a CR that is the very last byte so far may pair with a leading LF.
    events, _ = run(SSEDecoder, [b"data: a\rdata: b", b"\n\n"])
    assert events == [ServerSentEvent(data="a\nb")]
