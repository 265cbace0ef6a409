"""Static types of the v2 client names, checked by ``mypy --strict tests/typing``.

``create()`` is overloaded on ``stream``: ``True`` gives the stream object,
``False`` (the default) the completion; the stream objects are context
managers with ``.response``; ``Timeouts``, ``HTTPStatusError.retry_after``
and ``StreamErrorRaised.stream_error`` have their promised types.  Run by
pytest too, over canned bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, assert_type

import pytest

import sseproto
from sseproto import AsyncClient, Client, Limits, StreamError, Timeouts
from sseproto.client import AsyncStream, AwaitableStream, Stream
from sseproto.drivers import AsyncMockTransport, MockTransport

CHUNK = b'data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\n\n'
STREAM = CHUNK + b"data: [DONE]\n\n"
COMPLETION = b'{"choices":[{"message":{"content":"Hi"}}]}'


def reply(status: str, content_type: str, body: bytes, extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def check_sync() -> list[Any]:
    timeouts = Timeouts(connect=1.0, read=2.0, total=None)
    assert_type(timeouts.total, float | None)
    mock = MockTransport([reply("200 OK", "text/event-stream", STREAM),
                          reply("200 OK", "application/json", COMPLETION)])
    with Client("http://api.test/v1", transport=mock, timeout=timeouts, limits=Limits(),
                max_connections=2, max_retries=0) as client:
        stream = client.chat.completions.create(model="m", messages=[], stream=True)
        assert_type(stream, Stream[Any])
        with stream as opened:
            assert_type(opened.response.status_code, int)
            assert_type(opened.response.headers, dict[str, str])
            chunks = list(opened)
        completion = client.chat.completions.create(model="m", messages=[])
        assert_type(completion, Any)
    return [*chunks, completion]


def check_async() -> list[Any]:
    async def run() -> list[Any]:
        mock = AsyncMockTransport([reply("200 OK", "text/event-stream", STREAM),
                                   reply("200 OK", "application/json", COMPLETION)])
        async with AsyncClient("http://api.test/v1", transport=mock) as client:
            stream = client.chat.completions.create(model="m", messages=[], stream=True)
            assert_type(stream, AwaitableStream)
            async with stream as opened:
                assert_type(opened, AwaitableStream)
                assert isinstance(opened, AsyncStream)
                chunks = [chunk async for chunk in opened]
            pending = client.chat.completions.create(model="m", messages=[])
            checked = assert_type(pending, Coroutine[Any, Any, Any])
            return [*chunks, await checked]

    return asyncio.run(run())


def check_errors() -> None:
    mock = MockTransport([reply("429 Too Many Requests", "application/json", b"{}",
                                "Retry-After: 7\r\n")])
    with pytest.raises(sseproto.HTTPStatusError) as status:
        list(Client("http://api.test", transport=mock).stream_chat({}))
    assert_type(status.value.retry_after, float | None)
    assert status.value.retry_after == 7.0

    error = b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'
    mock = MockTransport([reply("200 OK", "text/event-stream", error)])
    with pytest.raises(sseproto.StreamErrorRaised) as raised:
        list(Client("http://api.test", transport=mock).chat.completions.create(
            model="m", messages=[], stream=True))
    assert isinstance(raised.value.stream_error, StreamError)


def test_client_types_hold_at_run_time() -> None:
    expected = [{"data": {"choices": [{"index": 0, "delta": {"content": "Hi"},
                                       "finish_reason": "stop"}]}},
                {"choices": [{"message": {"content": "Hi"}}]}]
    assert check_sync() == expected
    assert check_async() == expected
    check_errors()
