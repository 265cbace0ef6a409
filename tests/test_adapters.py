"""sseproto.adapters with the real libraries against loopback servers (tests/servers.py).

Every behavioural test runs through each adapter variant: httpx (sync and
async), aiohttp and requests.  Nothing talks to anything but 127.0.0.1, and
every library is told to ignore proxy settings.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import aiohttp
import httpx
import pytest
import requests

import sseproto
from sseproto import ChatStreamDecoder, Delta, Done, Final, SSEDecoder, StreamError
from sseproto._http import MAX_ERROR_BODY
from sseproto.adapters import aiohttp as sa
from sseproto.adapters import httpx as sx
from sseproto.adapters import requests as sr
from tests.servers import (
    AUTH_ERROR,
    OPENAI,
    SEED,
    ScriptedServer,
    cut_chunked,
    json_response,
    sse_chunked,
    sse_encoded,
    unauthorized,
    wrong_content_type,
)

VARIANTS = ("httpx", "httpx-async", "aiohttp", "requests")
#: Read/connect timeout of every library here.
TIMEOUT = 5.0
#: Hard bound on one async scenario.
ASYNC_LIMIT = 15.0
PAYLOAD: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "Hi"}],
                           "stream": True}


@pytest.fixture(params=VARIANTS)
def variant(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def collect(variant: str, url: str, kind: str = "chat", sink: list[Any] | None = None) -> list[Any]:
    """POST to ``url`` with ``variant`` and decode the response with its adapter.

    ``kind`` is ``"chat"`` or ``"sse"``.  An exception propagates after the
    items yielded before it were appended to ``sink``.
    """
    out: list[Any] = [] if sink is None else sink
    if variant == "httpx":
        with httpx.Client(timeout=TIMEOUT, trust_env=False) as client, \
                client.stream("POST", url, json=PAYLOAD) as response:
            for item in (sx.iter_chat(response) if kind == "chat" else sx.iter_sse(response)):
                out.append(item)
    elif variant == "requests":
        with requests.Session() as session:
            session.trust_env = False
            with session.post(url, json=PAYLOAD, stream=True, timeout=TIMEOUT) as resp:
                for item in (sr.iter_chat(resp) if kind == "chat" else sr.iter_sse(resp)):
                    out.append(item)
    else:
        asyncio.run(asyncio.wait_for(_acollect(variant, url, kind, out), ASYNC_LIMIT))
    return out


async def _acollect(variant: str, url: str, kind: str, out: list[Any]) -> None:
    if variant == "httpx-async":
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as client, \
                client.stream("POST", url, json=PAYLOAD) as response:
            stream = sx.aiter_chat(response) if kind == "chat" else sx.aiter_sse(response)
            async for item in stream:
                out.append(item)
    else:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session, \
                session.post(url, json=PAYLOAD) as resp:
            async for item in (sa.aiter_chat(resp) if kind == "chat" else sa.aiter_sse(resp)):
                out.append(item)


def reference(body: bytes) -> list[Any]:
    decoder = ChatStreamDecoder()
    return [*decoder.feed(body), *decoder.close()]


def events_prefix(body: bytes, count: int) -> bytes:
    """The first ``count`` blank-line-terminated events of a well-formed stream."""
    return b"".join(block + b"\n\n" for block in body.split(b"\n\n")[:count])


def check_seed(events: Sequence[Any]) -> None:
    assert [type(ev) for ev in events] == [Delta, Delta, Final, Done], events
    first, empty, final, _ = events
    assert first.content == " past"
    assert empty.content is None
    assert final.generated_text.startswith("Thanks, I try")
    assert final.finish_reason == "stop"
    assert list(events) == reference(SEED)


def client_error(url: str) -> sseproto.Error:
    """What the built-in client raises for the same response, to compare messages."""
    with sseproto.Client(url, timeout=TIMEOUT) as client, \
            pytest.raises(sseproto.Error) as info:
        list(client.stream_chat(PAYLOAD))
    return info.value


# -- importing ------------------------------------------------------------------------


def test_importing_sseproto_adapters_imports_no_http_library() -> None:
    code = ("import sys, sseproto, sseproto.adapters; "
            "print(sorted({'httpx', 'aiohttp', 'requests'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# -- streams --------------------------------------------------------------------------


def test_seed_stream(variant: str) -> None:
    with ScriptedServer(sse_chunked(SEED)) as srv:
        check_seed(collect(variant, srv.url))


def test_openai_stream_bytewise(variant: str) -> None:
    with ScriptedServer(sse_chunked(OPENAI, sizes=(1,), pause=0)) as srv:
        events = collect(variant, srv.url)
    assert events == reference(OPENAI)
    assert isinstance(events[-1], Done)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_compressed_body(variant: str, encoding: str, chunked: bool) -> None:
    with ScriptedServer(sse_encoded(SEED, encoding, chunked=chunked)) as srv:
        check_seed(collect(variant, srv.url))


def test_iter_sse_gives_the_raw_events(variant: str) -> None:
    body = (b"retry: 1500\nid: 7\nevent: tick\ndata: one\ndata: two\n\n"
            b": comment\n\nid\ndata: three\n\n" + OPENAI)
    with ScriptedServer(sse_chunked(body)) as srv:
        events = collect(variant, srv.url, "sse")
    decoder = SSEDecoder()
    assert events == [*decoder.feed(body), *decoder.close()]
    assert events[0] == sseproto.ServerSentEvent(event="tick", data="one\ntwo", id="7",
                                                 retry=1500)
    assert events[1] == sseproto.ServerSentEvent(data="three", id="", retry=1500)
    assert events[-1].data == "[DONE]"


def test_stream_error_ends_the_stream(variant: str) -> None:
    first = events_prefix(OPENAI, 2)
    error = b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'
    with ScriptedServer(sse_chunked(first + error + OPENAI[len(first):])) as srv:
        events = collect(variant, srv.url)
    assert [type(ev) for ev in events] == [Delta, Delta, StreamError]
    assert events[-1].message == "overloaded"


def test_body_ending_before_done_raises_incomplete_stream(variant: str) -> None:
    events: list[Any] = []
    with ScriptedServer(sse_chunked(events_prefix(OPENAI, 3))) as srv, \
            pytest.raises(sseproto.IncompleteStream):
        collect(variant, srv.url, sink=events)
    assert events == reference(events_prefix(OPENAI, 3))
    assert [type(ev) for ev in events] == [Delta] * 3


# The last frame is only read at the end of the body; the line after it then fails.
EVENTS_THEN_ERROR_AT_CLOSE = b'\ndata: {"choices":[{"delta":{"content":"a"}}]}\n{oops\n'


def test_an_error_after_the_last_events_is_raised_after_them(variant: str) -> None:
    events: list[Any] = []
    with ScriptedServer(sse_chunked(EVENTS_THEN_ERROR_AT_CLOSE)) as srv, \
            pytest.raises(sseproto.RemoteProtocolError, match="oops"):
        collect(variant, srv.url, sink=events)
    assert [ev.content for ev in events] == ["a"]


def test_finish_reason_without_done_is_not_incomplete(variant: str) -> None:
    body = b'data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\n\n'
    with ScriptedServer(sse_chunked(body)) as srv:
        events = collect(variant, srv.url)
    assert [type(ev) for ev in events] == [Delta, Final]


def test_transport_errors_are_the_librarys_own(variant: str) -> None:
    events: list[Any] = []
    cut = len(events_prefix(OPENAI, 2)) + 5
    with ScriptedServer(cut_chunked(OPENAI, cut)) as srv, \
            pytest.raises(Exception) as info:
        collect(variant, srv.url, sink=events)
    assert not isinstance(info.value, sseproto.Error)
    expected = {"httpx": httpx.TransportError, "httpx-async": httpx.TransportError,
                "aiohttp": aiohttp.ClientError,
                "requests": requests.RequestException}[variant]
    assert isinstance(info.value, expected), repr(info.value)
    assert [type(ev) for ev in events] == [Delta, Delta]


# -- rejected responses ---------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("kind", ["chat", "sse"])
def test_401_raises_http_status_error(variant: str, chunked: bool, kind: str) -> None:
    events: list[Any] = []
    with ScriptedServer(unauthorized(chunked=chunked)) as srv:
        with pytest.raises(sseproto.HTTPStatusError) as info:
            collect(variant, srv.url, kind, events)
        expected = client_error(srv.url)
    assert events == []
    error = info.value
    assert error.status_code == 401
    assert error.body == AUTH_ERROR
    assert str(error) == str(expected) == "HTTP 401 Unauthorized: Invalid API key"
    assert error.headers["content-type"] == "application/json"


def test_error_body_is_read_up_to_64_kib(variant: str) -> None:
    big = {"error": {"message": "x" * (2 * MAX_ERROR_BODY)}}
    with ScriptedServer(json_response(500, big)) as srv, \
            pytest.raises(sseproto.HTTPStatusError) as info:
        collect(variant, srv.url)
    assert info.value.status_code == 500
    assert isinstance(info.value.body, str)  # cut JSON: kept as text
    assert len(info.value.body) == MAX_ERROR_BODY


@pytest.mark.parametrize("kind", ["chat", "sse"])
def test_wrong_content_type_raises_unexpected_content_type(variant: str, kind: str) -> None:
    events: list[Any] = []
    with ScriptedServer(wrong_content_type()) as srv:
        with pytest.raises(sseproto.UnexpectedContentType) as info:
            collect(variant, srv.url, kind, events)
        expected = client_error(srv.url)
    assert events == []
    assert info.value.content_type == "application/json"
    assert info.value.body == AUTH_ERROR
    assert str(info.value) == str(expected)
    assert "Invalid API key" in str(info.value)


def test_missing_content_type_is_accepted(variant: str) -> None:
    with ScriptedServer(sse_chunked(SEED, headers=())) as srv:
        check_seed(collect(variant, srv.url))
