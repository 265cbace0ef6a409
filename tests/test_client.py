"""Client and AsyncClient against the replay server, and raw responses it cannot produce.

Every behavioural test runs twice, through ``sseproto.Client`` and through
``sseproto.AsyncClient`` (the ``mode`` fixture).  Nothing talks to anything
but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

import sseproto
from sseproto import ChatStreamDecoder, Delta, Done, Final, StreamError
from sseproto.server import Fault, ReceivedRequest, ReplayServer, Route, Router
from sseproto.transcript import Transcript
from tests.streams import (
    AUTH_ERROR,
    OPENAI,
    RESET,
    SEED,
    RawServer,
    TLSContexts,
    chunked,
    closed_port,
    json_response,
    pieces,
    response_head,
    stream,
    unauthorized,
    wrong_content_type,
)

MODES = ("sync", "async")
#: Client read/connect timeout for tests that are not about timeouts.
TIMEOUT = 5.0
#: Hard bound on one async scenario.
ASYNC_LIMIT = 15.0

MESSAGES = [
    {"role": "system",
     "content": "You are a helpful assistant that provide clever and sometimes funny responses."},
    {"role": "user", "content": "What's up!"},
    {"role": "assistant",
     "content": "Well, technically vertically out from the center of the earth."},
    {"role": "user", "content": "Haha. Good one."},
]
PAYLOAD: dict[str, Any] = {"model": "Hermes-2-Pro-Llama-3-8B", "messages": MESSAGES,
                           "max_tokens": 500, "temperature": 0.1, "stream": True}


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- running a scenario through either client ---------------------------------------

Call = Callable[[Any], Any]  # client -> iterator (sync) / async iterator (async)


def drive(mode: str, url: str, calls: Sequence[Call], sinks: Sequence[list[Any]],
          **client_kw: Any) -> None:
    """Run each call on ONE client, appending what it yields to its sink.

    An exception propagates after the items yielded before it were appended,
    so ``with pytest.raises(...)`` around this keeps the partial results.
    """
    client_kw.setdefault("timeout", TIMEOUT)
    if mode == "sync":
        with sseproto.Client(url, **client_kw) as client:
            for call, sink in zip(calls, sinks, strict=True):
                for item in call(client):
                    sink.append(item)
        return

    async def main() -> None:
        async with sseproto.AsyncClient(url, **client_kw) as client:
            for call, sink in zip(calls, sinks, strict=True):
                stream = call(client)
                assert hasattr(stream, "__aiter__"), (
                    f"expected an async iterator, got {type(stream).__name__}")
                async for item in stream:
                    sink.append(item)

    asyncio.run(asyncio.wait_for(main(), ASYNC_LIMIT))


def collect(mode: str, url: str, call: Call, sink: list[Any] | None = None,
            **client_kw: Any) -> list[Any]:
    out: list[Any] = [] if sink is None else sink
    drive(mode, url, [call], [out], **client_kw)
    return out


def chat(payload: dict[str, Any] = PAYLOAD, **kw: Any) -> Call:
    return lambda client: client.stream_chat(payload, **kw)


def sdk(**params: Any) -> Call:
    merged = {"model": PAYLOAD["model"], "messages": MESSAGES, "max_tokens": 500,
              "temperature": 0.1, "stream": True, **params}
    return lambda client: client.chat.completions.create(**merged)


def reference(body: bytes, *, close: bool = True) -> list[Any]:
    """What the sans-IO decoder makes of ``body`` fed in one piece."""
    decoder = ChatStreamDecoder()
    events = list(decoder.feed(body))
    if close:
        events += decoder.close()
    return events


def events_prefix(body: bytes, count: int) -> bytes:
    """The first ``count`` blank-line-terminated events of a well-formed stream."""
    blocks = body.split(b"\n\n")
    return b"".join(block + b"\n\n" for block in blocks[:count])


def check_seed(events: Sequence[Any]) -> None:
    assert [type(ev) for ev in events] == [Delta, Delta, Final, Done], events
    first, empty, final, _ = events
    assert first.content == " past"
    assert empty.content is None
    assert final.generated_text.startswith("Thanks, I try")
    assert final.finish_reason == "stop"
    assert list(events) == reference(SEED)


# -- what the servers send ----------------------------------------------------------------

Respond = Callable[[bytes], Iterable[bytes | float | None]]
SSE_TYPE = "text/event-stream"


def replay(source: Transcript | bytes, *faults: Fault,
           tls: ssl.SSLContext | None = None) -> ReplayServer:
    """The replay server, sending ``source`` in irregular timed writes (speed 1)."""
    transcript = source if isinstance(source, Transcript) else stream(source)
    return ReplayServer(transcript, speed=1, faults=faults, ssl_context=tls)


def stalled(body: bytes, seconds: float = 10.0) -> Route:
    """``body``, then silence for ``seconds`` before the end of the response."""
    return Route(stream(body), (Fault("stall", seconds, len(body)),))


def sequence(*routes: Route) -> Router:
    """Each route for one request in turn; the last one serves the rest."""
    used = itertools.count()
    return lambda request: routes[min(next(used), len(routes) - 1)]


def chunked_sse(body: bytes) -> Respond:
    head = response_head(content_type=SSE_TYPE, transfer_encoding="chunked")
    return lambda request: [head, *chunked(body)]


def content_length(body: bytes, sent: int | None = None) -> Respond:
    """An SSE response framed by Content-Length (of which only ``sent`` bytes come)."""
    head = response_head(content_type=SSE_TYPE, content_length=str(len(body)))
    return lambda request: [head, *pieces(body[:sent]), 0.02]


def close_delimited(body: bytes) -> Respond:
    """Neither length nor chunking: the body ends when the connection closes."""
    head = response_head(content_type=SSE_TYPE, connection="close")
    return lambda request: [head, *pieces(body)]


def compressed(body: bytes, encoding: str, *, is_chunked: bool) -> Respond:
    """``gzip``, ``deflate`` (zlib-wrapped, RFC 9110) or ``raw-deflate`` labelled deflate."""
    if encoding == "gzip":
        data = gzip.compress(body)
    elif encoding == "deflate":
        data = zlib.compress(body)
    else:
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        data = packer.compress(body) + packer.flush()
    framing = {"transfer_encoding": "chunked"} if is_chunked else {
        "content_length": str(len(data))}
    head = response_head(content_type=SSE_TYPE, content_encoding=encoding.removeprefix("raw-"),
                         **framing)
    return lambda request: [head, *(chunked(data) if is_chunked else pieces(data))]


# -- the seed stream ------------------------------------------------------------------


def test_seed_stream_over_irregular_chunks(mode: str) -> None:
    with replay(SEED) as srv:
        check_seed(collect(mode, srv.url, chat()))


def test_seed_stream_over_tls(mode: str, tls_contexts: TLSContexts) -> None:
    with replay(SEED, tls=tls_contexts.server) as srv:
        assert srv.url.startswith("https://127.0.0.1:")
        check_seed(collect(mode, srv.url, chat(), ssl_context=tls_contexts.client))


@pytest.mark.parametrize("respond", [content_length, close_delimited],
                         ids=["content-length", "close-delimited"])
def test_seed_stream_other_framings(mode: str, respond: Callable[[bytes], Respond]) -> None:
    with RawServer(respond(SEED)) as srv:
        check_seed(collect(mode, srv.url, chat()))


def test_openai_stream_over_bytewise_chunks(mode: str) -> None:
    with replay(OPENAI, Fault("bytewise")) as srv:
        events = collect(mode, srv.url, chat())
    assert events == reference(OPENAI)
    text = "".join(ev.content or "" for ev in events if isinstance(ev, Delta))
    assert text == "Hello! Server-Sent Events stream one token at a time — 好 🙂"
    assert isinstance(events[-1], Done)


def test_seed_sdk_shape_sync(capsys: pytest.CaptureFixture[str]) -> None:
    messages = MESSAGES
    with replay(SEED) as srv:
        client = sseproto.Client(srv.url + "/v1", api_key="<api key>", timeout=TIMEOUT)
        chunks = []
        # The seed's loop, verbatim.
        for res in client.chat.completions.create(
            model="Hermes-2-Pro-Llama-3-8B",
            messages=messages,
            max_tokens=500,
            temperature=0.1,
            stream=True
        ):
            chunks.append(res)
            print(res["data"]["choices"][0]["delta"]["content"], end='')
        client.close()
    assert capsys.readouterr().out == " past"
    check_sdk_chunks(chunks)


def test_seed_sdk_shape_async(capsys: pytest.CaptureFixture[str]) -> None:
    messages = MESSAGES
    chunks: list[Any] = []

    async def main(url: str) -> None:
        async with sseproto.AsyncClient(url, api_key="<api key>", timeout=TIMEOUT) as client:
            async for res in client.chat.completions.create(
                model="Hermes-2-Pro-Llama-3-8B",
                messages=messages,
                max_tokens=500,
                temperature=0.1,
                stream=True
            ):
                chunks.append(res)
                print(res["data"]["choices"][0]["delta"]["content"], end='')

    with replay(SEED) as srv:
        asyncio.run(asyncio.wait_for(main(srv.url + "/v1"), ASYNC_LIMIT))
    assert capsys.readouterr().out == " past"
    check_sdk_chunks(chunks)


def check_sdk_chunks(chunks: Sequence[Any]) -> None:
    assert len(chunks) == 2
    assert all(set(chunk) == {"data"} for chunk in chunks)
    first, last = (chunk["data"]["choices"][0] for chunk in chunks)
    assert first["delta"]["content"] == " past"
    assert last["delta"] == {"content": ""}
    assert last["generated_text"].startswith("Thanks, I try")
    assert last["finish_reason"] == "stop"
    assert chunks[0]["data"]["id"] == "chat-sr48TCgumnYx0cdV342eQz4uD9PpI"


def test_sdk_create_sends_the_payload(mode: str) -> None:
    with replay(SEED) as srv:
        chunks = collect(mode, srv.url + "/v1", sdk())
        (request,) = srv.requests
    assert len(chunks) == 2
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.json == PAYLOAD


def test_sdk_create_without_stream_returns_the_response(mode: str) -> None:
    completion = {"id": "chat-1", "object": "chat.completion", "model": "m",
                  "choices": [{"index": 0, "finish_reason": "stop",
                               "message": {"role": "assistant", "content": "Hi"}}]}
    with replay(json_response(200, completion)) as srv:
        if mode == "sync":
            with sseproto.Client(srv.url + "/v1", timeout=TIMEOUT) as client:
                result = client.chat.completions.create(model="m", messages=MESSAGES)
        else:
            async def main() -> Any:
                async with sseproto.AsyncClient(srv.url + "/v1", timeout=TIMEOUT) as client:
                    return await client.chat.completions.create(model="m", messages=MESSAGES)

            result = asyncio.run(asyncio.wait_for(main(), ASYNC_LIMIT))
        (request,) = srv.requests
    assert result == completion
    assert request.json == {"model": "m", "messages": MESSAGES}


# -- the request ------------------------------------------------------------------------


def test_request_shape(mode: str) -> None:
    with replay(SEED) as srv:
        collect(mode, srv.url + "/v1", chat(), api_key="KEY")
        (request,) = srv.requests
        host = srv.url.removeprefix("http://")
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    headers = request.headers
    assert headers["host"] == host
    assert headers["content-type"].split(";")[0].strip() == "application/json"
    assert "text/event-stream" in headers["accept"]
    assert headers["authorization"] == "Bearer KEY"
    assert "sseproto" in headers["user-agent"].lower()
    assert request.json == PAYLOAD
    assert int(headers["content-length"]) == len(request.body)


def test_custom_path(mode: str) -> None:
    with replay(SEED) as srv:
        collect(mode, srv.url + "/v1", chat(path="/completions"))
    assert srv.requests[0].path == "/v1/completions"


@pytest.mark.parametrize("variable", ["SSEPROTO_API_KEY", "PREDICTIONGUARD_API_KEY"])
def test_api_key_from_environment(mode: str, variable: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, "env-key")
    with replay(SEED) as srv:
        collect(mode, srv.url, chat())
        collect(mode, srv.url, chat(), api_key="explicit")
    assert srv.requests[0].headers["authorization"] == "Bearer env-key"
    assert srv.requests[1].headers["authorization"] == "Bearer explicit"


def test_no_api_key_no_authorization_header(mode: str) -> None:
    with replay(SEED) as srv:
        collect(mode, srv.url, chat())
    assert "authorization" not in srv.requests[0].headers


# -- error responses ------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("call", [chat(), sdk()], ids=["stream_chat", "create"])
def test_401_raises_http_status_error(mode: str, chunked: bool, call: Call) -> None:
    events: list[Any] = []
    body = orjson.dumps(AUTH_ERROR)
    head = response_head(401, content_type="application/json", content_length=str(len(body)))
    server = replay(unauthorized()) if chunked else RawServer(lambda request: [head + body])
    with server as srv, pytest.raises(sseproto.HTTPStatusError) as info:
        collect(mode, srv.url, call, events, api_key="wrong")
    assert events == []
    error = info.value
    assert error.status_code == 401
    assert error.body == AUTH_ERROR
    assert error.body["error"]["message"] == "Invalid API key"
    assert "Invalid API key" in str(error)
    assert not isinstance(error, sseproto.ProtocolError)  # (v2) a status is no protocol error


def test_200_with_json_content_type_is_a_protocol_error(mode: str) -> None:
    events: list[Any] = []
    with replay(wrong_content_type()) as srv, \
            pytest.raises(sseproto.RemoteProtocolError) as info:
        collect(mode, srv.url, chat(), events)
    assert events == []
    assert not isinstance(info.value, ValueError)  # not a JSON parse error from deep inside
    assert "application/json" in str(info.value)


def test_stream_error_event_ends_stream_chat(mode: str) -> None:
    first = events_prefix(OPENAI, 2)
    error = b'data: {"error": {"message": "overloaded", "type": "server_error", "code": null}}\n\n'
    with replay(first + error + events_prefix(OPENAI, 5)[len(first):]) as srv:
        events = collect(mode, srv.url, chat())
    assert events[:-1] == reference(first, close=False)
    assert isinstance(events[-1], StreamError)
    assert events[-1].message == "overloaded"
    assert events[-1].type == "server_error"


def test_stream_error_event_raises_in_sdk_create(mode: str) -> None:
    first = events_prefix(OPENAI, 2)
    error = b'data: {"error": {"message": "overloaded", "type": "server_error", "code": null}}\n\n'
    chunks: list[Any] = []
    with replay(first + error) as srv, \
            pytest.raises(sseproto.RemoteProtocolError, match="overloaded"):
        collect(mode, srv.url, sdk(), chunks)
    assert len(chunks) == 2


# -- streams cut short -----------------------------------------------------------------

# Mid-way through the JSON of the 5th event of the OpenAI sample.
CUT = len(events_prefix(OPENAI, 4)) + 60


def cut_mid_chunk(request: bytes) -> list[bytes | float | None]:
    """The last chunk's size announces the whole rest of the body; 20 bytes of it come."""
    split = CUT - 20
    head = response_head(content_type=SSE_TYPE, transfer_encoding="chunked")
    return [head, *chunked(OPENAI[:split])[:-1],
            b"%x\r\n%s" % (len(OPENAI) - split, OPENAI[split:CUT]), 0.02]


@pytest.mark.parametrize("server", [
    lambda: replay(OPENAI, Fault("cut", CUT)),
    lambda: RawServer(cut_mid_chunk),
    lambda: RawServer(content_length(OPENAI, CUT)),
], ids=["chunked", "chunked-mid-chunk", "content-length"])
def test_cut_body_yields_events_then_raises_incomplete(mode: str, server: Any) -> None:
    expected = reference(OPENAI[:CUT], close=False)
    assert len(expected) == 4
    events: list[Any] = []
    with server() as srv, pytest.raises(sseproto.IncompleteStream):
        collect(mode, srv.url, chat(), events)
    assert events == expected


def test_cut_body_in_stream_sse_raises_incomplete(mode: str) -> None:
    events: list[Any] = []
    with replay(OPENAI, Fault("cut", CUT)) as srv, \
            pytest.raises(sseproto.IncompleteStream):
        collect(mode, srv.url, lambda c: c.stream_sse("POST", "/chat/completions",
                                                      json=PAYLOAD), events)
    assert [ev.data for ev in events] == [
        block.removeprefix(b"data: ").decode() for block in OPENAI[:CUT].split(b"\n\n")[:4]]


@pytest.mark.parametrize("server", [
    lambda body: replay(body),
    lambda body: RawServer(content_length(body)),
    lambda body: RawServer(close_delimited(body)),
], ids=["chunked", "content-length", "close-delimited"])
def test_chat_without_done_or_finish_reason_is_incomplete(mode: str, server: Any) -> None:
    body = events_prefix(OPENAI, 6)
    expected = reference(body)
    assert len(expected) == 6 and all(isinstance(ev, Delta) for ev in expected)
    events: list[Any] = []
    with server(body) as srv, pytest.raises(sseproto.IncompleteStream):
        collect(mode, srv.url, chat(), events)
    assert events == expected


def test_stall_raises_timeout_after_the_events(mode: str) -> None:
    body = events_prefix(OPENAI, 3)
    events: list[Any] = []
    started = time.monotonic()
    with ReplayServer(None, router=sequence(stalled(body))) as srv, \
            pytest.raises(sseproto.Timeout):
        collect(mode, srv.url, chat(), events, timeout=0.5)
    assert time.monotonic() - started < 5.0
    assert events == reference(body, close=False)
    assert isinstance(sseproto.Timeout("x"), sseproto.TransportError)


def test_reset_raises_after_the_events(mode: str) -> None:
    body = events_prefix(OPENAI, 3)
    events: list[Any] = []
    head = response_head(content_type=SSE_TYPE, transfer_encoding="chunked")
    reset = RawServer(lambda request: [head, *chunked(body)[:-1], 0.3, RESET])
    with reset as srv, pytest.raises(sseproto.Error) as info:
        collect(mode, srv.url, chat(), events)
    assert isinstance(info.value, sseproto.TransportError | sseproto.IncompleteStream)
    assert events == reference(body, close=False)


# -- encodings ----------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_bodies(mode: str, encoding: str, chunked: bool) -> None:
    with RawServer(compressed(SEED, encoding, is_chunked=chunked)) as srv:
        check_seed(collect(mode, srv.url, chat()))
    with RawServer(compressed(OPENAI, encoding, is_chunked=chunked)) as srv:
        assert collect(mode, srv.url, chat()) == reference(OPENAI)


# -- TLS ----------------------------------------------------------------------------------


def test_untrusted_certificate_is_rejected(mode: str, tls_contexts: TLSContexts) -> None:
    events: list[Any] = []
    with replay(SEED, tls=tls_contexts.server) as srv, \
            pytest.raises(sseproto.TLSError) as info:
        collect(mode, srv.url, chat(), events, ssl_context=tls_contexts.other_client)
    assert events == []
    assert "127.0.0.1" in str(info.value)
    assert srv.requests == []


def test_certificate_from_another_ca_is_rejected(mode: str, tls_contexts: TLSContexts) -> None:
    with replay(SEED, tls=tls_contexts.other_server) as srv, \
            pytest.raises(sseproto.TLSError, match=r"127\.0\.0\.1"):
        collect(mode, srv.url, chat(), ssl_context=tls_contexts.client)
    assert srv.requests == []


def test_default_context_verifies(mode: str, tls_contexts: TLSContexts) -> None:
    with replay(SEED, tls=tls_contexts.server) as srv, \
            pytest.raises(sseproto.TLSError, match=r"127\.0\.0\.1"):
        collect(mode, srv.url, chat())  # ssl_context=None: system trust store
    assert srv.requests == []


# -- connections --------------------------------------------------------------------------


@pytest.mark.parametrize("respond", [chunked_sse, content_length],
                         ids=["chunked", "content-length"])
def test_keep_alive_reuses_one_connection(mode: str, respond: Any) -> None:
    first: list[Any] = []
    second: list[Any] = []
    with RawServer(respond(SEED), keep_alive=True) as srv:
        drive(mode, srv.url, [chat(), chat()], [first, second])
        assert len(srv.heads) == 2
        assert srv.connections == 1
    check_seed(first)
    check_seed(second)


def test_keep_alive_over_tls(mode: str, tls_contexts: TLSContexts) -> None:
    sinks: list[list[Any]] = [[], [], []]
    with RawServer(chunked_sse(SEED), keep_alive=True, ssl_context=tls_contexts.server) as srv:
        drive(mode, srv.url, [chat()] * 3, sinks, ssl_context=tls_contexts.client)
        assert srv.connections == 1
    for events in sinks:
        check_seed(events)


def test_close_delimited_body_needs_a_new_connection(mode: str) -> None:
    first: list[Any] = []
    second: list[Any] = []
    with RawServer(close_delimited(SEED)) as srv:
        drive(mode, srv.url, [chat(), chat()], [first, second])
        assert srv.connections == 2
    check_seed(first)
    check_seed(second)


def test_server_closing_an_idle_connection_is_retried(mode: str) -> None:
    """A kept-alive connection that the server closed meanwhile is replaced."""

    def later(client: Any) -> Any:
        time.sleep(0.2)  # the server's close reaches the idle connection meanwhile
        return client.stream_chat(PAYLOAD)

    first: list[Any] = []
    second: list[Any] = []
    # Content-Length framed, then closed without "Connection: close": the client cannot know.
    with RawServer(content_length(SEED)) as srv:
        drive(mode, srv.url, [chat(), later], [first, second])
        assert srv.connections == 2
    check_seed(first)
    check_seed(second)


def test_connection_refused(mode: str) -> None:
    port = closed_port()
    with pytest.raises(sseproto.ConnectError):
        collect(mode, f"http://127.0.0.1:{port}/v1", chat())


def test_an_error_response_does_not_break_the_next_request(mode: str) -> None:
    first: list[Any] = []
    second: list[Any] = []
    with ReplayServer(None, router=sequence(Route(unauthorized()), Route(stream(SEED)))) as srv:
        if mode == "sync":
            with sseproto.Client(srv.url, timeout=TIMEOUT) as client:
                with pytest.raises(sseproto.HTTPStatusError):
                    first.extend(client.stream_chat(PAYLOAD))
                second.extend(client.stream_chat(PAYLOAD))
        else:
            async def main() -> None:
                async with sseproto.AsyncClient(srv.url, timeout=TIMEOUT) as client:
                    with pytest.raises(sseproto.HTTPStatusError):
                        async for ev in client.stream_chat(PAYLOAD):
                            first.append(ev)
                    async for ev in client.stream_chat(PAYLOAD):
                        second.append(ev)

            asyncio.run(asyncio.wait_for(main(), ASYNC_LIMIT))
    assert first == []
    check_seed(second)


# -- raw SSE and reconnection -----------------------------------------------------------


@dataclass
class Resumable:
    """Numbered SSE events (``id: N``) that honour ``Last-Event-ID`` on reconnect.

    The first event carries ``retry: 10`` so a reconnecting client waits 10 ms.
    A response that reaches an id in ``drop_after`` is cut right after that
    event (a chunked body without its last chunk).  A request resuming after
    the last event gets ``204 No Content`` (WHATWG: stop reconnecting).
    """

    total: int = 5
    drop_after: frozenset[int] = frozenset({2})
    retry: int = 10
    #: The ``Last-Event-ID`` header of every request (``None`` when absent).
    last_event_ids: list[str | None] = field(default_factory=list)

    @staticmethod
    def event(number: int, retry: int | None = None) -> bytes:
        prefix = f"retry: {retry}\n" if retry is not None else ""
        return f"{prefix}id: {number}\nevent: tick\ndata: event {number}\n\n".encode()

    def __call__(self, request: ReceivedRequest) -> Route:
        last = request.headers.get("last-event-id")
        self.last_event_ids.append(last)
        start = int(last) + 1 if last else 1
        if start > self.total:
            return Route(Transcript(status=204, reason="No Content", headers={}))
        body = b""
        for number in range(start, self.total + 1):
            body += self.event(number, self.retry if number == start else None)
            if number in self.drop_after and number != self.total:
                return Route(stream(body), (Fault("cut", len(body)),))
        return Route(stream(body))


def test_stream_sse_yields_server_sent_events(mode: str) -> None:
    with replay(OPENAI) as srv:
        events = collect(mode, srv.url, lambda c: c.stream_sse("POST", "/chat/completions",
                                                                json=PAYLOAD))
        (request,) = srv.requests
    assert all(isinstance(ev, sseproto.ServerSentEvent) for ev in events)
    assert len(events) == 18
    assert events[-1].data == "[DONE]"
    assert json.loads(events[0].data)["choices"][0]["delta"]["role"] == "assistant"
    assert request.json == PAYLOAD


def test_stream_sse_sends_extra_headers(mode: str) -> None:
    with ReplayServer(None, router=Resumable(drop_after=frozenset())) as srv:
        events = collect(mode, srv.url,
                         lambda c: c.stream_sse("GET", "/events", headers={"X-Test": "yes"}))
        (request,) = srv.requests
    assert [ev.id for ev in events] == ["1", "2", "3", "4", "5"]
    assert request.method == "GET"
    assert request.path == "/events"
    assert request.headers["x-test"] == "yes"
    assert request.body == b""


def test_stream_sse_reconnects_with_last_event_id(mode: str) -> None:
    script = Resumable(total=5, drop_after=frozenset({2}))
    started = time.monotonic()
    with ReplayServer(None, router=script) as srv:
        events = collect(mode, srv.url,
                         lambda c: c.stream_sse("GET", "/events", reconnect=True))
        requests = list(srv.requests)
    assert time.monotonic() - started < 5.0  # retry: 10 ms was honoured
    assert [ev.id for ev in events] == ["1", "2", "3", "4", "5"]
    assert [ev.data for ev in events] == [f"event {n}" for n in range(1, 6)]
    assert all(ev.event == "tick" for ev in events)
    assert events[0].retry == 10
    assert "last-event-id" not in requests[0].headers
    assert requests[1].headers["last-event-id"] == "2"
    assert script.last_event_ids[:2] == [None, "2"]


def test_stream_sse_stops_reconnecting_on_204(mode: str) -> None:
    """WHATWG EventSource: a 204 No Content answer means "stop reconnecting"."""
    script = Resumable(total=5, drop_after=frozenset({2}))
    with ReplayServer(None, router=script) as srv:
        events = collect(mode, srv.url,
                         lambda c: c.stream_sse("GET", "/events", reconnect=True,
                                                max_attempts=10))
    assert len(events) == 5
    assert script.last_event_ids == [None, "2", "5"]


def test_stream_sse_gives_up_after_max_attempts(mode: str) -> None:
    script = Resumable(total=10, drop_after=frozenset(range(1, 11)))
    events: list[Any] = []
    with ReplayServer(None, router=script) as srv, pytest.raises(sseproto.IncompleteStream):
        collect(mode, srv.url,
                lambda c: c.stream_sse("GET", "/events", reconnect=True, max_attempts=2),
                events)
    assert [ev.id for ev in events] == ["1", "2", "3"]
    assert script.last_event_ids == [None, "1", "2"]


def test_stream_sse_without_reconnect_raises_on_drop(mode: str) -> None:
    script = Resumable(total=5, drop_after=frozenset({2}))
    events: list[Any] = []
    with ReplayServer(None, router=script) as srv, pytest.raises(sseproto.IncompleteStream):
        collect(mode, srv.url, lambda c: c.stream_sse("GET", "/events"), events)
    assert [ev.id for ev in events] == ["1", "2"]
    assert script.last_event_ids == [None]


# -- leaving early -------------------------------------------------------------------------


def test_sync_break_and_close_does_not_hang() -> None:
    started = time.monotonic()
    with ReplayServer(None, router=sequence(stalled(events_prefix(OPENAI, 3)))) as srv:
        client = sseproto.Client(srv.url, timeout=TIMEOUT)
        stream = client.stream_chat(PAYLOAD)
        for event in stream:
            assert isinstance(event, Delta)
            break
        client.close()
        stream.close()
    assert time.monotonic() - started < 3.0


def test_async_break_and_close_does_not_hang() -> None:
    async def main(url: str) -> None:
        async with sseproto.AsyncClient(url, timeout=TIMEOUT) as client:
            async for event in client.stream_chat(PAYLOAD):
                assert isinstance(event, Delta)
                break

    started = time.monotonic()
    with ReplayServer(None, router=sequence(stalled(events_prefix(OPENAI, 3)))) as srv:
        asyncio.run(asyncio.wait_for(main(srv.url), 4.0))
    assert time.monotonic() - started < 3.0


def test_async_task_cancellation_does_not_hang() -> None:
    async def main(url: str) -> None:
        got_one = asyncio.Event()
        client = sseproto.AsyncClient(url, timeout=TIMEOUT)

        async def consume() -> None:
            async for _ in client.stream_chat(PAYLOAD):
                got_one.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(got_one.wait(), 2.0)
        await asyncio.sleep(0.05)  # the task is now blocked reading the stalled stream
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 2.0)
        await asyncio.wait_for(client.aclose(), 2.0)

    started = time.monotonic()
    with ReplayServer(None, router=sequence(stalled(events_prefix(OPENAI, 3)))) as srv:
        asyncio.run(asyncio.wait_for(main(srv.url), 6.0))
    assert time.monotonic() - started < 4.0


def test_async_client_reusable_after_cancellation() -> None:
    """A stream cancelled mid-way must not leave a half-read connection for the next call."""

    async def main(url: str) -> list[Any]:
        async with sseproto.AsyncClient(url, timeout=TIMEOUT) as client:
            async for _ in client.stream_chat(PAYLOAD):
                break
            return [ev async for ev in client.stream_chat(PAYLOAD)]

    with ReplayServer(None, router=sequence(stalled(events_prefix(OPENAI, 3)),
                                            Route(stream(SEED)))) as srv:
        events = asyncio.run(asyncio.wait_for(main(srv.url), 6.0))
    check_seed(events)


def test_sync_client_reusable_while_an_abandoned_stream_is_still_open() -> None:
    """The sync twin: a stream left unfinished (still referenced) must not poison the next call."""
    router = sequence(stalled(events_prefix(OPENAI, 3)), Route(stream(SEED)))
    with ReplayServer(None, router=router) as srv, \
            sseproto.Client(srv.url, timeout=TIMEOUT) as client:
        abandoned = client.stream_chat(PAYLOAD)
        for _ in abandoned:
            break
        events = list(client.stream_chat(PAYLOAD))
        abandoned.close()
    check_seed(events)


def test_async_sdk_create_can_also_be_awaited_like_openai() -> None:
    async def main(url: str) -> list[Any]:
        async with sseproto.AsyncClient(url, timeout=TIMEOUT) as client:
            stream = await client.chat.completions.create(
                model="m", messages=MESSAGES, stream=True)
            return [res async for res in stream]

    with replay(SEED) as srv:
        chunks = asyncio.run(asyncio.wait_for(main(srv.url), ASYNC_LIMIT))
    check_sdk_chunks(chunks)


def test_finalizing_an_abandoned_stream_late_spares_the_next_one(mode: str) -> None:
    """Closing the abandoned stream while a newer one is mid-way must not cut the newer one."""
    head = response_head(content_type=SSE_TYPE, transfer_encoding="chunked")
    used = itertools.count()

    def respond(request: bytes) -> list[bytes | float | None]:
        if next(used):
            return [head, *chunked(OPENAI)]
        return [head, *chunked(events_prefix(OPENAI, 3))[:-1], 10.0]  # then silence

    events: list[Any] = []
    with RawServer(respond, keep_alive=True) as srv:
        if mode == "sync":
            with sseproto.Client(srv.url, timeout=TIMEOUT) as client:
                abandoned = client.stream_chat(PAYLOAD)
                next(abandoned)
                current = client.stream_chat(PAYLOAD)
                events.append(next(current))
                abandoned.close()
                events.extend(current)
        else:
            async def main() -> None:
                async with sseproto.AsyncClient(srv.url, timeout=TIMEOUT) as client:
                    abandoned = client.stream_chat(PAYLOAD)
                    await abandoned.__anext__()
                    current = client.stream_chat(PAYLOAD)
                    events.append(await current.__anext__())
                    await abandoned.aclose()
                    events.extend([ev async for ev in current])

            asyncio.run(asyncio.wait_for(main(), ASYNC_LIMIT))
        assert srv.connections == 2
    assert events == reference(OPENAI)
