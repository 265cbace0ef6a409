"""The public API's static types, checked by ``mypy --strict tests/typing``.

Every ``assert_type`` states a type the contract promises; mypy fails when
the API drifts from it.  :func:`describe` matches every :data:`ChatEvent`
and ends in ``assert_never``: a new event type that it does not handle makes
mypy fail.  Run by pytest too, the same code runs over in-memory bytes, so
the checks are also true at run time.
"""

from __future__ import annotations

import asyncio
from typing import Any, assert_never, assert_type

import pytest

import sseproto
from sseproto import (
    AsyncClient,
    ChatEvent,
    ChatStreamDecoder,
    Client,
    Delta,
    Done,
    Final,
    ServerSentEvent,
    SSEDecoder,
    StreamError,
)
from sseproto.client import AsyncStream, Stream
from sseproto.drivers import AsyncMockTransport, MockTransport

CHAT = (b'data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n'
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],'
        b'"usage":{"total_tokens":3}}\n\n'
        b"data: [DONE]\n\n")
ERROR = (b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
         b'data: {"error":{"message":"overloaded","type":"server_error","code":503}}\n\n')


def response(status: str, content_type: str, body: bytes) -> bytes:
    """A whole HTTP/1.1 response, for the mock transports."""
    head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def describe(ev: ChatEvent) -> str:
    """Exhaustive over ChatEvent: remove a case and mypy reports the ``assert_never``."""
    match ev:
        case Delta(index=index, content=content, chunk=chunk, tool_calls=tool_calls):
            assert_type(index, int)
            assert_type(content, str | None)
            assert_type(chunk, dict[str, Any])
            assert_type(tool_calls, list[dict[str, Any]] | None)
            return f"delta {index}: {content!r}"
        case Final(index=index, generated_text=text, finish_reason=reason, usage=usage):
            assert_type(text, str)
            assert_type(reason, str | None)
            assert_type(usage, dict[str, Any] | None)
            assert_type(ev.chunk, dict[str, Any] | None)
            assert_type(ev.tool_calls, list[dict[str, Any]] | None)
            return f"final {index}: {text!r} ({reason})"
        case Done():
            return "done"
        case StreamError(message=message, type=kind, code=code):
            assert_type(message, str)
            assert_type(kind, str)
            assert_type(code, str | int | None)
            assert_type(ev.payload, Any)
            return f"error {kind}: {message}"
        case _:
            assert_never(ev)


def check_sse() -> list[ServerSentEvent]:
    decoder = SSEDecoder(max_line_size=1024, max_event_size=1024)
    events = decoder.feed(b"retry: 10\nid: 1\nevent: tick\ndata: x\n\n")
    assert_type(events, list[ServerSentEvent])
    assert_type(decoder.close(), list[ServerSentEvent])
    assert_type(decoder.last_event_id, str | None)
    assert_type(decoder.retry, int | None)
    ev = events[0]
    assert_type(ev.event, str)
    assert_type(ev.data, str)
    assert_type(ev.id, str | None)
    assert_type(ev.retry, int | None)
    assert_type(sseproto.encode(ev), bytes)
    return events


def check_chat(body: bytes) -> list[ChatEvent]:
    chat = ChatStreamDecoder("auto", limits=sseproto.Limits(max_line_size=1 << 16))
    events = chat.feed(body)
    assert_type(events, list[ChatEvent])
    events += chat.close()
    assert_type(chat.done, bool)
    assert_type(chat.dialect, str | None)
    assert_type(chat.repairs, sseproto.Repairs)
    assert_type(chat.result, sseproto.ChatResult)
    assert_type(chat.result.text, str)
    return events


class UpperDialect(sseproto.dialects.Dialect):
    """A dialect on the public API: the payload handler returns events."""

    name = "typing-upper"

    def payload(self, event: str, value: dict[str, Any]) -> list[ChatEvent]:
        text = value.get("text")
        if not isinstance(text, str):
            raise sseproto.dialects.shape_error("text", "a string", text)
        return [self.delta(self.choice(0), text.upper(), value)]


def check_dialect_api() -> list[ChatEvent]:
    assert_type(sseproto.register_dialect("typing-upper", UpperDialect), None)
    chat = ChatStreamDecoder("typing-upper")
    return chat.feed(b'data: {"text": "hi"}\n\n')


def check_clients() -> tuple[list[ChatEvent], list[ChatEvent]]:
    payload: dict[str, Any] = {"model": "m", "messages": [], "stream": True}
    mock = MockTransport([response("200 OK", "text/event-stream", CHAT)])
    with Client("http://api.test/v1", transport=mock) as client:
        stream = client.stream_chat(payload)
        assert_type(stream, Stream[ChatEvent])
        assert_type(client.stream_sse("GET", "/events"), Stream[ServerSentEvent])
        sync_events = list(stream)

    async def run() -> list[ChatEvent]:
        amock = AsyncMockTransport([response("200 OK", "text/event-stream", CHAT)])
        async with AsyncClient("http://api.test/v1", transport=amock) as client:
            stream = client.stream_chat(payload)
            assert_type(stream, AsyncStream[ChatEvent])
            assert_type(client.stream_sse("GET", "/events"), AsyncStream[ServerSentEvent])
            return [ev async for ev in stream]

    return sync_events, asyncio.run(run())


def check_errors() -> None:
    body = b'{"error": {"message": "Invalid API key"}}'
    mock = MockTransport([response("401 Unauthorized", "application/json", body)])
    with pytest.raises(sseproto.HTTPStatusError) as status:
        list(Client("http://api.test", transport=mock).stream_chat({}))
    assert_type(status.value.status_code, int)
    assert_type(status.value.headers, dict[str, str])
    assert_type(status.value.body, Any)
    assert status.value.status_code == 401

    mock = MockTransport([response("200 OK", "application/json", body)])
    with pytest.raises(sseproto.UnexpectedContentType) as wrong:
        list(Client("http://api.test", transport=mock).stream_chat({}))
    assert_type(wrong.value.content_type, str)
    assert wrong.value.content_type == "application/json"

    with pytest.raises(sseproto.LimitExceeded) as limit:
        SSEDecoder(max_line_size=8).feed(b"data: " + b"x" * 64)
    assert_type(limit.value.limit_name, str)
    assert_type(limit.value.limit, int)
    assert_type(limit.value.offset, int | None)
    assert limit.value.limit_name == "max_line_size"

    error: sseproto.Error = limit.value
    assert isinstance(error, sseproto.RemoteProtocolError)
    assert issubclass(sseproto.IncompleteStream, sseproto.RemoteProtocolError)
    assert issubclass(sseproto.Timeout, sseproto.TransportError)


def test_public_api_types_hold_at_run_time() -> None:
    sse = check_sse()
    assert sse == [ServerSentEvent(event="tick", data="x", id="1", retry=10)]
    chat = check_chat(CHAT)
    assert [describe(ev) for ev in chat] == [
        "delta 0: 'Hi'", "delta 0: None", "final 0: 'Hi' (stop)", "done"]
    assert isinstance(chat[2], Final) and chat[2].usage == {"total_tokens": 3}
    assert [describe(ev) for ev in check_chat(ERROR)] == [
        "delta 0: 'Hi'", "error server_error: overloaded"]
    assert [describe(ev) for ev in check_dialect_api()] == ["delta 0: 'HI'"]
    sync_events, async_events = check_clients()
    assert sync_events == async_events == chat
    check_errors()
