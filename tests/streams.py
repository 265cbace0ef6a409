"""What the tests serve with the replay server (and the pytest plugin's ``sse_server``).

Bodies from the samples, transcripts built from them (cut into irregular,
timed writes so they reach the client in pieces), error responses, TLS
contexts from throw-away CAs, and a port with nothing listening.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson
import trustme

from sseproto.transcript import Transcript
from tests.helpers import ROOT

SAMPLES = ROOT / "spec" / "samples"
#: The seed stream: Prediction Guard's pretty-printed, non-conforming SSE.
SEED = (SAMPLES / "prediction-guard.sse").read_bytes()
#: A well-formed OpenAI chat-completions stream (multi-byte UTF-8 inside).
OPENAI = (SAMPLES / "openai-chat.sse").read_bytes()
#: Write sizes cycled through: each write is its own HTTP chunk.
IRREGULAR: tuple[int, ...] = (1, 7, 3, 100, 2, 13, 64, 5, 31, 1, 17, 250, 4, 9)
#: The pause between two writes, so the pieces reach the client separately.
PAUSE = 0.001
SSE_HEADERS = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
#: The OpenAI-style JSON body of a 401.
AUTH_ERROR: dict[str, Any] = {
    "error": {"message": "Invalid API key", "type": "invalid_request_error",
              "code": "invalid_api_key"}}


def pieces(data: bytes, sizes: Sequence[int] = IRREGULAR) -> Iterator[bytes]:
    """``data`` cut into consecutive pieces of the cycled ``sizes``."""
    offset = 0
    for size in itertools.cycle(sizes):
        if offset >= len(data):
            return
        yield data[offset : offset + size]
        offset += size


def stream(body: bytes, *, sizes: Sequence[int] = IRREGULAR, pause: float = PAUSE,
           headers: dict[str, str] | None = None) -> Transcript:
    """An SSE response of ``body`` in irregular writes ``pause`` seconds apart (speed 1)."""
    chunks = [(index * pause, piece) for index, piece in enumerate(pieces(body, sizes))]
    return Transcript(chunks=chunks, headers=SSE_HEADERS if headers is None else headers)


def json_response(status: int, payload: Any, *,
                  content_type: str = "application/json") -> Transcript:
    """A JSON body with the given status."""
    return Transcript(chunks=[(0.0, orjson.dumps(payload))], status=status,
                      reason=HTTPStatus(status).phrase,
                      headers={"content-type": content_type})


def unauthorized() -> Transcript:
    return json_response(401, AUTH_ERROR)


def wrong_content_type() -> Transcript:
    """200, but ``application/json`` with an error body instead of an event stream."""
    return json_response(200, AUTH_ERROR)


@dataclass(frozen=True)
class TLSContexts:
    """Server and client SSL contexts made with two throw-away CAs (trustme).

    ``client`` trusts ``ca``, which issued ``server``'s certificate for
    127.0.0.1 and localhost; ``other_server``'s comes from ``other_ca``,
    which ``client`` does not trust; ``other_client`` trusts only ``other_ca``.
    """

    ca: trustme.CA
    other_ca: trustme.CA
    server: ssl.SSLContext
    client: ssl.SSLContext
    other_server: ssl.SSLContext
    other_client: ssl.SSLContext


def _server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def _client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def make_tls_contexts() -> TLSContexts:
    ca, other = trustme.CA(), trustme.CA()
    return TLSContexts(ca=ca, other_ca=other, server=_server_context(ca),
                       client=_client_context(ca), other_server=_server_context(other),
                       other_client=_client_context(other))


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


#: In the writes of a :class:`RawServer` response: abort the connection with a TCP reset.
RESET = None


class RawServer:
    """Responses the replay server cannot produce, as raw bytes, on a counted connection.

    The replay server always frames its body as HTTP chunks, encodes it with
    gzip at most, and does not say which connection carried a request; tests
    of Content-Length and close-delimited framing, deflate, a cut inside a
    chunk, and connection reuse use this instead.  ``respond`` gets the
    request head and returns the writes: bytes (each sent on its own),
    a float (a pause, cut short when the server stops) or :data:`RESET`.
    With ``keep_alive`` the connection then serves the next request, else
    it is closed.
    """

    def __init__(self, respond: Callable[[bytes], Iterable[bytes | float | None]], *,
                 keep_alive: bool = False, ssl_context: ssl.SSLContext | None = None) -> None:
        self.respond = respond
        self.keep_alive = keep_alive
        self.ssl_context = ssl_context
        self.heads: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        # Closing a listening socket does not wake a thread blocked in accept()
        # on Linux; shutting it down does.
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn = self.ssl_context.wrap_socket(raw, server_side=True) if self.ssl_context else raw
            with conn:
                conn.settimeout(5)
                buffer = b""
                while True:
                    head, buffer = _read_request(conn, buffer)
                    if head is None:
                        return
                    self.heads.append(head)
                    if not self._write(conn, self.respond(head)) or not self.keep_alive:
                        return

    def _write(self, conn: socket.socket, writes: Iterable[bytes | float | None]) -> bool:
        """Send the writes; ``False`` when the connection was reset."""
        for write in writes:
            if write is RESET:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return False
            if isinstance(write, float):
                if self._stop.wait(write):
                    return False
                continue
            conn.sendall(write)
            time.sleep(PAUSE)
        return True


def _read_request(conn: socket.socket, buffer: bytes) -> tuple[bytes | None, bytes]:
    """One request head (its Content-Length body skipped) and what follows it."""
    while b"\r\n\r\n" not in buffer:
        received = conn.recv(65536)
        if not received:
            return None, b""
        buffer += received
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    size = int(length.group(1)) if length else 0
    while len(rest) < size:
        rest += conn.recv(65536)
    return head, rest[size:]


def chunked(data: bytes, sizes: Sequence[int] = IRREGULAR) -> list[bytes]:
    """``data`` as HTTP chunks of the cycled ``sizes``, then the last chunk: one write each."""
    return [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces(data, sizes)] + [
        b"0\r\n\r\n"]


def response_head(status: int = 200, **headers: str) -> bytes:
    """``HTTP/1.1 <status>`` and the headers (``content_type=`` for Content-Type)."""
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines += [f"{name.replace('_', '-').title()}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
