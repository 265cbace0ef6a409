"""Client and AsyncClient against real loopback servers (tests/servers.py).

Every behavioural test runs twice, through ``sseproto.Client`` and through
``sseproto.AsyncClient`` (the ``mode`` fixture).  Nothing talks to anything
but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import sseproto
from sseproto import ChatStreamDecoder, Delta, Done, Final, StreamError
from tests.servers import (
    AUTH_ERROR,
    OPENAI,
    SEED,
    ResumableEvents,
    ScriptedServer,
    TLSContexts,
    closed_port,
    cut_chunked,
    cut_content_length,
    json_response,
    reset_after,
    sequence,
    sse_chunked,
    sse_close_delimited,
    sse_content_length,
    sse_encoded,
    stall,
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


# -- the seed stream ------------------------------------------------------------------


def test_seed_stream_over_irregular_chunks(mode: str) -> None:
    with ScriptedServer(sse_chunked(SEED)) as srv:
        check_seed(collect(mode, srv.url, chat()))


def test_seed_stream_over_tls(mode: str, tls_contexts: TLSContexts) -> None:
    with ScriptedServer(sse_chunked(SEED), tls=tls_contexts.server) as srv:
        assert srv.url.startswith("https://127.0.0.1:")
        check_seed(collect(mode, srv.url, chat(), ssl_context=tls_contexts.client))


@pytest.mark.parametrize("handler", [sse_content_length, sse_close_delimited],
                         ids=["content-length", "close-delimited"])
def test_seed_stream_other_framings(mode: str, handler: Callable[[bytes], Any]) -> None:
    with ScriptedServer(handler(SEED)) as srv:
        check_seed(collect(mode, srv.url, chat()))


def test_openai_stream_over_bytewise_chunks(mode: str) -> None:
    with ScriptedServer(sse_chunked(OPENAI, sizes=(1,), pause=0)) as srv:
        events = collect(mode, srv.url, chat())
    assert events == reference(OPENAI)
    text = "".join(ev.content or "" for ev in events if isinstance(ev, Delta))
    assert text == "Hello! Server-Sent Events stream one token at a time — 好 🙂"
    assert isinstance(events[-1], Done)


def test_seed_sdk_shape_sync(capsys: pytest.CaptureFixture[str]) -> None:
    messages = MESSAGES
    with ScriptedServer(sse_chunked(SEED), base_path="/v1") as srv:
        client = sseproto.Client(srv.url, api_key="<api key>", timeout=TIMEOUT)
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

    with ScriptedServer(sse_chunked(SEED), base_path="/v1") as srv:
        asyncio.run(asyncio.wait_for(main(srv.url), ASYNC_LIMIT))
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
    with ScriptedServer(sse_chunked(SEED), base_path="/v1") as srv:
        chunks = collect(mode, srv.url, sdk())
        (request,) = srv.requests
    assert len(chunks) == 2
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.json() == PAYLOAD


def test_sdk_create_without_stream_returns_the_response(mode: str) -> None:
    completion = {"id": "chat-1", "object": "chat.completion", "model": "m",
                  "choices": [{"index": 0, "finish_reason": "stop",
                               "message": {"role": "assistant", "content": "Hi"}}]}
    with ScriptedServer(json_response(200, completion), base_path="/v1") as srv:
        if mode == "sync":
            with sseproto.Client(srv.url, timeout=TIMEOUT) as client:
                result = client.chat.completions.create(model="m", messages=MESSAGES)
        else:
            async def main() -> Any:
                async with sseproto.AsyncClient(srv.url, timeout=TIMEOUT) as client:
                    return await client.chat.completions.create(model="m", messages=MESSAGES)

            result = asyncio.run(asyncio.wait_for(main(), ASYNC_LIMIT))
        (request,) = srv.requests
    assert result == completion
    assert request.json() == {"model": "m", "messages": MESSAGES}


# -- the request ------------------------------------------------------------------------


def test_request_shape(mode: str) -> None:
    with ScriptedServer(sse_chunked(SEED), base_path="/v1") as srv:
        collect(mode, srv.url, chat(), api_key="KEY")
        (request,) = srv.requests
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.version == "HTTP/1.1"
    headers = request.headers
    assert headers["host"] == f"127.0.0.1:{srv.port}"
    assert headers["content-type"].split(";")[0].strip() == "application/json"
    assert "text/event-stream" in headers["accept"]
    assert headers["authorization"] == "Bearer KEY"
    assert "sseproto" in headers["user-agent"].lower()
    assert request.json() == PAYLOAD
    assert int(headers["content-length"]) == len(request.body)


def test_custom_path(mode: str) -> None:
    with ScriptedServer(sse_chunked(SEED), base_path="/v1") as srv:
        collect(mode, srv.url, chat(path="/completions"))
    assert srv.requests[0].path == "/v1/completions"


@pytest.mark.parametrize("variable", ["SSEPROTO_API_KEY", "PREDICTIONGUARD_API_KEY"])
def test_api_key_from_environment(mode: str, variable: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, "env-key")
    with ScriptedServer(sse_chunked(SEED)) as srv:
        collect(mode, srv.url, chat())
        collect(mode, srv.url, chat(), api_key="explicit")
    assert srv.requests[0].headers["authorization"] == "Bearer env-key"
    assert srv.requests[1].headers["authorization"] == "Bearer explicit"


def test_no_api_key_no_authorization_header(mode: str) -> None:
    with ScriptedServer(sse_chunked(SEED)) as srv:
        collect(mode, srv.url, chat())
    assert "authorization" not in srv.requests[0].headers


# -- error responses ------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("call", [chat(), sdk()], ids=["stream_chat", "create"])
def test_401_raises_http_status_error(mode: str, chunked: bool, call: Call) -> None:
    events: list[Any] = []
    with ScriptedServer(unauthorized(chunked=chunked)) as srv, \
            pytest.raises(sseproto.HTTPStatusError) as info:
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
    with ScriptedServer(wrong_content_type()) as srv, \
            pytest.raises(sseproto.RemoteProtocolError) as info:
        collect(mode, srv.url, chat(), events)
    assert events == []
    assert not isinstance(info.value, ValueError)  # not a JSON parse error from deep inside
    assert "application/json" in str(info.value)


def test_stream_error_event_ends_stream_chat(mode: str) -> None:
    first = events_prefix(OPENAI, 2)
    error = b'data: {"error": {"message": "overloaded", "type": "server_error", "code": null}}\n\n'
    with ScriptedServer(sse_chunked(first + error + events_prefix(OPENAI, 5)[len(first):])) as srv:
        events = collect(mode, srv.url, chat())
    assert events[:-1] == reference(first, close=False)
    assert isinstance(events[-1], StreamError)
    assert events[-1].message == "overloaded"
    assert events[-1].type == "server_error"


def test_stream_error_event_raises_in_sdk_create(mode: str) -> None:
    first = events_prefix(OPENAI, 2)
    error = b'data: {"error": {"message": "overloaded", "type": "server_error", "code": null}}\n\n'
    chunks: list[Any] = []
    with ScriptedServer(sse_chunked(first + error)) as srv, \
            pytest.raises(sseproto.RemoteProtocolError, match="overloaded"):
        collect(mode, srv.url, sdk(), chunks)
    assert len(chunks) == 2


# -- streams cut short -----------------------------------------------------------------

# Mid-way through the JSON of the 5th event of the OpenAI sample.
CUT = len(events_prefix(OPENAI, 4)) + 60


@pytest.mark.parametrize("handler", [
    cut_chunked(OPENAI, CUT),
    cut_chunked(OPENAI, CUT, mid_chunk=True),
    cut_content_length(OPENAI, CUT),
], ids=["chunked", "chunked-mid-chunk", "content-length"])
def test_cut_body_yields_events_then_raises_incomplete(mode: str, handler: Any) -> None:
    expected = reference(OPENAI[:CUT], close=False)
    assert len(expected) == 4
    events: list[Any] = []
    with ScriptedServer(handler) as srv, pytest.raises(sseproto.IncompleteStream):
        collect(mode, srv.url, chat(), events)
    assert events == expected


def test_cut_body_in_stream_sse_raises_incomplete(mode: str) -> None:
    events: list[Any] = []
    with ScriptedServer(cut_chunked(OPENAI, CUT)) as srv, \
            pytest.raises(sseproto.IncompleteStream):
        collect(mode, srv.url, lambda c: c.stream_sse("POST", "/chat/completions",
                                                      json=PAYLOAD), events)
    assert [ev.data for ev in events] == [
        block.removeprefix(b"data: ").decode() for block in OPENAI[:CUT].split(b"\n\n")[:4]]


@pytest.mark.parametrize("handler", [sse_chunked, sse_content_length, sse_close_delimited],
                         ids=["chunked", "content-length", "close-delimited"])
def test_chat_without_done_or_finish_reason_is_incomplete(mode: str, handler: Any) -> None:
    body = events_prefix(OPENAI, 6)
    expected = reference(body)
    assert len(expected) == 6 and all(isinstance(ev, Delta) for ev in expected)
    events: list[Any] = []
    with ScriptedServer(handler(body)) as srv, pytest.raises(sseproto.IncompleteStream):
        collect(mode, srv.url, chat(), events)
    assert events == expected


def test_stall_raises_timeout_after_the_events(mode: str) -> None:
    body = events_prefix(OPENAI, 3)
    events: list[Any] = []
    started = time.monotonic()
    with ScriptedServer(stall(body, 10.0)) as srv, pytest.raises(sseproto.Timeout):
        collect(mode, srv.url, chat(), events, timeout=0.5)
    assert time.monotonic() - started < 5.0
    assert events == reference(body, close=False)
    assert isinstance(sseproto.Timeout("x"), sseproto.TransportError)


def test_reset_raises_after_the_events(mode: str) -> None:
    body = events_prefix(OPENAI, 3)
    events: list[Any] = []
    with ScriptedServer(reset_after(body)) as srv, pytest.raises(sseproto.Error) as info:
        collect(mode, srv.url, chat(), events)
    assert isinstance(info.value, sseproto.TransportError | sseproto.IncompleteStream)
    assert events == reference(body, close=False)


# -- encodings ----------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_bodies(mode: str, encoding: str, chunked: bool) -> None:
    with ScriptedServer(sse_encoded(SEED, encoding, chunked=chunked)) as srv:
        check_seed(collect(mode, srv.url, chat()))
    with ScriptedServer(sse_encoded(OPENAI, encoding, chunked=chunked)) as srv:
        assert collect(mode, srv.url, chat()) == reference(OPENAI)


# -- TLS ----------------------------------------------------------------------------------


def test_untrusted_certificate_is_rejected(mode: str, tls_contexts: TLSContexts) -> None:
    events: list[Any] = []
    with ScriptedServer(sse_chunked(SEED), tls=tls_contexts.server) as srv, \
            pytest.raises(sseproto.TLSError) as info:
        collect(mode, srv.url, chat(), events, ssl_context=tls_contexts.other_client)
    assert events == []
    assert "127.0.0.1" in str(info.value)
    assert srv.requests == []


def test_certificate_from_another_ca_is_rejected(mode: str, tls_contexts: TLSContexts) -> None:
    with ScriptedServer(sse_chunked(SEED), tls=tls_contexts.other_server) as srv, \
            pytest.raises(sseproto.TLSError, match=r"127\.0\.0\.1"):
        collect(mode, srv.url, chat(), ssl_context=tls_contexts.client)
    assert srv.requests == []


def test_default_context_verifies(mode: str, tls_contexts: TLSContexts) -> None:
    with ScriptedServer(sse_chunked(SEED), tls=tls_contexts.server) as srv, \
            pytest.raises(sseproto.TLSError, match=r"127\.0\.0\.1"):
        collect(mode, srv.url, chat())  # ssl_context=None: system trust store
    assert srv.requests == []


# -- connections --------------------------------------------------------------------------


@pytest.mark.parametrize("handler", [sse_chunked, sse_content_length],
                         ids=["chunked", "content-length"])
def test_keep_alive_reuses_one_connection(mode: str, handler: Any) -> None:
    first: list[Any] = []
    second: list[Any] = []
    with ScriptedServer(handler(SEED)) as srv:
        drive(mode, srv.url, [chat(), chat()], [first, second])
        assert len(srv.requests) == 2
        assert srv.connections == 1
        assert srv.requests[1].connection == 1
    check_seed(first)
    check_seed(second)


def test_keep_alive_over_tls(mode: str, tls_contexts: TLSContexts) -> None:
    sinks: list[list[Any]] = [[], [], []]
    with ScriptedServer(sse_chunked(SEED), tls=tls_contexts.server) as srv:
        drive(mode, srv.url, [chat()] * 3, sinks, ssl_context=tls_contexts.client)
        assert srv.connections == 1
    for events in sinks:
        check_seed(events)


def test_close_delimited_body_needs_a_new_connection(mode: str) -> None:
    first: list[Any] = []
    second: list[Any] = []
    with ScriptedServer(sse_close_delimited(SEED)) as srv:
        drive(mode, srv.url, [chat(), chat()], [first, second])
        assert srv.connections == 2
    check_seed(first)
    check_seed(second)


def test_server_closing_an_idle_connection_is_retried(mode: str) -> None:
    """A kept-alive connection that the server closed meanwhile is replaced."""

    def once_then_close(request: Any, conn: Any) -> None:
        sse_content_length(SEED)(request, conn)
        conn.close()  # without "Connection: close": the client cannot know

    def later(client: Any) -> Any:
        time.sleep(0.2)  # the server's close reaches the idle connection meanwhile
        return client.stream_chat(PAYLOAD)

    first: list[Any] = []
    second: list[Any] = []
    with ScriptedServer(once_then_close) as srv:
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
    with ScriptedServer(sequence(unauthorized(), sse_chunked(SEED))) as srv:
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


def test_stream_sse_yields_server_sent_events(mode: str) -> None:
    with ScriptedServer(sse_chunked(OPENAI)) as srv:
        events = collect(mode, srv.url, lambda c: c.stream_sse("POST", "/chat/completions",
                                                                json=PAYLOAD))
        (request,) = srv.requests
    assert all(isinstance(ev, sseproto.ServerSentEvent) for ev in events)
    assert len(events) == 18
    assert events[-1].data == "[DONE]"
    assert json.loads(events[0].data)["choices"][0]["delta"]["role"] == "assistant"
    assert request.json() == PAYLOAD


def test_stream_sse_sends_extra_headers(mode: str) -> None:
    with ScriptedServer(ResumableEvents(drop_after=frozenset())) as srv:
        events = collect(mode, srv.url,
                         lambda c: c.stream_sse("GET", "/events", headers={"X-Test": "yes"}))
        (request,) = srv.requests
    assert [ev.id for ev in events] == ["1", "2", "3", "4", "5"]
    assert request.method == "GET"
    assert request.path == "/events"
    assert request.headers["x-test"] == "yes"
    assert request.body == b""


def test_stream_sse_reconnects_with_last_event_id(mode: str) -> None:
    script = ResumableEvents(total=5, drop_after=frozenset({2}))
    started = time.monotonic()
    with ScriptedServer(script) as srv:
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
    script = ResumableEvents(total=5, drop_after=frozenset({2}))
    with ScriptedServer(script) as srv:
        events = collect(mode, srv.url,
                         lambda c: c.stream_sse("GET", "/events", reconnect=True,
                                                max_attempts=10))
    assert len(events) == 5
    assert script.last_event_ids == [None, "2", "5"]


def test_stream_sse_gives_up_after_max_attempts(mode: str) -> None:
    script = ResumableEvents(total=10, drop_after=frozenset(range(1, 11)))
    events: list[Any] = []
    with ScriptedServer(script) as srv, pytest.raises(sseproto.IncompleteStream):
        collect(mode, srv.url,
                lambda c: c.stream_sse("GET", "/events", reconnect=True, max_attempts=2),
                events)
    assert [ev.id for ev in events] == ["1", "2", "3"]
    assert script.last_event_ids == [None, "1", "2"]


def test_stream_sse_without_reconnect_raises_on_drop(mode: str) -> None:
    script = ResumableEvents(total=5, drop_after=frozenset({2}))
    events: list[Any] = []
    with ScriptedServer(script) as srv, pytest.raises(sseproto.IncompleteStream):
        collect(mode, srv.url, lambda c: c.stream_sse("GET", "/events"), events)
    assert [ev.id for ev in events] == ["1", "2"]
    assert script.last_event_ids == [None]


# -- leaving early -------------------------------------------------------------------------


def test_sync_break_and_close_does_not_hang() -> None:
    started = time.monotonic()
    with ScriptedServer(stall(events_prefix(OPENAI, 3), 10.0)) as srv:
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
    with ScriptedServer(stall(events_prefix(OPENAI, 3), 10.0)) as srv:
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
    with ScriptedServer(stall(events_prefix(OPENAI, 3), 10.0)) as srv:
        asyncio.run(asyncio.wait_for(main(srv.url), 6.0))
    assert time.monotonic() - started < 4.0


def test_async_client_reusable_after_cancellation() -> None:
    """A stream cancelled mid-way must not leave a half-read connection for the next call."""

    async def main(url: str) -> list[Any]:
        async with sseproto.AsyncClient(url, timeout=TIMEOUT) as client:
            async for _ in client.stream_chat(PAYLOAD):
                break
            return [ev async for ev in client.stream_chat(PAYLOAD)]

    with ScriptedServer(sequence(stall(events_prefix(OPENAI, 3), 10.0),
                                 sse_chunked(SEED))) as srv:
        events = asyncio.run(asyncio.wait_for(main(srv.url), 6.0))
    check_seed(events)


def test_sync_client_reusable_while_an_abandoned_stream_is_still_open() -> None:
    """The sync twin: a stream left unfinished (still referenced) must not poison the next call."""
    handler = sequence(stall(events_prefix(OPENAI, 3), 10.0), sse_chunked(SEED))
    with ScriptedServer(handler) as srv, sseproto.Client(srv.url, timeout=TIMEOUT) as client:
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

    with ScriptedServer(sse_chunked(SEED)) as srv:
        chunks = asyncio.run(asyncio.wait_for(main(srv.url), ASYNC_LIMIT))
    check_sdk_chunks(chunks)


def test_finalizing_an_abandoned_stream_late_spares_the_next_one(mode: str) -> None:
    """Closing the abandoned stream while a newer one is mid-way must not cut the newer one."""
    handler = sequence(stall(events_prefix(OPENAI, 3), 10.0), sse_chunked(OPENAI))
    events: list[Any] = []
    with ScriptedServer(handler) as srv:
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
