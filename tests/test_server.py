"""The replay server, end to end over loopback sockets: clients, the openai SDK, TLS, faults."""

from __future__ import annotations

import asyncio
import gc
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import sseproto
from sseproto import server as server_module
from sseproto.server import Fault, Headers, ReceivedRequest, ReplayServer, parse_fault
from sseproto.testing import replay_server
from sseproto.transcript import Transcript, load, loads
from tests.helpers import ROOT
from tests.streams import OPENAI, SEED, TLSContexts

TRANSCRIPTS = ROOT / "spec" / "transcripts"
OPENAI_TEXT = "Hello! Server-Sent Events stream one token at a time — 好 🙂"
PAYLOAD = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
#: A wall-clock bound for each async run.
ASYNC_LIMIT = 5.0


def timed_transcript(body: bytes = OPENAI, size: int = 97, step: float = 0.01) -> Transcript:
    """``body`` cut into recorded chunks of ``size`` bytes, ``step`` seconds apart."""
    chunks = [(round(i / size * step, 6), body[i : i + size]) for i in range(0, len(body), size)]
    return Transcript(chunks=chunks, url="https://api.example.com/v1/chat/completions",
                      headers={"content-type": "text/event-stream; charset=utf-8",
                               "transfer-encoding": "chunked", "content-length": "1",
                               "content-encoding": "gzip", "x-request-id": "req-7"})


def offline(body: bytes, *, close: bool = True) -> list[sseproto.ChatEvent]:
    chat = sseproto.ChatStreamDecoder()
    events = chat.feed(body)
    return events + chat.close() if close else events


def text(events: list[Any]) -> str:
    return "".join(e.content or "" for e in events if isinstance(e, sseproto.Delta)
                   and e.index == 0)


# --- the two clients, as one shape ------------------------------------------------------

Outcome = tuple[list[sseproto.ChatEvent], BaseException | None]


def bare(exc: BaseException) -> BaseException:
    """``exc`` without the frames it holds (they would keep the client's sockets alive)."""
    exc.__traceback__ = exc.__context__ = exc.__cause__ = None
    return exc


def stream_sync(url: str, timeout: float = 5.0, ssl_context: Any = None) -> Outcome:
    events: list[sseproto.ChatEvent] = []
    with sseproto.Client(url + "/v1", api_key="k", timeout=timeout,
                         ssl_context=ssl_context) as client:
        try:
            for event in client.stream_chat(PAYLOAD):
                events.append(event)
        except sseproto.Error as exc:
            return events, bare(exc)
    return events, None


def stream_async(url: str, timeout: float = 5.0, ssl_context: Any = None) -> Outcome:
    async def main() -> Outcome:
        events: list[sseproto.ChatEvent] = []
        async with sseproto.AsyncClient(url + "/v1", api_key="k", timeout=timeout,
                                        ssl_context=ssl_context) as client:
            try:
                async for event in client.stream_chat(PAYLOAD):
                    events.append(event)
            except sseproto.Error as exc:
                return events, bare(exc)
        return events, None

    return asyncio.run(asyncio.wait_for(main(), ASYNC_LIMIT))


Streamer = Callable[..., Outcome]
STREAMERS = pytest.mark.parametrize("stream", [stream_sync, stream_async], ids=["sync", "async"])


# --- parse_fault ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("cut:0", Fault("cut", 0)),
        ("cut:200", Fault("cut", 200)),
        ("reset:17", Fault("reset", 17)),
        ("stall:1.5", Fault("stall", 1.5)),
        ("stall:2@100", Fault("stall", 2, 100)),
        ("bytewise", Fault("bytewise")),
        ("status:429", Fault("status", 429)),
        ("delay:0.25", Fault("delay", 0.25)),
    ],
)
def test_parse_fault(text: str, fault: Fault) -> None:
    assert parse_fault(text) == fault
    assert str(parse_fault(text)) == text.split("@")[0]


@pytest.mark.parametrize("text", ["nope", "", "cut", "cut:", "cut:-1", "cut:1.5", "cut:x",
                                  "reset:", "stall:", "stall:-1", "stall:1@x", "bytewise:3",
                                  "status:99", "status:600", "status:abc", "delay:-0.1",
                                  "delay:soon", "CUT:1"])
def test_bad_faults_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="bad fault"):
        parse_fault(text)


# --- serving ----------------------------------------------------------------------------


@STREAMERS
def test_replay_server_serves_a_transcript(stream: Streamer) -> None:
    with replay_server(timed_transcript()) as url:
        assert url.startswith("http://127.0.0.1:")
        events, error = stream(url)
    assert error is None
    assert events == offline(OPENAI)
    assert text(events) == OPENAI_TEXT


@pytest.mark.parametrize("name", ["prediction-guard", "openai-tools", "vllm-error-midway"])
@STREAMERS
def test_sample_transcripts_serve_what_they_decode_to(stream: Streamer, name: str) -> None:
    path = TRANSCRIPTS / f"{name}.jsonl"
    expected = offline(load(path).body)
    if isinstance(expected[-1], sseproto.StreamError):
        expected = expected[: expected.index(expected[-1]) + 1]  # the client stops there
    with replay_server(path) as url:
        events, error = stream(url)
    assert error is None
    assert events == expected


def test_replay_server_accepts_raw_bytes_and_paths(tmp_path: Path) -> None:
    path = tmp_path / "seed.sse"
    path.write_bytes(SEED)
    for source in (SEED, str(path), path):
        with replay_server(source) as url:
            events, error = stream_sync(url)
        assert error is None and text(events) == " past"
        assert isinstance(events[-1], sseproto.Done)


def test_every_request_gets_the_transcript_on_a_kept_alive_connection() -> None:
    with ReplayServer(timed_transcript()) as server, \
            sseproto.Client(server.url + "/v1", timeout=5) as client:
        first = list(client.stream_chat(PAYLOAD))
        second = list(client.stream_chat(PAYLOAD, path="/other/path"))
        sse = list(client.stream_sse("GET", "/events"))
        assert len(server.requests) == 3
        assert [(r.method, r.path) for r in server.requests] == [
            ("POST", "/v1/chat/completions"), ("POST", "/v1/other/path"), ("GET", "/v1/events")]
        assert server.requests[0].json == PAYLOAD
    assert first == second == offline(OPENAI)
    assert sse[-1].data == "[DONE]" and len(sse) == 18


def test_received_requests_keep_method_path_headers_and_body() -> None:
    with ReplayServer(timed_transcript()) as server, \
            sseproto.Client(server.url + "/v1", api_key="sk-secret-123", timeout=5) as client:
        list(client.stream_chat(PAYLOAD))
        host, port = server.url.rsplit("/", 1)[1].split(":")
        with socket.create_connection((host, int(port))) as raw:
            raw.sendall(b"POST /raw?x=1 HTTP/1.1\r\nHost: x\r\nX-Trace: a\r\nContent-Length: 8"
                        b"\r\nConnection: close\r\n\r\nnot json")
            while raw.recv(65536):
                pass
        first, second = server.requests
    assert isinstance(first, ReceivedRequest)
    assert first.path == "/v1/chat/completions"
    assert first.headers["AUTHORIZATION"] == "Bearer sk-secret-123"
    assert first.headers["authorization"] == "Bearer sk-secret-123"
    assert "Content-Type" in first.headers and "content-type" in list(first.headers)
    assert first.json == PAYLOAD and orjson.loads(first.body) == PAYLOAD
    assert "sk-secret-123" not in repr(first) and "[REDACTED]" in repr(first)
    assert second.method == "POST" and second.path == "/raw?x=1"
    assert second.body == b"not json" and second.json is None
    assert second.headers["x-trace"] == "a"


def test_repeated_headers_join_and_the_kept_requests_are_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert Headers([("A", "1"), ("a", "2")])["A"] == "1, 2"
    monkeypatch.setattr(server_module, "MAX_KEPT_REQUESTS", 3)
    with ReplayServer(timed_transcript()) as server, \
            sseproto.Client(server.url, timeout=5) as client:
        for number in range(5):
            list(client.stream_sse("GET", f"/n{number}"))
        assert [r.path for r in server.requests] == ["/n2", "/n3", "/n4"]


def test_a_recorded_error_response_is_served_as_recorded() -> None:
    body = b'{"error": {"message": "Invalid API key", "type": "invalid_request_error"}}'
    transcript = Transcript(chunks=[(0.0, body)], status=401, reason="Unauthorized",
                            headers={"content-type": "application/json"})
    with replay_server(transcript) as url:
        events, error = stream_sync(url)
    assert events == []
    assert isinstance(error, sseproto.HTTPStatusError)
    assert error.status_code == 401 and "Invalid API key" in str(error)


def test_speed_replays_the_recorded_timing() -> None:
    transcript = timed_transcript(step=0.1)  # about 4 s of recorded time
    span = transcript.chunks[-1][0]
    with replay_server(transcript, speed=span / 0.3) as url:  # compressed into 0.3 s
        started = time.monotonic()
        events, error = stream_sync(url)
        elapsed = time.monotonic() - started
    assert error is None and text(events) == OPENAI_TEXT
    assert 0.3 <= elapsed < 2.0


# --- the official openai SDK against the same server ------------------------------------


def sdk_client(url: str) -> Any:
    """The official openai SDK pointed at ``url`` (the test is skipped without it)."""
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=url + "/v1", api_key="k", max_retries=0, timeout=5)


def test_openai_sdk_and_client_get_the_same_text() -> None:
    with replay_server(timed_transcript()) as url:
        ours, error = stream_sync(url)
        with sdk_client(url) as sdk, sdk.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True) as stream:
            chunks = list(stream)
    assert error is None
    sdk_text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert sdk_text == text(ours) == OPENAI_TEXT
    final = next(e for e in ours if isinstance(e, sseproto.Final))
    finish = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finish[-1] == final.finish_reason == "stop"
    assert chunks[-1].usage is not None and final.usage is not None
    assert chunks[-1].usage.total_tokens == final.usage["total_tokens"] == 26


def test_openai_sdk_and_client_agree_on_tool_calls() -> None:
    with replay_server(TRANSCRIPTS / "openai-tools.jsonl") as url:
        ours, error = stream_sync(url)
        with sdk_client(url) as sdk, sdk.chat.completions.create(
                model="m", messages=[], stream=True) as stream:
            chunks = list(stream)
    assert error is None
    arguments = "".join(call.function.arguments or "" for c in chunks if c.choices
                        for call in c.choices[0].delta.tool_calls or [])
    final = next(e for e in ours if isinstance(e, sseproto.Final))
    assert final.tool_calls is not None
    assert final.tool_calls[0]["function"]["arguments"] == arguments
    assert arguments == '{"city":"Oslo","unit":"celsius"}'
    assert final.finish_reason == "tool_calls"


def test_openai_sdk_sees_an_injected_429() -> None:
    openai = pytest.importorskip("openai")
    with replay_server(OPENAI, faults=["status:429"]) as url, sdk_client(url) as sdk, \
            pytest.raises(openai.RateLimitError):
        sdk.chat.completions.create(model="m", messages=[], stream=True)


def test_openai_sdk_reads_a_bytewise_stream() -> None:
    with replay_server(OPENAI, faults=["bytewise"]) as url, sdk_client(url) as sdk, \
            sdk.chat.completions.create(model="m", messages=[], stream=True) as stream:
        sdk_text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert sdk_text == OPENAI_TEXT


# --- the serve command, as a subprocess --------------------------------------------------


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start ``python -m sseproto serve ...``; return its URL; terminate it afterwards."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> str:
        process = subprocess.Popen([sys.executable, "-m", "sseproto", "serve", *args],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        processes.append(process)
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        assert line.startswith("sseproto: serving "), (line, process.stderr)
        url = line.split()[-1]
        assert url.startswith(("http://127.0.0.1:", "https://127.0.0.1:"))
        return url

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            process.kill()
            process.wait()
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        assert b"Traceback" not in process.stderr.read()
        process.stderr.close()


def test_serve_command_with_client_and_openai_sdk(serve: Callable[..., str],
                                                  tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    timed_transcript().save(path)
    url = serve(str(path), "--port", "0")
    ours, error = stream_sync(url)
    async_events, async_error = stream_async(url)
    with sdk_client(url) as sdk, sdk.chat.completions.create(
            model="m", messages=[], stream=True) as stream:
        sdk_text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert error is None and async_error is None
    assert text(ours) == text(async_events) == sdk_text == OPENAI_TEXT


def test_serve_command_with_faults(serve: Callable[..., str]) -> None:
    url = serve(str(ROOT / "spec" / "samples" / "openai-chat.sse"), "--fault", "cut:1000",
                "--fault", "bytewise")
    events, error = stream_sync(url)
    assert isinstance(error, sseproto.IncompleteStream)
    assert events == offline(OPENAI[:1000], close=False)


def test_serve_command_over_tls(serve: Callable[..., str], tls_contexts: TLSContexts,
                                tmp_path: Path) -> None:
    pem = tmp_path / "server.pem"
    tls_contexts.ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem \
        .write_to_path(str(pem))
    url = serve(str(TRANSCRIPTS / "prediction-guard.jsonl"), "--tls", "--cert", str(pem),
                "--key", str(pem))
    assert url.startswith("https://")
    events, error = stream_sync(url, ssl_context=tls_contexts.client)
    assert error is None and text(events) == " past"
    events, error = stream_sync(url)  # the system trust store does not know this CA
    assert isinstance(error, sseproto.TLSError) and events == []


# --- TLS --------------------------------------------------------------------------------


@STREAMERS
def test_tls_serving(stream: Streamer, tls_contexts: TLSContexts) -> None:
    with replay_server(timed_transcript(), ssl_context=tls_contexts.server) as url:
        assert url.startswith("https://127.0.0.1:")
        events, error = stream(url, ssl_context=tls_contexts.client)
        assert error is None and text(events) == OPENAI_TEXT
        events, error = stream(url, ssl_context=tls_contexts.other_client)
        assert isinstance(error, sseproto.TLSError) and events == []
        # The server survives a failed handshake.
        events, error = stream(url, ssl_context=tls_contexts.client)
        assert error is None and text(events) == OPENAI_TEXT


# --- faults, against both clients --------------------------------------------------------

#: An offset inside the fifth frame, and the offset right after the fourth.
MID_FRAME = 1000
FRAME_END = OPENAI.index(b"\n\n", MID_FRAME - 250) + 2


@pytest.mark.parametrize("cut", [0, MID_FRAME, FRAME_END, len(OPENAI) - 3])
@STREAMERS
def test_cut_gives_incomplete_stream_after_the_events_before_it(stream: Streamer,
                                                                  cut: int) -> None:
    with replay_server(timed_transcript(), faults=[f"cut:{cut}"]) as url:
        events, error = stream(url)
    assert isinstance(error, sseproto.IncompleteStream), error
    assert events == offline(OPENAI[:cut], close=False)
    if cut == MID_FRAME:
        assert text(events) == "Hello! Server"


@STREAMERS
def test_cut_beyond_the_body_changes_nothing(stream: Streamer) -> None:
    with replay_server(timed_transcript(), faults=[f"cut:{len(OPENAI) + 1}"]) as url:
        events, error = stream(url)
    assert error is None and events == offline(OPENAI)


@STREAMERS
def test_reset_gives_an_error(stream: Streamer) -> None:
    with replay_server(timed_transcript(), faults=[f"reset:{MID_FRAME}"]) as url:
        events, error = stream(url)
    assert isinstance(error, sseproto.TransportError | sseproto.IncompleteStream), error
    assert events == offline(OPENAI)[: len(events)]
    assert len(events) <= 4


@STREAMERS
def test_stall_longer_than_the_timeout_gives_timeout(stream: Streamer) -> None:
    with replay_server(timed_transcript(), faults=[f"stall:3@{MID_FRAME}"]) as url:
        started = time.monotonic()
        events, error = stream(url, timeout=0.2)
        elapsed = time.monotonic() - started
    assert isinstance(error, sseproto.Timeout), error
    assert events == offline(OPENAI[:MID_FRAME], close=False)
    assert 0.2 <= elapsed < 2.0


@STREAMERS
def test_stall_at_half_by_default(stream: Streamer) -> None:
    with replay_server(timed_transcript(), faults=["stall:3"]) as url:
        events, error = stream(url, timeout=0.2)
    assert isinstance(error, sseproto.Timeout)
    assert events == offline(OPENAI[: len(OPENAI) // 2], close=False)


@STREAMERS
def test_stall_before_the_first_body_byte(stream: Streamer) -> None:
    with replay_server(timed_transcript(), faults=["stall:3@0"]) as url:
        events, error = stream(url, timeout=0.2)
    assert isinstance(error, sseproto.Timeout) and events == []


@STREAMERS
def test_stall_at_the_end_of_the_body_holds_back_the_last_chunk(stream: Streamer) -> None:
    with replay_server(timed_transcript(), faults=[f"stall:3@{len(OPENAI)}"]) as url:
        events, error = stream(url, timeout=0.2)
    assert isinstance(error, sseproto.Timeout)
    assert events == offline(OPENAI)  # [DONE] arrived; the HTTP body did not end


@STREAMERS
def test_stall_shorter_than_the_timeout_only_slows_the_stream(stream: Streamer) -> None:
    with replay_server(timed_transcript(), faults=["stall:0.3"]) as url:
        started = time.monotonic()
        events, error = stream(url, timeout=2.0)
        elapsed = time.monotonic() - started
    assert error is None and events == offline(OPENAI)
    assert elapsed >= 0.3


@pytest.mark.parametrize("extra", [[], ["stall:0.1@7"], ["speed"]], ids=["alone", "stall",
                                                                          "speed"])
@STREAMERS
def test_bytewise_gives_the_same_events(stream: Streamer, extra: list[str]) -> None:
    faults = ["bytewise", *(f for f in extra if f != "speed")]
    speed = 10.0 if "speed" in extra else 0.0
    for source in (timed_transcript(), loads(SEED)):
        with replay_server(source, faults=faults, speed=speed) as url:
            events, error = stream(url)
        assert error is None
        assert events == offline(source.body)


@pytest.mark.parametrize("code", [429, 500, 503])
@STREAMERS
def test_status_fault_gives_http_status_error(stream: Streamer, code: int) -> None:
    with replay_server(timed_transcript(), faults=[f"status:{code}"]) as url:
        events, error = stream(url)
    assert events == []
    assert isinstance(error, sseproto.HTTPStatusError), error
    assert error.status_code == code
    assert error.body == {"error": {"message": f"injected status {code}",
                                    "type": "injected_fault", "code": code}}


@STREAMERS
def test_delay_works_and_takes_at_least_that_long(stream: Streamer) -> None:
    with replay_server(timed_transcript(), faults=["delay:0.3"]) as url:
        started = time.monotonic()
        events, error = stream(url)
        elapsed = time.monotonic() - started
    assert error is None and events == offline(OPENAI)
    assert elapsed >= 0.3


@STREAMERS
def test_delay_longer_than_the_timeout_gives_timeout(stream: Streamer) -> None:
    with replay_server(timed_transcript(), faults=["delay:3"]) as url:
        events, error = stream(url, timeout=0.2)
    assert isinstance(error, sseproto.Timeout) and events == []


def test_stop_returns_quickly_with_a_stalled_client_connected() -> None:
    server = ReplayServer(timed_transcript(), faults=[parse_fault("stall:30")])
    server.start()
    with sseproto.Client(server.url + "/v1", timeout=0.2) as client, \
            pytest.raises(sseproto.Timeout):
        list(client.stream_chat(PAYLOAD))
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0


# --- faults over TLS --------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "expected"), [
    (f"cut:{MID_FRAME}", (sseproto.IncompleteStream, sseproto.TLSError)),
    (f"reset:{MID_FRAME}", (sseproto.TransportError, sseproto.IncompleteStream)),
    (f"stall:3@{MID_FRAME}", (sseproto.Timeout,)),
])
@STREAMERS
def test_faults_over_tls(stream: Streamer, fault: str, expected: tuple[type[Exception], ...],
                         tls_contexts: TLSContexts) -> None:
    with replay_server(timed_transcript(), faults=[fault],
                       ssl_context=tls_contexts.server) as url:
        events, error = stream(url, timeout=0.2, ssl_context=tls_contexts.client)
        gc.collect()  # an unclosed transport warns now, in this test
    assert isinstance(error, expected), error
    assert events == offline(OPENAI)[: len(events)]
    if fault.startswith(("cut", "stall")):
        assert events == offline(OPENAI[:MID_FRAME], close=False)
