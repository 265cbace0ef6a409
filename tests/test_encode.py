from __future__ import annotations

import pytest

from sseproto import LocalProtocolError, ServerSentEvent, encode, encode_comment


def test_encode_layout() -> None:
    ev = ServerSentEvent(event="delta", data="a\n\nb", id="", retry=10)
    assert encode(ev) == b"event: delta\nid\nretry: 10\ndata: a\ndata\ndata: b\n\n"
    assert encode(ServerSentEvent(data=" lead")) == b"data:  lead\n\n"


@pytest.mark.parametrize(
    "event",
    [
        ServerSentEvent(data="a\rb"),
        ServerSentEvent(event="a\nb", data="x"),
        ServerSentEvent(data="x", id="1\n"),
        ServerSentEvent(data="x", id="a\x00b"),
        ServerSentEvent(data="x", retry=-1),
        ServerSentEvent(data="\ud800"),
    ],
)
def test_encode_refuses_what_sse_cannot_carry(event: ServerSentEvent) -> None:
    with pytest.raises(LocalProtocolError):
        encode(event)


def test_encode_comment() -> None:
    assert encode_comment() == b":\n"
    assert encode_comment("keep-alive") == b": keep-alive\n"
    with pytest.raises(LocalProtocolError):
        encode_comment("a\nb")
