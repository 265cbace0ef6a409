"""The replay server: serve a transcript over HTTP/1.1 (h11), with fault injection.

Any client can then be tested against a captured stream, offline.  Every
request, whatever its method and path, gets the transcript's status, headers
and body; the body goes out chunked, one HTTP chunk per captured chunk, with
the original timing scaled by ``speed`` (0, the default, sends at once).

Faults (repeatable, as on the command line):

- ``cut:N``: close the connection after N body bytes (no final chunk);
- ``reset:N``: a TCP reset after N body bytes;
- ``stall:S`` (or ``stall:S@N``): stop sending for S seconds half-way
  through the body (or after N body bytes);
- ``bytewise``: one-byte writes;
- ``status:CODE``: answer CODE with a JSON error body instead;
- ``delay:S``: wait S seconds before the response head;
- ``coalesce``: the whole response (head, body, end) in one write;
- ``gzip``: the body gzip-compressed (``Content-Encoding: gzip``), each
  write compressed and flushed as it goes, as compression middleware does.

A ``router`` picks, per request, what to serve (a :class:`Route`: a
transcript and its faults); a request it has no route for gets the default
transcript, or a 404 when the server has none.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import h11
import orjson

from ._errors import short_repr
from .transcript import Transcript, redact_headers

__all__ = ["Fault", "Headers", "ReceivedRequest", "ReplayServer", "Route", "parse_fault"]

#: How many received requests :attr:`ReplayServer.requests` keeps (the most recent).
MAX_KEPT_REQUESTS = 10_000
#: The largest request body the server reads; a larger one gets 413.
MAX_REQUEST_BODY = 16 * 1024 * 1024

_DROPPED_HEADERS = {"content-length", "transfer-encoding", "content-encoding", "connection",
                    "keep-alive"}


@dataclass(frozen=True)
class Fault:
    """One injected fault: ``kind`` and its number (bytes, seconds or status)."""

    kind: str
    value: float = 0.0
    at: int | None = None  # for stall: after this many body bytes

    def __str__(self) -> str:
        return self.kind if self.kind in _BARE_FAULTS else f"{self.kind}:{self.value:g}"


_BARE_FAULTS = ("bytewise", "coalesce", "gzip")


def parse_fault(text: str) -> Fault:
    """Parse ``cut:N``, ``reset:N``, ``stall:S[@N]``, ``bytewise``, ``status:CODE``,
    ``delay:S``, ``coalesce`` or ``gzip``."""
    kind, _, arg = text.partition(":")
    try:
        if kind in _BARE_FAULTS and not arg:
            return Fault(kind)
        if kind in ("cut", "reset") and int(arg) >= 0:
            return Fault(kind, int(arg))
        if kind == "status" and 100 <= int(arg) <= 599:
            return Fault(kind, int(arg))
        if kind == "delay" and float(arg) >= 0:
            return Fault(kind, float(arg))
        if kind == "stall":
            seconds, _, at = arg.partition("@")
            if float(seconds) >= 0:
                return Fault(kind, float(seconds), int(at) if at else None)
    except ValueError:
        pass
    raise ValueError(f"bad fault {text!r}: expected cut:N, reset:N, stall:S[@N], bytewise,"
                     " status:CODE, delay:S, coalesce or gzip")



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


@dataclass(frozen=True)
class Route:
    """What to serve for one request: a transcript and its faults."""

    transcript: Transcript
    faults: tuple[Fault, ...] = ()


#: Picks the route for a request; ``None``: the server's default transcript.
Router = Callable[[ReceivedRequest], Route | None]


class ReplayServer:
    """Serve ``transcript`` on ``host:port`` (port 0 picks one) until stopped.

    Use as a context manager, or call :meth:`start` / :meth:`stop`;
    :attr:`url` is the base URL once started.
    """

    def __init__(self, transcript: Transcript | None, *, host: str = "127.0.0.1", port: int = 0,
                 ssl_context: ssl.SSLContext | None = None, speed: float = 0.0,
                 faults: Iterable[Fault] = (), router: Router | None = None) -> None:
        self.transcript = transcript
        self.router = router
        self.ssl_context = ssl_context
        self.speed = speed
        self.faults = list(faults)
        #: The requests received, oldest first (at most :data:`MAX_KEPT_REQUESTS`, the latest).
        self.requests: list[ReceivedRequest] = []
        self._sock = socket.create_server((host, port))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._clients: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self._sock.getsockname()[:2]
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host}:{port}"

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            for client in list(self._clients):
                _close(client)
        for thread in self._threads:
            thread.join(timeout=2)
        self._sock.close()

    def serve_forever(self) -> None:
        """Accept connections until :meth:`stop` (each served on its own thread)."""
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._connection, args=(client,), daemon=True)
            thread.start()

    # --- one connection ---------------------------------------------------------------

    def _connection(self, raw: socket.socket) -> None:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(30)
        try:
            sock = (self.ssl_context.wrap_socket(raw, server_side=True)
                    if self.ssl_context else raw)
        except (ssl.SSLError, OSError):
            _close(raw)
            return
        with self._lock:
            self._clients.add(sock)
        conn = h11.Connection(h11.SERVER)
        try:
            while not self._stop.is_set():
                request = self._read_request(sock, conn)
                if request is None:
                    return
                self._record(request)
                if not self._respond(sock, conn, self._route(request)):
                    return
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (OSError, h11.ProtocolError):
            pass
        finally:
            with self._lock:
                self._clients.discard(sock)
            _close(sock)

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            if len(self.requests) > MAX_KEPT_REQUESTS:
                del self.requests[: len(self.requests) - MAX_KEPT_REQUESTS]

    def _read_request(self, sock: socket.socket, conn: h11.Connection) -> ReceivedRequest | None:
        """Read one whole request; ``None`` when the client went away."""
        head: h11.Request | None = None
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = sock.recv(65536)
                conn.receive_data(data)
                if not data and conn.their_state is h11.IDLE:
                    return None
            elif isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_REQUEST_BODY:
                    raise h11.RemoteProtocolError("request body too large", 413)
            elif isinstance(event, h11.EndOfMessage) and head is not None:
                return _received(head, bytes(body))
            elif isinstance(event, h11.ConnectionClosed):
                return None

    def _route(self, request: ReceivedRequest) -> Route | None:
        route = self.router(request) if self.router is not None else None
        if route is None and self.transcript is not None:
            return Route(self.transcript, tuple(self.faults))
        return route

    def _respond(self, sock: socket.socket, conn: h11.Connection, route: Route | None) -> bool:
        """Send the response with the faults; ``False`` when the connection must end."""
        if route is None:
            return _not_found(sock, conn)
        faults = {fault.kind: fault for fault in route.faults}
        if "delay" in faults:
            self._stop.wait(faults["delay"].value)
        if "status" in faults:
            code = int(faults["status"].value)
            body = orjson.dumps({"error": {"message": f"injected status {code}",
                                           "type": "injected_fault", "code": code}})
            sock.sendall(conn.send(h11.Response(status_code=code, headers=[
                ("Content-Type", "application/json"), ("Content-Length", str(len(body)))])) or b"")
            sock.sendall((conn.send(h11.Data(data=body)) or b"")
                         + (conn.send(h11.EndOfMessage()) or b""))
            return True
        transcript = route.transcript
        out = _Output(sock, conn, coalesce="coalesce" in faults, gzip="gzip" in faults)
        headers = [(k, v) for k, v in transcript.headers.items()
                   if k.lower() not in _DROPPED_HEADERS]
        reason = transcript.reason.encode("ascii", "replace")  # h11 takes ASCII only
        out.head(transcript.status, reason, headers)
        sent = 0
        limit = _byte_limit(faults)
        for piece, pause in self._pieces(transcript, faults):
            if pause:
                out.flush()
                self._stop.wait(pause)
            if self._stop.is_set():
                return False
            if limit is not None and sent + len(piece) >= limit:
                out.data(piece[: int(limit) - sent])
                out.flush()
                if "reset" in faults:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return False
            out.data(piece)
            sent += len(piece)
        out.end()
        return True

    def _pieces(self, transcript: Transcript,
                faults: dict[str, Fault]) -> Iterator[tuple[bytes, float]]:
        """The body pieces to write, each with the pause to take before it."""
        stall = faults.get("stall")
        stall_at = -1
        if stall is not None:
            total = sum(len(data) for _, data in transcript.chunks)
            stall_at = stall.at if stall.at is not None else max(total // 2, 1)
        last = 0.0
        sent = 0
        for offset, data in transcript.chunks:
            pause = (offset - last) / self.speed if self.speed > 0 else 0.0
            last = offset
            if sent < stall_at < sent + len(data):  # the stall falls inside this chunk
                cut = stall_at - sent
                parts = [(data[:cut], pause), (data[cut:], stall.value if stall else 0.0)]
            else:
                if stall is not None and sent == stall_at:
                    pause += stall.value
                parts = [(data, pause)]
            for part, wait in parts:
                if "bytewise" in faults:
                    for i in range(len(part)):
                        yield part[i : i + 1], wait if i == 0 else 0.0
                else:
                    yield part, wait
                sent += len(part)
        if stall is not None and stall_at >= sent:  # at (or past) the end: before the last chunk
            yield b"", stall.value


def _received(head: h11.Request, body: bytes) -> ReceivedRequest:
    headers = Headers((name.decode("latin-1"), value.decode("latin-1"))
                      for name, value in head.headers)
    return ReceivedRequest(method=head.method.decode("ascii", "replace"),
                           path=head.target.decode("ascii", "replace"), headers=headers,
                           body=body)


class _Output:
    """Writes one response: at once, or all in one write (``coalesce``); gzipped or not."""

    def __init__(self, sock: socket.socket, conn: h11.Connection, *, coalesce: bool,
                 gzip: bool) -> None:
        self.sock = sock
        self.conn = conn
        self.coalesce = coalesce
        self.pending: list[bytes] = []
        self.gzip = zlib.compressobj(wbits=31) if gzip else None  # 31: the gzip format

    def _write(self, data: bytes | None) -> None:
        if data:
            self.pending.append(data)
            if not self.coalesce:
                self.flush()

    def flush(self) -> None:
        if self.pending:
            self.sock.sendall(b"".join(self.pending))
            self.pending.clear()

    def head(self, status: int, reason: bytes, headers: list[tuple[str, str]]) -> None:
        if self.gzip is not None:
            headers = [*headers, ("Content-Encoding", "gzip")]
        self._write(self.conn.send(h11.Response(status_code=status, reason=reason,
                                                headers=headers)))

    def data(self, piece: bytes) -> None:
        if self.gzip is not None and piece:
            piece = self.gzip.compress(piece) + self.gzip.flush(zlib.Z_SYNC_FLUSH)
        if piece:
            self._write(self.conn.send(h11.Data(data=piece)))

    def end(self) -> None:
        if self.gzip is not None:
            self._write(self.conn.send(h11.Data(data=self.gzip.flush())))
        self._write(self.conn.send(h11.EndOfMessage()))
        self.flush()


def _not_found(sock: socket.socket, conn: h11.Connection) -> bool:
    body = orjson.dumps({"error": {"message": "nothing is served at this path",
                                   "type": "not_found", "code": 404}})
    sock.sendall((conn.send(h11.Response(status_code=404, headers=[
        ("Content-Type", "application/json"), ("Content-Length", str(len(body)))])) or b"")
        + (conn.send(h11.Data(data=body)) or b"") + (conn.send(h11.EndOfMessage()) or b""))
    return True


def _byte_limit(faults: dict[str, Fault]) -> float | None:
    for kind in ("cut", "reset"):
        if kind in faults:
            return faults[kind].value
    return None


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
