"""Real loopback HTTP/1.1 servers for the client tests, with byte-level control.

Everything binds ``127.0.0.1`` on port 0.  A :class:`ScriptedServer` accepts
connections on a daemon thread, parses each request itself (request line,
headers, ``Content-Length`` or chunked body), and hands it to a *handler*
together with a :class:`Connection` that can write raw bytes, pause, close or
reset.  Several requests per connection (keep-alive) are served until the
client or the handler closes it.

The builders below (:func:`sse_chunked`, :func:`cut_chunked`, :func:`stall`,
:class:`ResumableEvents`, ...) return ready-made handlers.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
import socket
import ssl
import struct
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import trustme

__all__ = [
    "AUTH_ERROR",
    "HOST",
    "IRREGULAR",
    "OPENAI",
    "SEED",
    "Connection",
    "Handler",
    "Request",
    "ResumableEvents",
    "ScriptedServer",
    "TLSContexts",
    "closed_port",
    "cut_chunked",
    "cut_content_length",
    "json_response",
    "make_tls_contexts",
    "reset_after",
    "sequence",
    "sse_chunked",
    "sse_close_delimited",
    "sse_content_length",
    "sse_encoded",
    "stall",
    "unauthorized",
    "wrong_content_type",
]

HOST = "127.0.0.1"

SAMPLES = Path(__file__).resolve().parent.parent / "spec" / "samples"
#: The seed stream: Prediction Guard's pretty-printed, non-conforming SSE.
SEED = (SAMPLES / "prediction-guard.sse").read_bytes()
#: A well-formed OpenAI chat-completions stream (multi-byte UTF-8 inside).
OPENAI = (SAMPLES / "openai-chat.sse").read_bytes()

#: Write sizes cycled through by the streaming handlers: each write is its own
#: chunk (or its own ``send`` for non-chunked bodies), flushed separately.
IRREGULAR: tuple[int, ...] = (1, 7, 3, 100, 2, 13, 64, 5, 31, 1, 17, 250, 4, 9)

#: The pause between two writes, so the pieces reach the client separately.
PAUSE = 0.001

#: The JSON body of the 401 answered by :func:`unauthorized`.
AUTH_ERROR: dict[str, Any] = {
    "error": {
        "message": "Invalid API key",
        "type": "invalid_request_error",
        "code": "invalid_api_key",
    }
}

#: How long a server-side socket operation may block.
IO_TIMEOUT = 5.0
#: How often blocked server threads look at the stop flag.
POLL = 0.05
#: The largest request head or body the server accepts.
MAX_REQUEST = 1 << 20

SSE_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Type", "text/event-stream; charset=utf-8"),
    ("Cache-Control", "no-cache"),
)


@dataclass
class Request:
    """A request as the server parsed it (header names lower-cased)."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes
    connection: int  # 1-based number of the TCP connection that carried it

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def json(self) -> Any:
        return json.loads(self.body)


class _Gone(Exception):
    """The client closed the connection (or the server is stopping)."""


class Connection:
    """The server side of one accepted connection, as seen by a handler."""

    def __init__(self, sock: socket.socket, number: int, stop: threading.Event) -> None:
        self.sock = sock
        self.number = number
        self.closed = False
        self._stop = stop
        self._buffer = b""

    # -- writing ---------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Send ``data`` as it is (raw bytes on the wire)."""
        if self.closed:
            raise _Gone("the connection is closed")
        self.sock.settimeout(IO_TIMEOUT)
        self.sock.sendall(data)

    def send_head(self, status: int = 200, headers: Iterable[tuple[str, str]] = (),
                  reason: str | None = None) -> None:
        """Send the status line and headers (and the blank line after them)."""
        reason = _REASONS.get(status, "Status") if reason is None else reason
        lines = [f"HTTP/1.1 {status} {reason}".encode("latin-1")]
        lines += [f"{name}: {value}".encode("latin-1") for name, value in headers]
        self.write(b"\r\n".join(lines) + b"\r\n\r\n")

    def write_chunk(self, data: bytes) -> None:
        """Send one chunk of a chunked body (an empty ``data`` sends nothing)."""
        if data:
            self.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunks(self) -> None:
        """Send the terminating zero-length chunk."""
        self.write(b"0\r\n\r\n")

    def write_pieces(self, data: bytes, *, chunked: bool, sizes: Sequence[int] = IRREGULAR,
                     pause: float = PAUSE) -> None:
        """Send ``data`` in pieces of the cycled ``sizes``, pausing between them."""
        for piece in pieces(data, sizes):
            if chunked:
                self.write_chunk(piece)
            else:
                self.write(piece)
            if pause:
                self.sleep(pause)

    # -- time and teardown ---------------------------------------------------

    def sleep(self, seconds: float) -> None:
        """Pause; returns early (raising :class:`_Gone`) when the server stops."""
        if self._stop.wait(seconds):
            raise _Gone("the server is stopping")

    def close(self) -> None:
        """Close the connection normally (FIN)."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()

    def reset(self) -> None:
        """Abort the connection: ``SO_LINGER`` 0 then close, so the peer gets a TCP RST."""
        if not self.closed:
            self.closed = True
            raw = self.sock
            with contextlib.suppress(OSError):
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()

    # -- reading (used by the server loop) -----------------------------------

    def _recv(self) -> bytes:
        self.sock.settimeout(POLL)
        while True:
            if self._stop.is_set() or self.closed:
                raise _Gone("stopping")
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except ssl.SSLWantReadError:
                continue
            if not data:
                raise _Gone("the client closed the connection")
            return data

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            if len(self._buffer) > MAX_REQUEST:
                raise ValueError("request head too large")
            self._buffer += self._recv()
        head, self._buffer = self._buffer.split(marker, 1)
        return head

    def _read_exactly(self, size: int) -> bytes:
        if size > MAX_REQUEST:
            raise ValueError("request body too large")
        while len(self._buffer) < size:
            self._buffer += self._recv()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def read_request(self) -> Request | None:
        """Read the next request, or ``None`` when the client closed the connection."""
        try:
            while self._buffer.startswith(b"\r\n"):  # tolerated before a request line
                self._buffer = self._buffer[2:]
            if not self._buffer:
                self._buffer = self._recv()
            head = self._read_until(b"\r\n\r\n")
        except _Gone:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    while self._read_until(b"\r\n"):  # trailers
                        pass
                    break
                body += self._read_exactly(size)
                self._read_exactly(2)
        else:
            body = self._read_exactly(int(headers.get("content-length", "0")))
        return Request(method, target, version, headers, body, self.number)


Handler = Callable[[Request, Connection], None]


class ScriptedServer:
    """A threaded loopback HTTP/1.1 server; a context manager.

    >>> with ScriptedServer(sse_chunked(SEED)) as srv:   # doctest: +SKIP
    ...     srv.url                                       # 'http://127.0.0.1:PORT'
    """

    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None,
                 base_path: str = "") -> None:
        self.handler = handler
        self.tls = tls
        self.base_path = base_path
        self.requests: list[Request] = []
        #: Exceptions raised while serving (handshake failures, handler errors,
        #: the client going away mid-write): for tests that want to look.
        self.errors: list[BaseException] = []
        self._connections = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.port = 0

    @property
    def connections(self) -> int:
        """The number of TCP connections accepted so far."""
        return self._connections

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{HOST}:{self.port}{self.base_path}"

    def __enter__(self) -> Self:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, 0))
        listener.listen(16)
        listener.settimeout(POLL)
        self._listener = listener
        self.port = listener.getsockname()[1]
        thread = threading.Thread(target=self._accept_loop, name="scripted-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            open_socks = list(self._open)
        for sock in open_socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._threads:
            self._threads[0].join(timeout=5.0)  # the accept loop: no new threads after it
        with self._lock:
            threads = list(self._threads[1:])
        for thread in threads:
            thread.join(timeout=5.0)
        with self._lock:
            leftovers, self._open = self._open, []
        for sock in leftovers:
            sock.close()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    # -- threads ---------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:  # pragma: no cover - listener closed under us
                if not self._stop.is_set():
                    self.errors.append(exc)
                return
            with self._lock:
                self._connections += 1
                number = self._connections
                self._open.append(raw)
            thread = threading.Thread(target=self._serve, args=(raw, number),
                                      name=f"scripted-conn-{number}", daemon=True)
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _serve(self, raw: socket.socket, number: int) -> None:
        sock: socket.socket = raw
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.settimeout(IO_TIMEOUT)
            if self.tls is not None:
                sock = self.tls.wrap_socket(raw, server_side=True)
                with self._lock:
                    self._open.append(sock)
            conn = Connection(sock, number, self._stop)
            while not conn.closed and not self._stop.is_set():
                request = conn.read_request()
                if request is None:
                    break
                self.requests.append(request)
                self.handler(request, conn)
                if request.headers.get("connection", "").lower() == "close":
                    break
        except _Gone:
            pass
        except BaseException as exc:  # recorded, never raised on a server thread
            self.errors.append(exc)
        finally:
            with self._lock:
                for item in (raw, sock):
                    if item in self._open:
                        self._open.remove(item)
            sock.close()
            raw.close()


_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def pieces(data: bytes, sizes: Sequence[int] = IRREGULAR) -> Iterator[bytes]:
    """``data`` cut into consecutive pieces of the cycled ``sizes``."""
    offset = 0
    for size in itertools.cycle(sizes):
        if offset >= len(data):
            return
        yield data[offset : offset + size]
        offset += size


# -- handlers -------------------------------------------------------------------


def sse_chunked(body: bytes, *, sizes: Sequence[int] = IRREGULAR, pause: float = PAUSE,
                status: int = 200, headers: Iterable[tuple[str, str]] = SSE_HEADERS,
                end: bool = True) -> Handler:
    """An SSE response, ``Transfer-Encoding: chunked``, one chunk per irregular write."""
    head = [*headers, ("Transfer-Encoding", "chunked")]

    def handle(request: Request, conn: Connection) -> None:
        conn.send_head(status, head)
        conn.write_pieces(body, chunked=True, sizes=sizes, pause=pause)
        if end:
            conn.sleep(pause)
            conn.end_chunks()

    return handle


def sse_content_length(body: bytes, *, sizes: Sequence[int] = IRREGULAR,
                       pause: float = PAUSE) -> Handler:
    """An SSE response framed by ``Content-Length``, written in irregular pieces."""

    def handle(request: Request, conn: Connection) -> None:
        conn.send_head(200, [*SSE_HEADERS, ("Content-Length", str(len(body)))])
        conn.write_pieces(body, chunked=False, sizes=sizes, pause=pause)

    return handle


def sse_close_delimited(body: bytes, *, sizes: Sequence[int] = IRREGULAR,
                        pause: float = PAUSE) -> Handler:
    """An SSE response with neither length nor chunking: the body ends at EOF."""

    def handle(request: Request, conn: Connection) -> None:
        conn.send_head(200, [*SSE_HEADERS, ("Connection", "close")])
        conn.write_pieces(body, chunked=False, sizes=sizes, pause=pause)
        conn.close()

    return handle


def compress(body: bytes, encoding: str) -> bytes:
    """``gzip``, ``deflate`` (zlib-wrapped, as RFC 9110 says) or ``raw-deflate``."""
    if encoding == "gzip":
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)
    if encoding == "raw-deflate":
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return packer.compress(body) + packer.flush()
    raise ValueError(encoding)


def sse_encoded(body: bytes, encoding: str = "gzip", *, chunked: bool = True,
                sizes: Sequence[int] = IRREGULAR, pause: float = PAUSE) -> Handler:
    """An SSE response with a compressed body (``Content-Encoding``), chunked or not.

    ``encoding`` ``"raw-deflate"`` sends a raw deflate stream labelled
    ``deflate``, as some servers do.
    """
    data = compress(body, encoding)
    label = "deflate" if encoding == "raw-deflate" else encoding
    framing = (("Transfer-Encoding", "chunked") if chunked
               else ("Content-Length", str(len(data))))

    def handle(request: Request, conn: Connection) -> None:
        conn.send_head(200, [*SSE_HEADERS, ("Content-Encoding", label), framing])
        conn.write_pieces(data, chunked=chunked, sizes=sizes, pause=pause)
        if chunked:
            conn.end_chunks()

    return handle


def json_response(status: int, payload: Any, *, content_type: str = "application/json",
                  chunked: bool = False) -> Handler:
    """A JSON body with the given status (Content-Length framed, or chunked)."""
    data = json.dumps(payload).encode()

    def handle(request: Request, conn: Connection) -> None:
        if chunked:
            conn.send_head(status, [("Content-Type", content_type),
                                    ("Transfer-Encoding", "chunked")])
            conn.write_pieces(data, chunked=True)
            conn.end_chunks()
        else:
            conn.send_head(status, [("Content-Type", content_type),
                                    ("Content-Length", str(len(data)))])
            conn.write(data)

    return handle


def unauthorized(*, chunked: bool = False) -> Handler:
    """401 with an OpenAI-style JSON error body (:data:`AUTH_ERROR`)."""
    return json_response(401, AUTH_ERROR, chunked=chunked)


def wrong_content_type() -> Handler:
    """200, but ``application/json`` with an error body instead of an event stream."""
    return json_response(200, AUTH_ERROR)


def cut_chunked(body: bytes, cut_at: int, *, mid_chunk: bool = False) -> Handler:
    """Chunked SSE whose connection closes after ``cut_at`` body bytes, no 0-chunk.

    With ``mid_chunk`` the last chunk's header announces the whole rest of
    ``body`` but only the bytes up to ``cut_at`` follow it.
    """

    def handle(request: Request, conn: Connection) -> None:
        conn.send_head(200, [*SSE_HEADERS, ("Transfer-Encoding", "chunked")])
        split = max(cut_at - 20, 0) if mid_chunk else cut_at
        conn.write_pieces(body[:split], chunked=True)
        if mid_chunk:
            conn.write(b"%x\r\n%s" % (len(body) - split, body[split:cut_at]))
        conn.sleep(0.02)
        conn.close()

    return handle


def cut_content_length(body: bytes, cut_at: int) -> Handler:
    """SSE with ``Content-Length: len(body)`` but only ``cut_at`` bytes, then close."""

    def handle(request: Request, conn: Connection) -> None:
        conn.send_head(200, [*SSE_HEADERS, ("Content-Length", str(len(body)))])
        conn.write_pieces(body[:cut_at], chunked=False)
        conn.sleep(0.02)
        conn.close()

    return handle


def stall(body: bytes, seconds: float = 5.0) -> Handler:
    """Chunked SSE: headers and ``body``, then silence for ``seconds`` (then the end)."""

    def handle(request: Request, conn: Connection) -> None:
        conn.send_head(200, [*SSE_HEADERS, ("Transfer-Encoding", "chunked")])
        conn.write_pieces(body, chunked=True)
        conn.sleep(seconds)
        conn.end_chunks()

    return handle


def reset_after(body: bytes, *, settle: float = 0.3) -> Handler:
    """Chunked SSE: ``body``, a pause so the client reads it, then a TCP reset."""

    def handle(request: Request, conn: Connection) -> None:
        conn.send_head(200, [*SSE_HEADERS, ("Transfer-Encoding", "chunked")])
        conn.write_pieces(body, chunked=True)
        conn.sleep(settle)
        conn.reset()

    return handle


def sequence(*handlers: Handler) -> Handler:
    """Use each handler for one request in turn; the last one serves the rest."""
    lock = threading.Lock()
    used = [0]

    def handle(request: Request, conn: Connection) -> None:
        with lock:
            index = min(used[0], len(handlers) - 1)
            used[0] += 1
        handlers[index](request, conn)

    return handle


@dataclass
class ResumableEvents:
    """Numbered SSE events (``id: N``) that honour ``Last-Event-ID`` on reconnect.

    The first event carries ``retry: 10`` so a reconnecting client waits 10 ms.
    A connection that reaches an id in ``drop_after`` is cut right after that
    event (chunked body without its terminating chunk).  A request resuming
    after the last event gets ``204 No Content`` (WHATWG: stop reconnecting).
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

    def __call__(self, request: Request, conn: Connection) -> None:
        last = request.headers.get("last-event-id")
        self.last_event_ids.append(last)
        start = int(last) + 1 if last else 1
        if start > self.total:
            conn.send_head(204, [("Content-Length", "0")])
            return
        conn.send_head(200, [*SSE_HEADERS, ("Transfer-Encoding", "chunked")])
        for number in range(start, self.total + 1):
            data = self.event(number, self.retry if number == start else None)
            conn.write_pieces(data, chunked=True)
            if number in self.drop_after and number != self.total:
                conn.sleep(0.02)
                conn.close()
                return
        conn.end_chunks()


# -- TLS ------------------------------------------------------------------------


@dataclass(frozen=True)
class TLSContexts:
    """Server and client SSL contexts made with two throw-away CAs (trustme).

    ``server`` presents a certificate for ``127.0.0.1``/``localhost`` issued by
    ``ca``; ``client`` trusts ``ca``.  ``other_server`` presents a certificate
    from ``other_ca``, which ``client`` does NOT trust; ``other_client``
    trusts only ``other_ca`` (so it rejects ``server``).
    """

    ca: trustme.CA
    other_ca: trustme.CA
    server: ssl.SSLContext
    client: ssl.SSLContext
    other_server: ssl.SSLContext
    other_client: ssl.SSLContext


def _server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost").configure_cert(context)
    return context


def _client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def make_tls_contexts() -> TLSContexts:
    ca, other = trustme.CA(), trustme.CA()
    return TLSContexts(ca=ca, other_ca=other,
                       server=_server_context(ca), client=_client_context(ca),
                       other_server=_server_context(other), other_client=_client_context(other))


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port
