"""Client v2 on real loopback sockets, sync and async on the same cases.

Concurrency through the pool, deadlines, bounded decompression, retries,
no double POST, secrets kept out of messages, URL joining, stream objects.
The peer is the replay server where it can play the part; a small raw
socket server (below) plays what it cannot: a trickle, a drop at a chosen
point of an exchange, a count of requests, a gzip bomb.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import orjson
import pytest

import sseproto
from sseproto import Delta, Final, Timeouts
from sseproto._async_client import _EventSource
from sseproto._config import ClientConfig, clamp_delay
from sseproto._http import parse_url
from sseproto.server import Fault, ReplayServer
from sseproto.transcript import Transcript

MODES = ("sync", "async")
PAYLOAD: dict[str, Any] = {"model": "m", "messages": [], "stream": True}


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def chat_body(words: int, tag: str = "w") -> tuple[bytes, str]:
    """An OpenAI-style stream of ``words`` deltas, ``[DONE]`` included, and its text."""
    parts = [f"{tag}{i} " for i in range(words)]
    chunks = [{"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
              for p in parts]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks)
    return body + b"data: [DONE]\n\n", "".join(parts)


def replay(body: bytes, faults: tuple[Fault, ...] = (), pieces: int = 8) -> ReplayServer:
    step = max(1, len(body) // pieces)
    chunks = [(0.0, body[i:i + step]) for i in range(0, len(body), step)]
    return ReplayServer(Transcript(chunks=chunks, headers={"content-type": "text/event-stream"}),
                        faults=faults)


def run_calls(mode: str, url: str, call: Callable[[Any], Any], **kw: Any) -> list[Any]:
    """Collect what ``call(client)`` streams, through a Client or an AsyncClient."""
    kw.setdefault("timeout", 5.0)
    if mode == "sync":
        with sseproto.Client(url, **kw) as client:
            return list(call(client))

    async def main() -> list[Any]:
        async with sseproto.AsyncClient(url, **kw) as client:
            return [item async for item in call(client)]

    return asyncio.run(asyncio.wait_for(main(), 20))


def text_of(events: list[Any]) -> str:
    return "".join(ev.content or "" for ev in events if isinstance(ev, Delta))


# -- a raw loopback server for what the replay server cannot do ---------------------------


class RawServer:
    """Accepts on 127.0.0.1; ``handler(sock, server)`` serves each connection on a thread."""

    def __init__(self, handler: Callable[[socket.socket, RawServer], None]) -> None:
        self.handler = handler
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.requests = 0
        self.connections = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        with contextlib.suppress(OSError), conn:
            self.handler(conn, self)

    def read_request(self, conn: socket.socket, buf: bytearray) -> bool:
        """Read one whole request (head and Content-Length body) from ``buf`` + the socket."""
        while b"\r\n\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return False
            buf += data
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            data = conn.recv(65536)
            if not data:
                return False
            rest += data
        buf[:] = rest[length:]
        with self.lock:
            self.requests += 1
        return True

    def close(self) -> None:
        self.stopped.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() in the thread
        self.sock.close()
        with self.lock:
            for conn in self.conns:
                with contextlib.suppress(OSError):
                    conn.close()
        self.thread.join(2)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def response(body: bytes, *, status: str = "200 OK", content_type: str = "text/event-stream",
             extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


BODY, TEXT = chat_body(40)


# -- concurrency --------------------------------------------------------------------------


def test_an_error_after_the_last_events_is_raised_after_them(mode: str) -> None:
    # The last frame is only read at the end of the body; the line after it then fails.
    body = b'\ndata: {"choices":[{"delta":{"content":"a"}}]}\n{oops\n'
    seen: list[Any] = []

    def call(client: Any) -> Any:
        return client.stream_chat(PAYLOAD)

    with replay(body) as server, pytest.raises(sseproto.RemoteProtocolError, match="oops"):
        if mode == "sync":
            with sseproto.Client(server.url, timeout=5.0) as client:
                seen.extend(call(client))
        else:
            async def main() -> None:
                async with sseproto.AsyncClient(server.url, timeout=5.0) as client:
                    async for ev in call(client):
                        seen.append(ev)
            asyncio.run(main())
    assert [ev.content for ev in seen] == ["a"]


def test_100_concurrent_streams_on_one_async_client() -> None:
    """Every stream has its own connection; every text is exact; they really overlap."""
    body, text = chat_body(60)
    stall = (Fault("stall", 0.5, at=len(body) // 2),)

    async def main(url: str) -> tuple[list[str], float, int]:
        async with sseproto.AsyncClient(url, timeout=10, max_connections=100) as client:
            async def one() -> str:
                async with client.stream_chat(PAYLOAD) as stream:
                    assert stream.response.status_code == 200
                    return text_of([ev async for ev in stream])

            started = time.monotonic()
            texts = await asyncio.gather(*(one() for _ in range(100)))
            return list(texts), time.monotonic() - started, client._pool.opened

    with replay(body, stall) as server:
        texts, elapsed, opened = asyncio.run(asyncio.wait_for(main(server.url), 60))
        assert len(server.requests) == 100
    assert texts == [text] * 100
    assert opened == 100
    assert elapsed < 25  # 100 half-second stalls, overlapping (not 50 s in a row)


def test_16_threads_on_one_client() -> None:
    body, text = chat_body(60)
    stall = (Fault("stall", 0.3, at=len(body) // 2),)
    with replay(body, stall) as server, \
            sseproto.Client(server.url, timeout=10, max_connections=16) as client:
        def one(_: int) -> str:
            with client.stream_chat(PAYLOAD) as stream:
                return text_of(list(stream))

        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            texts = list(pool.map(one, range(48)))
        elapsed = time.monotonic() - started
        assert len(server.requests) == 48
    assert texts == [text] * 48
    assert client._pool.opened <= 16
    assert elapsed < 48 * 0.3 / 2  # the stalls overlap


def test_more_streams_than_connections_wait_their_turn(mode: str) -> None:
    """16 streams through 4 connections: each waits for a free one; all texts exact."""
    with replay(BODY) as server:
        if mode == "sync":
            with sseproto.Client(server.url, timeout=10, max_connections=4) as client:
                def one(_: int) -> str:
                    return text_of(list(client.stream_chat(PAYLOAD)))

                with ThreadPoolExecutor(16) as pool:
                    texts = list(pool.map(one, range(16)))
                opened = client._pool.opened
        else:
            async def main() -> tuple[list[str], int]:
                async with sseproto.AsyncClient(server.url, timeout=10,
                                                max_connections=4) as client:
                    async def one() -> str:
                        return text_of([ev async for ev in client.stream_chat(PAYLOAD)])

                    out = await asyncio.gather(*(one() for _ in range(16)))
                    return list(out), client._pool.opened
            texts, opened = asyncio.run(asyncio.wait_for(main(), 30))
        assert len(server.requests) == 16
    assert texts == [TEXT] * 16
    assert 1 <= opened <= 4


TWO_LOOPS = """
import asyncio, sys, sseproto
client = sseproto.AsyncClient(sys.argv[1], timeout=5)

async def one():
    events = [ev async for ev in client.stream_chat({"model": "m", "stream": True})]
    return "".join(ev.content or "" for ev in events if isinstance(ev, sseproto.Delta))

print(asyncio.run(one()) == asyncio.run(one()), client._pool.opened)
"""


def test_one_async_client_under_two_event_loops() -> None:
    """A connection kept by a loop that has ended is left behind, not used.

    In a subprocess: the transport left behind warns when collected (its
    loop is gone), which must not land in another test.
    """
    import subprocess
    import sys

    with replay(BODY) as server:
        out = subprocess.run([sys.executable, "-c", TWO_LOOPS, server.url], capture_output=True,
                             text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "2"]


def test_the_pool_bounds_connections_and_reuses_them(mode: str) -> None:
    """Sequential streams read to their end share one connection."""
    with replay(BODY) as server:
        def call(client: Any) -> Any:
            return client.stream_chat(PAYLOAD)

        if mode == "sync":
            with sseproto.Client(server.url, timeout=5, max_connections=2) as client:
                texts = [text_of(list(call(client))) for _ in range(5)]
                opened = client._pool.opened
        else:
            async def main() -> tuple[list[str], int]:
                async with sseproto.AsyncClient(server.url, timeout=5,
                                                max_connections=2) as client:
                    out = [text_of([ev async for ev in call(client)]) for _ in range(5)]
                    return out, client._pool.opened
            texts, opened = asyncio.run(main())
    assert texts == [TEXT] * 5
    assert opened == 1


def test_a_full_pool_waits_then_times_out(mode: str) -> None:
    """With one connection busy, a second stream waits ``connect`` seconds for it."""
    body, _ = chat_body(10)
    with replay(body, (Fault("stall", 3.0, at=10),)) as server:
        timeouts = Timeouts(connect=0.3, read=5)
        if mode == "sync":
            with sseproto.Client(server.url, timeout=timeouts, max_connections=1) as client:
                first = client.stream_chat(PAYLOAD).__enter__()
                with pytest.raises(sseproto.Timeout, match="pool"):
                    list(client.stream_chat(PAYLOAD))
                first.close()
        else:
            async def main() -> None:
                async with sseproto.AsyncClient(server.url, timeout=timeouts,
                                                max_connections=1) as client:
                    first = await client.stream_chat(PAYLOAD).__aenter__()
                    with pytest.raises(sseproto.Timeout, match="pool"):
                        [ev async for ev in client.stream_chat(PAYLOAD)]
                    await first.aclose()
            asyncio.run(main())


# -- stream objects -----------------------------------------------------------------------


def test_stream_object_response_and_close(mode: str) -> None:
    with replay(BODY) as server:
        if mode == "sync":
            with sseproto.Client(server.url, timeout=5, max_connections=1) as client:
                with pytest.raises(sseproto.LocalProtocolError, match="not open"):
                    client.stream_chat(PAYLOAD).response  # noqa: B018
                with client.stream_chat(PAYLOAD) as stream:
                    assert stream.response.status_code == 200
                    assert stream.response.headers["content-type"] == "text/event-stream"
                    first = next(iter(stream))
                    stream.close()
                # The closed stream gave its slot back: the next one gets a connection.
                assert text_of(list(client.stream_chat(PAYLOAD))) == TEXT
        else:
            async def main() -> Any:
                async with sseproto.AsyncClient(server.url, timeout=5,
                                                max_connections=1) as client:
                    async with client.stream_chat(PAYLOAD) as stream:
                        assert stream.response.status_code == 200
                        first = await stream.__anext__()
                        await stream.aclose()
                    rest = [ev async for ev in client.stream_chat(PAYLOAD)]
                    assert text_of(rest) == TEXT
                    return first
            first = asyncio.run(asyncio.wait_for(main(), 10))
    assert isinstance(first, Delta) and first.content == "w0 "


def test_break_without_with_releases_the_connection(mode: str) -> None:
    """A stream left by ``break`` frees its pool slot (max_connections=1 would block)."""
    def call(client: Any) -> Any:
        return client.stream_chat(PAYLOAD)

    with replay(BODY) as server:
        if mode == "sync":
            with sseproto.Client(server.url, timeout=Timeouts(connect=2, read=5),
                                 max_connections=1) as client:
                for _ in call(client):
                    break
                assert text_of(list(call(client))) == TEXT
        else:
            async def main() -> None:
                async with sseproto.AsyncClient(server.url, timeout=Timeouts(connect=2, read=5),
                                                max_connections=1) as client:
                    async for _ in call(client):
                        break
                    assert text_of([ev async for ev in call(client)]) == TEXT
            asyncio.run(asyncio.wait_for(main(), 10))


# -- URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("base", "path", "target"), [
    ("http://x/v1", "chat/completions", "/v1/chat/completions"),
    ("http://x/v1", "/chat/completions", "/v1/chat/completions"),
    ("http://x/v1/", "chat/completions", "/v1/chat/completions"),
    ("http://x/v1/", "/chat/completions", "/v1/chat/completions"),
    ("http://x", "chat/completions", "/chat/completions"),
    ("http://x/", "/chat/completions", "/chat/completions"),
    ("http://x/openai/deployments/gpt?api-version=2024-10-01", "chat/completions",
     "/openai/deployments/gpt/chat/completions?api-version=2024-10-01"),
    ("http://x/v1?api-version=1&b=2", "chat?api-version=2", "/v1/chat?b=2&api-version=2"),
    ("http://x/v1?a=1", "events?b=2", "/v1/events?a=1&b=2"),
    ("http://x/v1", "", "/v1/"),
    ("http://x/v1", "http://x/other?q=1", "/other?q=1"),
])
def test_url_joining(base: str, path: str, target: str) -> None:
    assert parse_url(base).join(path) == target


def test_url_joining_refuses_another_origin() -> None:
    with pytest.raises(sseproto.LocalProtocolError, match="origin"):
        parse_url("http://x/v1").join("https://evil.example/steal")


def test_stream_chat_with_get_and_no_body(mode: str) -> None:
    heads: list[bytes] = []

    def handler(conn: socket.socket, server: RawServer) -> None:
        heads.append(conn.recv(65536))
        conn.sendall(response(BODY))

    with RawServer(handler) as server:
        events = run_calls(mode, server.url,
                           lambda c: c.stream_chat(None, "stream?x=1", method="GET"))
    assert text_of(events) == TEXT
    assert heads[0].startswith(b"GET /v1/stream?x=1 HTTP/1.1\r\n")
    assert b"content-length" not in heads[0].lower()


def test_base_query_reaches_the_server(mode: str) -> None:
    targets: list[bytes] = []

    def handler(conn: socket.socket, server: RawServer) -> None:
        buf = bytearray()
        head = conn.recv(65536)
        targets.append(head.split(b" ")[1])
        buf += head
        conn.sendall(response(BODY))

    with RawServer(handler) as server:
        url = server.url + "?api-version=2024-10-01"
        events = run_calls(mode, url, lambda c: c.stream_chat(PAYLOAD, "chat/completions"))
    assert text_of(events) == TEXT
    assert targets == [b"/v1/chat/completions?api-version=2024-10-01"]


# -- timeouts ------------------------------------------------------------------------------


def trickle(conn: socket.socket, server: RawServer) -> None:
    """One byte every 0.1 s, forever: never silent long enough for ``read``."""
    server.read_request(conn, bytearray())
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    while not server.stopped.wait(0.1):
        conn.sendall(b"1\r\n\n\r\n")


def test_a_trickling_server_is_stopped_by_total(mode: str) -> None:
    with RawServer(trickle) as server:
        started = time.monotonic()
        with pytest.raises(sseproto.Timeout, match="total"):
            run_calls(mode, server.url, lambda c: c.stream_chat(PAYLOAD),
                      timeout=Timeouts(connect=2, read=1, total=1.0))
        assert 0.9 < time.monotonic() - started < 3.5


def test_timeouts_validate() -> None:
    assert Timeouts.of(5) == Timeouts(connect=5, read=5, total=None)
    for bad in (-1, float("nan"), "3", True):
        with pytest.raises(ValueError):
            Timeouts(read=bad)  # type: ignore[arg-type]


# -- retry: and retries --------------------------------------------------------------------


@pytest.mark.parametrize("digits", ["99999999999", "9" * 400, "9" * 5000])
def test_a_huge_retry_is_clamped(digits: str) -> None:
    config = ClientConfig("http://x", None, ssl_context=None, timeout=1, limits=None,
                          max_connections=1, max_retries=0, headers=None)
    source = _EventSource(config, "GET", "/", None, None, True, 3)
    exchange = source.new_exchange()
    source.decoder.feed(f"retry: {digits}\ndata: x\n\n".encode())
    assert exchange is source.exchange
    assert source.wait_after(None) == 60.0
    assert clamp_delay(-5) == 0.0


def test_a_huge_retry_over_the_wire(mode: str) -> None:
    body = b"retry: " + b"9" * 400 + b"\ndata: one\n\n"
    with replay(body) as server:
        events = run_calls(mode, server.url, lambda c: c.stream_sse("GET", "/events"))
    assert [ev.data for ev in events] == ["one"]
    assert events[0].retry is not None


def status_then_ok(status: str, extra: str, failures: int) -> Callable[..., None]:
    def handler(conn: socket.socket, server: RawServer) -> None:
        buf = bytearray()
        while server.read_request(conn, buf):
            with server.lock:
                nth = server.requests
            if nth <= failures:
                conn.sendall(response(b'{"error": {"message": "slow down"}}', status=status,
                                      content_type="application/json", extra=extra))
            else:
                conn.sendall(response(BODY))
    return handler


def test_429_with_retry_after_is_retried(mode: str) -> None:
    with RawServer(status_then_ok("429 Too Many Requests", "Retry-After: 1\r\n", 1)) as server:
        started = time.monotonic()
        events = run_calls(mode, server.url, lambda c: c.stream_chat(PAYLOAD), max_retries=2)
        assert 0.9 < time.monotonic() - started < 4
        assert server.requests == 2
    assert text_of(events) == TEXT


def test_503_retried_with_backoff_then_given_up(mode: str) -> None:
    with RawServer(status_then_ok("503 Service Unavailable", "", 99)) as server:
        with pytest.raises(sseproto.HTTPStatusError) as info:
            run_calls(mode, server.url, lambda c: c.stream_chat(PAYLOAD), max_retries=2)
        assert server.requests == 3
    assert info.value.status_code == 503
    assert info.value.retry_after is None


def test_no_retry_by_default_and_retry_after_exposed(mode: str) -> None:
    with RawServer(status_then_ok("429 Too Many Requests", "Retry-After: 30\r\n", 9)) as server:
        with pytest.raises(sseproto.HTTPStatusError) as info:
            run_calls(mode, server.url, lambda c: c.stream_chat(PAYLOAD))
        assert server.requests == 1
    assert info.value.retry_after == 30.0
    assert not isinstance(info.value, sseproto.ProtocolError)


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"retry-after": "7"}, 7.0),
    ({"retry-after": " 0 "}, 0.0),
    ({"retry-after": "9" * 400}, 1e9),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT",
      "date": "Wed, 21 Oct 2015 07:28:00 GMT"}, 30.0),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT",
      "date": "Wed, 21 Oct 2015 07:29:00 GMT"}, 0.0),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}, None),  # no Date to compare with
    ({"retry-after": "soon"}, None),
    ({"retry-after": "-5"}, None),
    ({}, None),
])
def test_retry_after_forms(headers: dict[str, str], seconds: float | None) -> None:
    from sseproto._http import retry_after

    assert retry_after(headers) == seconds


def test_connect_errors_are_retried(mode: str) -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    started = time.monotonic()
    with pytest.raises(sseproto.ConnectError):
        run_calls(mode, f"http://127.0.0.1:{port}", lambda c: c.stream_chat(PAYLOAD),
                  max_retries=2)
    assert time.monotonic() - started > 0.5  # two backoffs: 0.25+ and 0.5+ seconds


# -- no double POST --------------------------------------------------------------------------

#: Where the second exchange on a kept-alive connection is dropped.
DROP_POINTS = ["idle", "request-partly-read", "request-read", "head-partly-sent", "head-sent",
               "body-partly-sent"]


def dropping(point: str) -> Callable[..., None]:
    """Serve the first request of each connection; drop the second at ``point``."""
    def handler(conn: socket.socket, server: RawServer) -> None:
        buf = bytearray()
        if not server.read_request(conn, buf):
            return
        conn.sendall(response(BODY))
        if point == "idle":
            return  # closes the idle connection
        if point == "request-partly-read":
            conn.recv(10)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            return
        if not server.read_request(conn, buf):
            return
        whole = response(BODY)
        cut = {"request-read": 0, "head-partly-sent": 20,
               "head-sent": whole.index(b"\r\n\r\n") + 4}.get(point, len(whole) - 30)
        conn.sendall(whole[:cut])
    return handler


@pytest.mark.parametrize("point", DROP_POINTS)
def test_a_dropped_kept_alive_connection_never_resends_a_post(mode: str, point: str) -> None:
    outcomes: list[Any] = []

    def call(client: Any) -> Any:
        return client.stream_chat(PAYLOAD)

    with RawServer(dropping(point)) as server:
        if mode == "sync":
            with sseproto.Client(server.url, timeout=3) as client:
                outcomes.append(text_of(list(call(client))))
                time.sleep(0.1)
                try:
                    outcomes.append(text_of(list(call(client))))
                except sseproto.Error as exc:
                    outcomes.append(exc)
        else:
            async def main() -> None:
                async with sseproto.AsyncClient(server.url, timeout=3) as client:
                    outcomes.append(text_of([ev async for ev in call(client)]))
                    await asyncio.sleep(0.1)
                    try:
                        outcomes.append(text_of([ev async for ev in call(client)]))
                    except sseproto.Error as exc:
                        outcomes.append(exc)
            asyncio.run(asyncio.wait_for(main(), 10))
        time.sleep(0.05)
        assert server.requests <= 2, "a POST was sent twice"
    assert outcomes[0] == TEXT
    if point == "idle":
        assert outcomes[1] == TEXT  # the stale connection was noticed before sending
    else:
        assert isinstance(outcomes[1], sseproto.Error | str)
        if point == "body-partly-sent":
            assert isinstance(outcomes[1], sseproto.IncompleteStream)


# -- create() and in-stream errors ---------------------------------------------------------


def test_create_raises_incomplete_on_a_cut(mode: str) -> None:
    cut_at = BODY.index(b"w10 ")
    chunks: list[Any] = []
    with replay(BODY, (Fault("cut", cut_at),)) as server, \
            pytest.raises(sseproto.IncompleteStream):
        if mode == "sync":
            with sseproto.Client(server.url, timeout=5) as client:
                for res in client.chat.completions.create(model="m", messages=[], stream=True):
                    chunks.append(res)
        else:
            async def main() -> None:
                async with sseproto.AsyncClient(server.url, timeout=5) as client:
                    stream = client.chat.completions.create(model="m", messages=[],
                                                            stream=True)
                    async for res in stream:
                        chunks.append(res)
            asyncio.run(main())
    assert len(chunks) == 10  # every whole chunk before the cut was delivered


def test_create_raises_stream_error_raised(mode: str) -> None:
    error = b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'
    with replay(BODY[:BODY.index(b"data:", 10)] + error) as server, \
            pytest.raises(sseproto.StreamErrorRaised) as info:
        run_calls(mode, server.url,
                  lambda c: c.chat.completions.create(model="m", messages=[], stream=True))
    assert info.value.stream_error.message == "overloaded"
    assert isinstance(info.value, sseproto.RemoteProtocolError)


# -- secrets ---------------------------------------------------------------------------------

SECRET = "sk-test-0123456789abcdef"


@pytest.mark.parametrize("key", [SECRET + "\n", SECRET + "\r\n", "\n" + SECRET,
                                 SECRET + "\x01", SECRET + "\u20ac"])
def test_an_api_key_never_reaches_a_message(mode: str, key: str) -> None:
    with RawServer(lambda conn, server: None) as server, pytest.raises(sseproto.Error) as info:
        run_calls(mode, server.url, lambda c: c.stream_chat(PAYLOAD), api_key=key)
    text = f"{info.value} {info.value!r} {info.value.args}"
    assert SECRET not in text and "0123456789" not in text
    assert "Authorization" in str(info.value)


def test_secret_headers_and_reprs(mode: str) -> None:
    with pytest.raises(sseproto.LocalProtocolError) as info:
        sseproto.Client("http://127.0.0.1:1", headers={"x-api-key": SECRET + "\r\nX-Evil: 1"})
    assert SECRET not in str(info.value)
    client = sseproto.Client("http://127.0.0.1:1/v1", api_key=SECRET)
    assert SECRET not in repr(client) and "127.0.0.1:1/v1" in repr(client)


@pytest.mark.parametrize("secret", ["Bearer " + SECRET + "\n", SECRET + "\r\n", SECRET])
def test_scrub_rewrites_h11_style_quotes(secret: str) -> None:
    """h11 quotes an illegal value as bytes (``b'Bearer sk-...\\n'``): that form goes too."""
    from sseproto._errors import scrub

    for message in (f"Illegal header value {secret.encode()!r}", f"value {secret!r}", secret):
        assert SECRET not in scrub(message, [secret])


@pytest.mark.parametrize("where", ["api_key", "request header"])
def test_a_server_echoing_the_key_is_scrubbed(mode: str, where: str) -> None:
    echo = orjson.dumps({"error": {"message": f"Incorrect API key provided: {SECRET}"}})

    def handler(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn, bytearray())
        conn.sendall(response(echo, status="401 Unauthorized", content_type="application/json"))

    def call(client: Any) -> Any:
        headers = {"x-api-key": SECRET} if where == "request header" else None
        return client.stream_sse("POST", "chat/completions", headers, json=PAYLOAD)

    key = SECRET if where == "api_key" else None
    with RawServer(handler) as server, pytest.raises(sseproto.HTTPStatusError) as info:
        run_calls(mode, server.url, call, api_key=key)
    assert SECRET not in str(info.value) and "[redacted]" in str(info.value)


# -- decompression bomb ----------------------------------------------------------------------

BOMB_BLANKS = 32 * 1024 * 1024


@cache
def bomb() -> bytes:
    """32 MiB of blank lines then one event, gzipped to about 32 KiB."""
    body, _ = chat_body(1)
    return gzip.compress(b"\n" * BOMB_BLANKS + body, compresslevel=9)


def bomb_server(conn: socket.socket, server: RawServer) -> None:
    server.read_request(conn, bytearray())
    conn.sendall(response(bomb(), extra="Content-Encoding: gzip\r\n"))


def test_a_gzip_bomb_is_bounded_in_memory_and_event_loop_time() -> None:
    """One read inflates to megabytes: handed out 64 KiB at a time, the loop keeps ticking."""
    assert len(bomb()) < 128 * 1024

    async def main(url: str) -> tuple[list[Any], float]:
        gaps: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            # CPU time of this thread between two ticks: the work done without yielding
            # to the loop (wall time would also count other processes on a busy machine).
            while not done.is_set():
                before = time.thread_time()
                await asyncio.sleep(0)
                gaps.append(time.thread_time() - before)

        tick = asyncio.create_task(ticker())
        async with sseproto.AsyncClient(url, timeout=30) as client:
            events = [ev async for ev in client.stream_chat(PAYLOAD)]
        done.set()
        await tick
        return events, max(gaps)

    with RawServer(bomb_server) as server:
        tracemalloc.start()
        try:
            events, worst = asyncio.run(main(server.url))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert [type(ev) for ev in events] == [Delta, Delta, Final, sseproto.Done]
    assert peak < 16 * 1024 * 1024, f"peak {peak} bytes"
    assert worst < 0.05, f"the event loop was blocked {worst * 1000:.0f} ms"


def test_a_gzip_bomb_sync() -> None:
    with RawServer(bomb_server) as server:
        events = run_calls("sync", server.url, lambda c: c.stream_chat(PAYLOAD), timeout=30)
    assert [type(ev) for ev in events] == [Delta, Delta, Final, sseproto.Done]


# -- lazy loading ----------------------------------------------------------------------------


def test_import_sseproto_loads_no_io_module() -> None:
    import subprocess
    import sys

    code = ("import sys, sseproto; sseproto.ChatStreamDecoder(); "
            "print(sorted(m for m in ('socket', 'ssl', 'asyncio', 'threading', 'h11', "
            "'select', 'sseproto.client') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"
    code = "import sseproto, sys; sseproto.Client; print('sseproto.client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "True"


def test_generated_sync_code_is_current() -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "unasync.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr



# -- limits, adapters, transports ----------------------------------------------------------

SMALL = sseproto.Limits(max_line_size=64)


def test_client_limits_reach_the_decoder(mode: str) -> None:
    with replay(BODY) as server, pytest.raises(sseproto.LimitExceeded) as info:
        run_calls(mode, server.url, lambda c: c.stream_chat(PAYLOAD), limits=SMALL)
    assert info.value.limit_name == "max_line_size" and info.value.limit == 64


@pytest.mark.parametrize("library", ["httpx", "httpx-async", "requests", "aiohttp"])
def test_adapters_take_limits(library: str) -> None:
    import aiohttp
    import httpx
    import requests

    from sseproto.adapters import aiohttp as sa
    from sseproto.adapters import httpx as sx
    from sseproto.adapters import requests as sr

    async def run_async(url: str) -> None:
        if library == "httpx-async":
            async with httpx.AsyncClient(trust_env=False) as client, \
                    client.stream("POST", url, json=PAYLOAD) as response:
                [ev async for ev in sx.aiter_chat(response, limits=SMALL)]
        else:
            async with aiohttp.ClientSession() as session, \
                    session.post(url, json=PAYLOAD) as resp:
                [ev async for ev in sa.aiter_chat(resp, limits=SMALL)]

    with replay(BODY) as server, pytest.raises(sseproto.LimitExceeded):
        if library == "httpx":
            with httpx.Client(trust_env=False) as client, \
                    client.stream("POST", server.url, json=PAYLOAD) as response:
                list(sx.iter_chat(response, limits=SMALL))
        elif library == "requests":
            with requests.post(server.url, json=PAYLOAD, stream=True) as resp:
                list(sr.iter_sse(resp, limits=SMALL))
        else:
            asyncio.run(run_async(server.url))


def test_adapters_never_import_the_client() -> None:
    import subprocess
    import sys

    code = ("import sys; import sseproto.adapters.httpx, sseproto.adapters.requests, "
            "sseproto.adapters.aiohttp; print('sseproto.client' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"


class LegacyTransport:
    """A transport written for version 1: ``receive`` takes no timeout."""

    def __init__(self) -> None:
        self.sock: socket.socket | None = None

    def connect(self, host: str, port: int, timeout: float | None) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)

    def send(self, data: bytes) -> None:
        assert self.sock is not None
        self.sock.sendall(data)

    def receive(self, max_bytes: int = 65536) -> bytes:
        assert self.sock is not None
        return self.sock.recv(max_bytes)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


def test_a_version_1_transport_still_works() -> None:
    with replay(BODY) as server, \
            sseproto.Client(server.url, transport=LegacyTransport()) as client:
        assert text_of(list(client.stream_chat(PAYLOAD))) == TEXT
        assert text_of(list(client.stream_chat(PAYLOAD))) == TEXT
