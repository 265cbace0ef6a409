"""HTTP/1.1 for the clients: sans-IO, on ``h11``.  No ``h11`` type leaks out.

:class:`HTTPConnection` turns a request into bytes to send and received bytes
into :class:`ResponseHead`, body bytes and :class:`ResponseEnd`.  Bodies
framed by chunked encoding, Content-Length or the end of the connection are
all handled by h11; ``Content-Encoding: gzip`` and ``deflate`` are decoded
incrementally with :mod:`zlib`.  A body cut before its framing says it ends
raises :class:`~sseproto.IncompleteStream`; anything else h11 rejects raises
:class:`~sseproto.RemoteProtocolError`.

:func:`status_error` builds the :class:`~sseproto.HTTPStatusError` for a
non-2xx response from its (bounded) body, reading the error shapes seen in
the wild.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import h11
import orjson

from ._errors import (
    HTTPStatusError,
    IncompleteStream,
    LocalProtocolError,
    RemoteProtocolError,
    snippet,
)

__all__ = [
    "MAX_ERROR_BODY",
    "URL",
    "HTTPConnection",
    "ResponseEnd",
    "ResponseHead",
    "parse_url",
    "status_error",
]

#: How much of a non-2xx body is read to build the error.
MAX_ERROR_BODY = 64 * 1024

#: The largest response head accepted.
MAX_HEAD_SIZE = 64 * 1024

#: Decompressed output is produced in pieces of at most this size.
_INFLATE_PIECE = 256 * 1024


@dataclass(frozen=True, slots=True)
class URL:
    """A parsed ``http``/``https`` URL: what a connection needs."""

    scheme: str
    host: str
    port: int
    path: str  # the base path, without a trailing slash

    @property
    def origin(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


def parse_url(url: str) -> URL:
    """Parse a base URL; a bad one raises :class:`LocalProtocolError`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LocalProtocolError(f"not an http:// or https:// URL: {url!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise LocalProtocolError(f"bad port in URL: {url!r}") from None
    return URL(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


@dataclass(frozen=True, slots=True)
class ResponseHead:
    """The status line and headers of a response (header names lower-cased)."""

    status_code: int
    reason: str
    headers: dict[str, str]

    @property
    def content_type(self) -> str:
        """The media type, lower-cased, without parameters ("" when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True, slots=True)
class ResponseEnd:
    """The response body ended where its framing said it would."""

    reusable: bool  # the connection may carry another request


HTTPEvent = ResponseHead | bytes | ResponseEnd


class _Inflater:
    """Incremental gzip/deflate decoding with bounded output pieces.

    ``deflate`` should carry a zlib header, but some servers send raw
    deflate; the first two bytes tell which.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._head = b""
        self._zlib: Any = None
        if encoding != "deflate":
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> list[bytes]:
        if self._zlib is None:
            self._head += data
            if len(self._head) < 2:
                return []
            cmf, flg = self._head[0], self._head[1]
            wrapped = cmf & 0x0F == 8 and (cmf * 256 + flg) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data, self._head = self._head, b""
        pieces: list[bytes] = []
        try:
            out = self._zlib.decompress(data, _INFLATE_PIECE)
            while out:
                pieces.append(out)
                tail = self._zlib.unconsumed_tail
                out = self._zlib.decompress(tail, _INFLATE_PIECE) if tail else b""
        except zlib.error as exc:
            raise RemoteProtocolError(f"the {self.encoding} body is corrupt: {exc}") from None
        return pieces


class HTTPConnection:
    """One HTTP/1.1 client connection's protocol state (sans-IO)."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_SIZE)
        self._inflater: _Inflater | None = None

    @property
    def reusable(self) -> bool:
        """Can a new request go out on this connection now?"""
        conn = self._h11
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE

    def start_next_cycle(self) -> None:
        self._h11.start_next_cycle()
        self._inflater = None

    def request(self, method: str, path: str, headers: Iterable[tuple[str, str]],
                body: bytes | None) -> bytes:
        """The bytes of a whole request."""
        target = self.url.path + path if path.startswith("/") else path
        host = self.url.origin.split("://", 1)[1]
        all_headers = [("Host", host), *headers]
        if body is not None:
            all_headers.append(("Content-Length", str(len(body))))
        try:
            out = self._h11.send(h11.Request(method=method, target=target or "/",
                                             headers=all_headers))
            if body:
                out = (out or b"") + (self._h11.send(h11.Data(data=body)) or b"")
            return (out or b"") + (self._h11.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError as exc:
            raise LocalProtocolError(f"cannot send this request: {exc}") from None

    def receive(self, data: bytes) -> list[HTTPEvent]:
        """Feed received bytes (``b""`` at EOF); return what they complete."""
        conn = self._h11
        events: list[HTTPEvent] = []
        state = conn.their_state
        try:
            conn.receive_data(data)
            while True:
                state = conn.their_state
                event = conn.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    return events
                if isinstance(event, h11.Response):
                    head = self._head(event)
                    events.append(head)
                elif isinstance(event, h11.Data):
                    body = bytes(event.data)
                    events.extend(self._inflater.feed(body) if self._inflater else [body])
                elif isinstance(event, h11.EndOfMessage):
                    events.append(ResponseEnd(reusable=conn.our_state is h11.DONE
                                              and conn.their_state is h11.DONE))
                    return events
                elif isinstance(event, h11.ConnectionClosed):
                    return events
                # InformationalResponse (1xx): nothing to do.
        except h11.RemoteProtocolError as exc:
            if not data and state is h11.SEND_BODY:
                raise IncompleteStream(
                    "the server closed the connection before the end of the response body"
                    f" ({exc}); every event received before the cut was delivered"
                ) from None
            if not data:
                raise IncompleteStream(
                    "the server closed the connection before sending a complete response"
                ) from None
            raise RemoteProtocolError(f"the server sent invalid HTTP/1.1: {exc}") from None

    def _head(self, event: h11.Response) -> ResponseHead:
        headers: dict[str, str] = {}
        for name, value in event.headers:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            self._inflater = _Inflater(encoding)
        elif encoding not in ("identity", ""):
            raise RemoteProtocolError(f"unsupported Content-Encoding: {encoding!r}")
        return ResponseHead(event.status_code, event.reason.decode("latin-1"), headers)


def status_error(head: ResponseHead, body: bytes) -> HTTPStatusError:
    """The error for a non-2xx response, quoting the server's own message."""
    parsed: Any
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = body.decode("utf-8", "replace")
    message = _error_message(parsed)
    text = f"HTTP {head.status_code} {head.reason}".rstrip()
    if message:
        text += f": {message}"
    return HTTPStatusError(text, status_code=head.status_code, headers=head.headers, body=parsed)


def _error_message(parsed: Any) -> str:
    """The human message in an error body: OpenAI, vLLM, TGI, Anthropic, FastAPI shapes."""
    if isinstance(parsed, str):
        return snippet(parsed.strip())[1:-1] if parsed.strip() else ""
    if not isinstance(parsed, Mapping):
        return ""
    error = parsed.get("error", parsed)
    if isinstance(error, Mapping):
        for key in ("message", "detail", "error"):
            value = error.get(key)
            if isinstance(value, str):
                return value
        return ""
    if isinstance(error, str):
        return error
    detail = parsed.get("detail") or parsed.get("message")
    return detail if isinstance(detail, str) else ""
