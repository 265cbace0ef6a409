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


class RawServer:
    """A response the replay server cannot produce, as raw bytes: one request per connection.

    The replay server always frames its body as HTTP chunks and encodes it
    with gzip at most; tests of Content-Length and close-delimited framing,
    deflate, and a cut inside a chunk use this instead.  ``respond`` gets
    the request head and returns the writes (each sent on its own, ``PAUSE``
    apart); the connection is then closed.
    """

    def __init__(self, respond: Callable[[bytes], Iterable[bytes]]) -> None:
        self.respond = respond
        self.heads: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            with contextlib.suppress(OSError):
                while b"\r\n\r\n" not in data:
                    received = conn.recv(65536)
                    if not received:
                        return
                    data += received
                head, _, body = data.partition(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                while length and len(body) < int(length.group(1)):
                    body += conn.recv(65536)
                self.heads.append(head)
                for piece in self.respond(head):
                    conn.sendall(piece)
                    time.sleep(PAUSE)


def response_head(status: int = 200, **headers: str) -> bytes:
    """``HTTP/1.1 <status>`` and the headers (``content_type=`` for Content-Type)."""
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines += [f"{name.replace('_', '-').title()}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
