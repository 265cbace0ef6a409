"""The replay server: serve transcripts over HTTP/1.1 (h11) on asyncio, with fault injection.

Any client can then be tested against a captured stream, offline, and load
tests get a backend that streams realistic timed responses by the thousand.
A request gets the status, headers and body of the transcript its route
serves; the body goes out chunked, one HTTP chunk per captured chunk, with
the original timing scaled by ``speed`` (0, the default, sends at once).

Routes: one transcript for every request, ``routes={"/v1/chat/completions":
transcript}`` by path, and a mapping ``{model: transcript}`` (or a directory
on the command line) chosen by the request body's ``"model"``.

Faults (repeatable, as on the command line):

- ``cut:N``: close the connection after N body bytes (no final chunk);
- ``reset:N``: a TCP reset after N body bytes;
- ``stall:S`` (or ``stall:S@N``): stop sending for S seconds half-way
  through the body (or after N body bytes);
- ``bytewise``: one-byte writes;
- ``status:CODE``: answer CODE with a JSON error body instead (429 and 503
  carry ``Retry-After``); ``status:1xx`` sends that informational response
  before the real one;
- ``delay:S``: wait S seconds before the response head.

One event loop serves every connection; each transcript's body is framed
once and shared.  Out of file descriptors or memory, the server refuses that
one connection, logs it and keeps serving; ``max_connections`` caps the
streams served at once (the others get 503 with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import h11
import orjson

from ._errors import short_repr
from ._replay import (
    RETRY_AFTER,
    Ending,
    Fault,
    Plan,
    Source,
    Step,
    error_body,
    load_source,
    make_target,
    parse_fault,
    plan_for,
    reason_phrase,
)
from .transcript import Transcript, loads, redact_headers, redact_url

__all__ = ["Fault", "Headers", "ReceivedRequest", "ReplayServer", "Route", "Router", "Source",
           "load_source", "parse_fault", "parse_route", "raise_fd_limit", "sources_from_args"]

#: How many received requests :attr:`ReplayServer.requests` keeps (the most recent).
MAX_KEPT_REQUESTS = 10_000
#: The request bodies :attr:`ReplayServer.requests` keeps, in bytes at most (the most recent).
MAX_KEPT_BODY_BYTES = 64 * 1024 * 1024
#: The largest request body the server reads; a larger one gets 413.
MAX_REQUEST_BODY = 16 * 1024 * 1024
#: The largest request head (request line and headers); a larger one gets 431.
MAX_REQUEST_HEAD = 64 * 1024
#: Bytes a client may send ahead (pipelined) while its response is streaming.
MAX_READ_AHEAD = 256 * 1024
#: Seconds a connection may take to send a request, or stay idle between two.
IDLE_TIMEOUT = 30.0
#: Seconds a client may leave the server's send buffer full before it is dropped.
WRITE_TIMEOUT = 60.0
#: Seconds a rejected connection stays open to drop what the client still sends.
LINGER = 2.0
#: Seconds a TLS handshake may take.
HANDSHAKE_TIMEOUT = 10.0
#: Seconds a reset waits for the bytes before it to leave.
RESET_DRAIN = 5.0
#: Connections accepted per wake-up (others wait for the next loop turn).
ACCEPT_BATCH = 128
#: errno values that mean "no resources for one more connection".
_EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


# --- what the server received ----------------------------------------------------------------


class Headers(Mapping[str, str]):
    """Request headers, looked up by name case-insensitively (names listed lower-cased).

    A header sent several times reads as its values joined with ``", "``
    (RFC 9110 #field-lines).  ``repr()`` hides secret values.
    """

    __slots__ = ("_items",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        items: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            items[key] = f"{items[key]}, {value}" if key in items else value
        self._items = items

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({redact_headers(self._items)!r})"


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the server received: what a test wants to assert on."""

    method: str
    path: str  # the request target, query included
    headers: Headers
    body: bytes = field(repr=False)

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is empty or not JSON."""
        try:
            return orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None

    def __repr__(self) -> str:
        return (f"ReceivedRequest(method={self.method!r}, path={self.path!r},"
                f" headers={self.headers!r}, body={short_repr(self.body)})")


def _received(head: h11.Request, body: bytes) -> ReceivedRequest:
    headers = Headers((name.decode("latin-1"), value.decode("latin-1"))
                      for name, value in head.headers)
    return ReceivedRequest(method=head.method.decode("ascii", "replace"),
                           path=head.target.decode("ascii", "replace"), headers=headers,
                           body=body)


@dataclass(frozen=True)
class Route:
    """What a router picks for one request: a transcript and its faults."""

    transcript: Transcript
    faults: tuple[Fault, ...] = ()


#: Picks the route for a request (on the server's event loop: it must not block);
#: ``None`` leaves the request to the server's routes and default transcript.
Router = Callable[[ReceivedRequest], Route | None]
#: How many plans of router-chosen transcripts the server keeps.
MAX_CACHED_PLANS = 256


# --- the log ---------------------------------------------------------------------------------


class _Log:
    """Access-log lines and notices on a text stream, flushed once per loop turn.

    Notices of one kind are written at most once a second; the next one
    says how many were left out.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_pending = False
        self._second = -1
        self._stamp = ""
        self._last_notice: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def access(self, peer: str, request: str, status: int, sent: int, seconds: float,
               outcome: str) -> None:
        self._write(f'{peer} "{request}" {status} {sent} {seconds:.3f}s {outcome}')

    def notice(self, kind: str, text: str) -> None:
        now = time.monotonic()
        if now - self._last_notice.get(kind, -2.0) < 1.0:
            self._skipped[kind] = self._skipped.get(kind, 0) + 1
            return
        self._last_notice[kind] = now
        skipped = self._skipped.pop(kind, 0)
        more = f" ({skipped} more like it in the last second)" if skipped else ""
        self._write(f"sseproto: {text}{more}")

    def _write(self, line: str) -> None:
        if self.stream is None:
            return
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(f"{self._stamp} {line}\n")
        if not self._flush_pending and self._loop is not None:
            self._flush_pending = True
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        self._flush_pending = False
        if self.stream is not None:
            with contextlib.suppress(OSError, ValueError):
                self.stream.flush()


# --- one connection --------------------------------------------------------------------------


class _Connection(asyncio.Protocol):
    """One client connection: read requests with h11, write their planned responses."""

    __slots__ = ("_body", "_discarding", "_ending", "_eof", "_h11", "_head", "_idle", "_next",
                 "_paused", "_pending", "_plan", "_read_ahead", "_sent", "_started", "_steps",
                 "_timer", "_waited", "peer", "refusing", "server", "transport")

    def __init__(self, server: ReplayServer, peer: str, refusing: bool) -> None:
        self.server = server
        self.peer = peer
        self.refusing = refusing  # over max_connections: every request gets 503
        self.transport: asyncio.Transport | None = None
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_REQUEST_HEAD)
        self._head: h11.Request | None = None
        self._body = bytearray()
        self._plan: Plan | None = None  # the response being sent, if any
        self._steps: tuple[Step, ...] = ()
        self._ending = Ending.COMPLETE
        self._next = 0
        self._waited = False  # the pause before step _next is over
        self._paused = False  # the transport's buffer is full
        self._timer: asyncio.TimerHandle | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._sent = 0
        self._started = 0.0
        self._read_ahead = 0
        self._eof = False  # the client will send nothing more
        self._discarding = False  # rejected: read and drop what comes until the close
        self._pending: list[bytes] | None = None  # writes held back (the coalesce fault)

    # asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._arm_idle()

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        try:
            self._h11.receive_data(data)
            if self._plan is None:
                self._read_events()
            else:
                self._read_ahead += len(data)
                if self._read_ahead > MAX_READ_AHEAD and self.transport is not None:
                    self.transport.pause_reading()
        except h11.RemoteProtocolError as exc:
            self._reject(exc.error_status_hint, f"bad request: {exc}")
        except MemoryError:
            self.server._out_of_memory(self)

    def eof_received(self) -> bool:
        self._eof = True
        plain = self.transport is not None and self.transport.get_extra_info("sslcontext") is None
        if self._plan is not None and not self._discarding and plain:
            return True  # the client half-closed: finish the response anyway (not over TLS)
        with contextlib.suppress(h11.RemoteProtocolError):
            self._h11.receive_data(b"")
        return False

    def pause_writing(self) -> None:
        self._paused = True
        if self._idle is None:  # no request is awaited while a response is written
            self._idle = self.server._call_later(WRITE_TIMEOUT, self._stalled)

    def resume_writing(self) -> None:
        self._paused = False
        if self._idle is not None and self._plan is not None:
            self._idle.cancel()
            self._idle = None
        if self._plan is not None and self._timer is None:
            self._run()

    def _stalled(self) -> None:
        """The client read nothing for WRITE_TIMEOUT seconds: drop it."""
        self._idle = None
        self._done("client-stalled")
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: BaseException | None) -> None:
        for timer in (self._timer, self._idle):
            if timer is not None:
                timer.cancel()
        self._timer = self._idle = None
        if self._plan is not None:
            self._done("stopped" if self.server._stopping else "client-gone")
        self.server._forget(self)

    # reading

    def _arm_idle(self) -> None:
        """Close the connection unless a whole request arrives within IDLE_TIMEOUT."""
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self.server._call_later(IDLE_TIMEOUT, self.close)

    def _read_events(self) -> None:
        while self._plan is None:
            event = self._h11.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self._head, self._body = event, bytearray()
                if self._h11.they_are_waiting_for_100_continue:  # RFC 9110 #field.expect
                    self._write(self._h11.send(h11.InformationalResponse(
                        status_code=100, headers=[], reason=b"Continue")))
            elif isinstance(event, h11.Data):
                self._body += event.data
                if len(self._body) > MAX_REQUEST_BODY:
                    self._reject(413, f"the request body is over {MAX_REQUEST_BODY} bytes")
                    return
            elif isinstance(event, h11.EndOfMessage) and self._head is not None:
                self._dispatch(self._head, bytes(self._body))
            else:  # ConnectionClosed
                self.close()
                return

    def _dispatch(self, head: h11.Request, body: bytes) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        request = _received(head, body)
        self._body = bytearray()
        self.server._record(request)
        self._respond(self.server._plan_for(request, self.refusing))

    # writing

    def _write(self, data: bytes | None) -> None:
        if data and self.transport is not None:
            if self._pending is not None:
                self._pending.append(data)
            else:
                self.transport.write(data)
            self._sent += len(data)

    def _flush(self) -> None:
        """Write what the coalesce fault held back, as one write."""
        if self._pending and self.transport is not None:
            self.transport.write(b"".join(self._pending))
            self._pending.clear()

    def _respond(self, plan: Plan) -> None:
        self._plan = plan
        self._sent = self._read_ahead = 0
        self._started = time.monotonic()
        self._pending = [] if plan.coalesce else None
        # "A server MUST NOT send a 1xx response to an HTTP/1.0 client." (RFC 9110 #status.1xx)
        for code in plan.informational if self._h11.their_http_version == b"1.1" else ():
            self._write(self._h11.send(h11.InformationalResponse(
                status_code=code, headers=[], reason=reason_phrase(code))))
        if plan.delay > 0:
            self._flush()
            self._timer = self.server._call_later(plan.delay, self._send_head)
        else:
            self._send_head()

    def _send_head(self) -> None:
        self._timer = None
        plan = self._plan
        assert plan is not None and self._head is not None
        self._write(self._h11.send(h11.Response(status_code=plan.status, reason=plan.reason,
                                                headers=list(plan.headers))))
        bodiless = self._head.method == b"HEAD"
        if plan.fixed_body is not None and not bodiless:
            self._write(self._h11.send(h11.Data(data=plan.fixed_body)))
        chunked = self._h11.their_http_version == b"1.1"
        self._steps = () if bodiless else plan.chunked if chunked else plan.raw
        self._ending = Ending.COMPLETE if bodiless else plan.ending
        self._next = 0
        self._waited = False
        self._run()

    def _run(self) -> None:
        """Write every step that is due; schedule the next pause; end the body."""
        self._timer = None
        steps = self._steps
        while self._next < len(steps):
            if self._paused or self.transport is None or self.transport.is_closing():
                return  # resume_writing() comes back here; connection_lost() ends it
            step = steps[self._next]
            if step.pause > 0 and not self._waited:
                self._flush()
                self._waited = True
                self._timer = self.server._call_later(step.pause, self._run)
                return
            self._waited = False
            self._next += 1
            self._write(step.data)
        self._end_body()

    def _end_body(self) -> None:
        if self._ending is Ending.COMPLETE:
            self._write(self._h11.send(h11.EndOfMessage()))
        self._flush()
        self._pending = None
        if self._ending is Ending.CUT:
            self._done("cut")
            self.close()
        elif self._ending is Ending.RESET:
            self._reset(time.monotonic() + RESET_DRAIN)
        else:
            self._done("complete")
            self._next_cycle()

    def _next_cycle(self) -> None:
        conn = self._h11
        if self._eof or conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
            self.close()
            return
        conn.start_next_cycle()
        if self.transport is not None:
            self.transport.resume_reading()
        self._arm_idle()
        try:
            self._read_events()  # a pipelined request may be waiting
        except h11.RemoteProtocolError as exc:
            self._reject(exc.error_status_hint, f"bad request: {exc}")

    def _reset(self, deadline: float) -> None:
        """A TCP reset once the bytes before it have left (SO_LINGER 0, then close)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() and time.monotonic() < deadline:
            self._timer = self.server._call_later(0.01, lambda: self._reset(deadline))
            return
        self._done("reset")
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    def _done(self, outcome: str) -> None:
        """Log the response; no response is in progress afterwards."""
        plan, head = self._plan, self._head
        self._plan = None
        if plan is None or head is None:
            return
        target = redact_url(head.target.decode("ascii", "replace"))
        request = f"{head.method.decode('ascii', 'replace')} {target} HTTP/" \
                  f"{head.http_version.decode('ascii', 'replace')}"
        self.server._log.access(self.peer, request, plan.status, self._sent,
                                time.monotonic() - self._started, outcome)

    def _reject(self, status: int, message: str) -> None:
        """Answer a request h11 cannot read (or one too large), then close.

        The close lingers: the server half-closes and drops what the client
        still sends for a moment, so the client reads the answer instead of
        a reset (RFC 9112 #persistent.tear-down).
        """
        body = error_body(status, message, "invalid_request_error")
        head = (f"HTTP/1.1 {status} {reason_phrase(status).decode()}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n").encode()
        self.server._log.access(self.peer, "-", status, len(head) + len(body), 0.0, "rejected")
        transport = self.transport
        if transport is None or self._plan is not None:
            self.close()
            return
        transport.write(head + body)
        self._discarding = True
        self._body = bytearray()
        if transport.can_write_eof():
            transport.write_eof()
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self.server._call_later(LINGER, self.close)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


# --- the server ------------------------------------------------------------------------------


class ReplayServer:
    """Serve ``transcript`` on ``host:port`` (port 0 picks one) until stopped.

    Use as a context manager, or call :meth:`start` / :meth:`stop` (the
    event loop then runs on a background thread), or :meth:`serve_forever`
    (on the calling thread).  :attr:`url` is the base URL as soon as the
    server is built.

    ``transcript`` serves every request no route claims: a
    :class:`~sseproto.transcript.Transcript`, or a mapping ``{model:
    transcript}`` chosen by the request body's ``"model"``.  ``routes``
    maps request paths (without the query) to the same kinds of value.
    ``router``, when given, is asked first for each request (see
    :data:`Router`).  ``log`` receives one access-log line per request, and
    notices (refused connections); ``None`` (the default) is silent.
    """

    def __init__(self, transcript: Source | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, ssl_context: ssl.SSLContext | None = None, speed: float = 0.0,
                 faults: Iterable[Fault] = (), routes: Mapping[str, Source] | None = None,
                 max_connections: int | None = None, log: TextIO | None = None,
                 router: Router | None = None, backlog: int = 4096) -> None:
        if speed < 0:
            raise ValueError(f"speed must be 0 (no waits) or positive, not {speed!r}")
        if max_connections is not None and max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections!r}")
        if transcript is None and not routes and router is None:
            raise ValueError("nothing to serve: give a transcript, routes or a router")
        self.transcript = transcript
        self.ssl_context = ssl_context
        self.speed = speed
        self.faults = list(faults)
        self.max_connections = max_connections
        #: The requests received, oldest first (the latest :data:`MAX_KEPT_REQUESTS`).
        self.requests: list[ReceivedRequest] = []
        self._kept_body_bytes = 0
        self.router = router
        self._default = None if transcript is None else make_target(transcript, self.faults,
                                                                    speed)
        self._routes = {path: make_target(source, self.faults, speed)
                        for path, source in (routes or {}).items()}
        self._cached: dict[tuple[int, tuple[Fault, ...]], tuple[Transcript, Plan]] = {}
        self._busy = _plan_503()
        self._log = _Log(log)
        self._sock = socket.create_server((host, port), backlog=backlog)
        self._sock.setblocking(False)
        self._reserve: int | None = None
        self._connections: dict[_Connection, None] = {}
        self._serving = 0  # connections not refusing
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._stopping = False
        self._interrupted = False
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self._sock.getsockname()[:2]
        scheme = "https" if self.ssl_context else "http"
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{port}"

    @property
    def connections(self) -> int:
        """The number of open client connections."""
        return len(self._connections)

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Serve on a background thread; return once the server accepts connections."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run_loop, name="sseproto-serve",
                                        daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        """Stop accepting, close every connection and return when the loop has ended."""
        with self._lock:
            loop, event = self._loop, self._stop_event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(event.set)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        if loop is None:
            self._sock.close()

    def serve_forever(self) -> None:
        """Serve on this thread until :meth:`stop` or a signal.

        On the main thread, SIGINT stops the server cleanly and then raises
        :class:`KeyboardInterrupt`; SIGTERM stops it and returns.
        """
        self._run_loop(signals=threading.current_thread() is threading.main_thread())
        if self._interrupted:
            raise KeyboardInterrupt

    # --- the loop ----------------------------------------------------------------------------

    def _run_loop(self, signals: bool = False) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._loop_error)
        try:
            if signals:
                loop.add_signal_handler(signal.SIGINT, self._signalled, True)
                loop.add_signal_handler(signal.SIGTERM, self._signalled, False)
            loop.run_until_complete(self._main(loop))
        finally:
            if signals:
                for number in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(number)
            loop.close()
            self._ready.set()

    def _signalled(self, interrupted: bool) -> None:
        self._interrupted = interrupted
        if self._stop_event is not None:
            self._stop_event.set()

    async def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._loop = loop
            self._stop_event = asyncio.Event()
        self._log.bind(loop)
        self._reserve = _open_reserve()
        loop.add_reader(self._sock.fileno(), self._accept)
        self._ready.set()
        try:
            await self._stop_event.wait()
        finally:
            await self._shutdown(loop)

    async def _shutdown(self, loop: asyncio.AbstractEventLoop) -> None:
        self._stopping = True
        loop.remove_reader(self._sock.fileno())
        self._sock.close()
        for connection in list(self._connections):
            if connection.transport is not None:
                connection.transport.abort()
        for task in asyncio.all_tasks(loop) - {asyncio.current_task(loop)}:
            task.cancel()
        for _ in range(3):  # let connection_lost and cancelled handshakes run
            await asyncio.sleep(0)
        if self._reserve is not None:
            os.close(self._reserve)
            self._reserve = None
        self._log.flush()
        with self._lock:
            self._loop = None

    def _call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        assert self._loop is not None
        return self._loop.call_later(delay, callback)

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """One line for an error asyncio reports (never a traceback)."""
        exc = context.get("exception")
        if isinstance(exc, MemoryError):
            self._log.notice("memory", "out of memory: closed the connection that needed it")
        elif isinstance(exc, OSError | ssl.SSLError):
            return  # a client that went away mid-handshake or mid-write
        else:
            what = type(exc).__name__ if exc is not None else "error"
            self._log.notice("internal", f"{what}: {context.get('message', '')}"
                                         f" {str(exc or '')[:200]}".strip())
        transport = context.get("transport")
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.abort()

    # --- accepting ---------------------------------------------------------------------------

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                sock, address = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _EXHAUSTED:
                    self._refuse_one(exc)
                else:
                    self._log.notice("accept", f"accept() failed: {exc.strerror or exc}")
                return
            try:
                self._open(sock, address)
            except MemoryError:
                _close(sock)
                self._log.notice("memory", "out of memory: refused a connection")

    def _refuse_one(self, exc: OSError) -> None:
        """Out of descriptors: accept the waiting connection with the reserve one and close it.

        Without this the connection would wait in the backlog, and the loop
        would wake up for it again and again.
        """
        self._log.notice("exhausted", f"{_describe(exc)}: refused a connection")
        if self._reserve is not None:
            os.close(self._reserve)
            self._reserve = None
            with contextlib.suppress(OSError):
                sock, _ = self._sock.accept()
                _close(sock)
            self._reserve = _open_reserve()
        if self._reserve is None and self._loop is not None:  # nothing in reserve: back off
            self._loop.remove_reader(self._sock.fileno())
            self._loop.call_later(0.05, self._resume_accepting)

    def _resume_accepting(self) -> None:
        if not self._stopping and self._loop is not None:
            if self._reserve is None:
                self._reserve = _open_reserve()
            self._loop.add_reader(self._sock.fileno(), self._accept)

    def _open(self, sock: socket.socket, address: Any) -> None:
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        refusing = self.max_connections is not None and self._serving >= self.max_connections
        peer = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address)
        connection = _Connection(self, peer, refusing)
        self._connections[connection] = None
        if not refusing:
            self._serving += 1
        else:
            self._log.notice("busy", f"{self._serving} connections (--max-connections):"
                                     " answering 503 to new ones")
        assert self._loop is not None
        task = self._loop.create_task(self._loop.connect_accepted_socket(
            lambda: connection, sock, ssl=self.ssl_context,
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT if self.ssl_context else None))
        task.add_done_callback(lambda done: self._opened(done, connection, sock))

    def _opened(self, task: asyncio.Task[Any], connection: _Connection,
                sock: socket.socket) -> None:
        if task.cancelled() or task.exception() is not None:
            exc = None if task.cancelled() else task.exception()
            if isinstance(exc, ssl.SSLError):
                self._log.notice("tls", f"TLS handshake with {connection.peer} failed:"
                                        f" {exc.reason or exc}")
            elif isinstance(exc, MemoryError):
                self._log.notice("memory", "out of memory: refused a connection")
            _close(sock)
            self._forget(connection)

    def _forget(self, connection: _Connection) -> None:
        if connection in self._connections:
            del self._connections[connection]
            if not connection.refusing:
                self._serving -= 1

    def _out_of_memory(self, connection: _Connection) -> None:
        self._log.notice("memory", f"out of memory serving {connection.peer}: closed that"
                                   " connection")
        if connection.transport is not None:
            connection.transport.abort()

    # --- requests ----------------------------------------------------------------------------

    def _record(self, request: ReceivedRequest) -> None:
        """Keep ``request``, dropping the oldest past the count and body-size bounds."""
        with self._lock:
            kept = self.requests
            kept.append(request)
            self._kept_body_bytes += len(request.body)
            drop = max(0, len(kept) - MAX_KEPT_REQUESTS)
            dropped_bytes = sum(len(old.body) for old in kept[:drop])
            while (self._kept_body_bytes - dropped_bytes > MAX_KEPT_BODY_BYTES
                   and drop < len(kept) - 1):
                dropped_bytes += len(kept[drop].body)
                drop += 1
            if drop:
                del kept[:drop]
                self._kept_body_bytes -= dropped_bytes

    def _plan_for(self, request: ReceivedRequest, refusing: bool) -> Plan:
        if refusing:
            return self._busy
        if self.router is not None:
            try:
                route = self.router(request)
            except Exception as exc:  # a bug in the caller's router: a 500, one log line
                self._log.notice("router", f"the router raised {type(exc).__name__}: {exc}")
                return _plan_error(500, f"the router raised {type(exc).__name__}", "server_error")
            if route is not None:
                return self._routed(route)
        path = request.path.split("?", 1)[0]
        target = self._routes.get(path, self._default)
        if target is None:
            return _plan_error(404, f"nothing is served at {path[:200]}; this server serves: "
                               + ", ".join(sorted(self._routes)[:20]), "not_found")
        body = request.json
        plan = target.choose(body.get("model") if isinstance(body, dict) else None)
        return plan if isinstance(plan, Plan) else _plan_error(404, plan, "not_found")

    def _routed(self, route: Route) -> Plan:
        """The plan of a router's choice, worked out once per transcript and faults."""
        key = (id(route.transcript), tuple(route.faults))
        cached = self._cached.get(key)
        if cached is not None and cached[0] is route.transcript:
            return cached[1]
        plan = plan_for(route.transcript, route.faults, self.speed)
        if len(self._cached) >= MAX_CACHED_PLANS:
            self._cached.clear()
        self._cached[key] = (route.transcript, plan)  # holding it keeps its id unique
        return plan


def _plan_error(status: int, message: str, kind: str) -> Plan:
    body = error_body(status, message, kind)
    return Plan(status=status, reason=reason_phrase(status),
                headers=(("Content-Type", "application/json"),
                         ("Content-Length", str(len(body)))),
                informational=(), delay=0.0, chunked=(), raw=(), ending=Ending.COMPLETE,
                fixed_body=body)


def _plan_503() -> Plan:
    body = error_body(503, "too many connections: the server's --max-connections is reached",
                      "overloaded_error")
    return Plan(status=503, reason=reason_phrase(503),
                headers=(("Content-Type", "application/json"),
                         ("Content-Length", str(len(body))), ("Retry-After", RETRY_AFTER),
                         ("Connection", "close")),
                informational=(), delay=0.0, chunked=(), raw=(), ending=Ending.COMPLETE,
                fixed_body=body)


def _open_reserve() -> int | None:
    """A spare descriptor, closed to make room for refusing a connection."""
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


def _describe(exc: OSError) -> str:
    if exc.errno in (errno.EMFILE, errno.ENFILE):
        try:
            import resource

            limit = f" (limit {resource.getrlimit(resource.RLIMIT_NOFILE)[0]})"
        except (ImportError, OSError, ValueError):  # pragma: no cover - not on Unix
            limit = ""
        return f"out of file descriptors{limit}"
    return f"out of memory for sockets ({exc.strerror or exc})"


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


# --- set-up helpers for the command line -------------------------------------------------------


def raise_fd_limit() -> int:
    """Raise this process's open-file limit to its hard limit where allowed; return the limit."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Unix
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft == resource.RLIM_INFINITY or soft >= target:
        return int(soft)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return int(target)
    return int(soft)


def parse_route(text: str) -> tuple[str, Source]:
    """``/PATH=FILE`` or ``/PATH=DIRECTORY`` as given to ``--route``."""
    path, sep, where = text.partition("=")
    if not sep or not path.startswith("/") or not where:
        raise ValueError(f"bad route {text!r}: expected /PATH=FILE or /PATH=DIRECTORY")
    return path, load_source(where)


def sources_from_args(files: list[str], routes: list[str]) -> tuple[Source | None,
                                                                     dict[str, Source]]:
    """What ``serve FILE... --route /PATH=SOURCE...`` serves.

    One FILE (or ``-``, standard input) serves every request; a directory,
    or several files, are chosen by the request's ``model`` (a file's name
    without its suffix).  Raises ``ValueError`` or
    :class:`~sseproto.transcript.TranscriptError`.
    """
    by_path = dict(parse_route(text) for text in routes)
    if not files and not by_path:
        raise ValueError("nothing to serve: give a FILE, a DIRECTORY or --route /PATH=FILE")
    if not files:
        return None, by_path
    if files == ["-"]:
        return loads(sys.stdin.buffer.read()), by_path
    if len(files) == 1:
        return load_source(files[0]), by_path
    by_model: dict[str, Transcript] = {}
    for name in files:
        model = Path(name).stem
        source = load_source(name)
        if not isinstance(source, Transcript) or model in by_model:
            raise ValueError(f"{name}: several files serve by model, one file per model name")
        by_model[model] = source
    return by_model, by_path

