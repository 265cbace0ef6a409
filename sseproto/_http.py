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
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import h11
import orjson

from ._errors import (
    REDACTED,
    HTTPStatusError,
    IncompleteStream,
    LocalProtocolError,
    RemoteProtocolError,
    is_secret_header,
    scrub,
    snippet,
)

__all__ = [
    "MAX_ERROR_BODY",
    "URL",
    "HTTPConnection",
    "NeedData",
    "ResponseEnd",
    "ResponseHead",
    "check_headers",
    "parse_url",
    "retry_after",
    "status_error",
]

#: How much of a non-2xx body is read to build the error.
MAX_ERROR_BODY = 64 * 1024

#: The largest response head accepted.
MAX_HEAD_SIZE = 64 * 1024

#: Decompressed output is produced in pieces of at most this size.
_INFLATE_PIECE = 64 * 1024


@dataclass(frozen=True, slots=True)
class URL:
    """A parsed ``http``/``https`` URL: what a connection needs, and the base query."""

    scheme: str
    host: str
    port: int
    path: str  # the base path, without a trailing slash
    query: str = ""  # the base query, raw, without "?"

    @property
    def origin(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")

    def join(self, path: str) -> str:
        """The request target of ``path`` under this base URL, as httpx joins them.

        ``/v1`` + ``chat/completions`` or ``/chat/completions`` gives
        ``/v1/chat/completions``; the base query is kept, and a parameter
        the path's own query sets again replaces the base's.  An absolute
        ``http(s)://`` URL must have this URL's origin.
        """
        if "://" in path:
            other = parse_url(path)
            if other.origin != self.origin:
                raise LocalProtocolError(
                    f"{path!r} is not on this client's origin {self.origin}; use another client")
            return _with_query(other.path or "/", other.query)
        parts = urlsplit(path)
        if parts.scheme or parts.netloc or parts.fragment:
            raise LocalProtocolError(f"not a path: {path!r}")
        joined = self.path + "/" + parts.path.lstrip("/")
        return _with_query(joined, _merge_query(self.query, parts.query))


def _with_query(path: str, query: str) -> str:
    target = path if path.startswith("/") else "/" + path
    return f"{target}?{query}" if query else target


def _merge_query(base: str, extra: str) -> str:
    """``base`` and ``extra`` (raw queries), a key of ``extra`` replacing the same key of base."""
    if not base or not extra:
        return base or extra
    keys = {item.split("=", 1)[0] for item in extra.split("&")}
    kept = [item for item in base.split("&") if item and item.split("=", 1)[0] not in keys]
    return "&".join([*kept, extra])


def parse_url(url: str) -> URL:
    """Parse a base URL; a bad one raises :class:`LocalProtocolError`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LocalProtocolError(f"not an http:// or https:// URL: {_url_repr(url)}")
    if parts.username is not None or parts.password is not None:
        raise LocalProtocolError("credentials in a base URL are not supported: pass api_key"
                                 " or headers instead")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise LocalProtocolError(f"bad port in URL: {_url_repr(url)}") from None
    return URL(parts.scheme, parts.hostname, port, parts.path.rstrip("/"), parts.query)


def _url_repr(url: str) -> str:
    """``url`` quoted for a message, without any ``user:password@`` part."""
    scheme, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    if sep and "@" in authority:
        url = f"{scheme}://{REDACTED}@{authority.rsplit('@', 1)[1]}{slash}{tail}"
    return snippet(url)


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


class NeedData:
    """Sentinel of :meth:`HTTPConnection.next_event`: feed more bytes (or EOF)."""


HTTPEvent = ResponseHead | bytes | ResponseEnd


class _Inflater:
    """Incremental gzip/deflate decoding, one bounded piece at a time.

    ``feed`` takes compressed bytes; ``next_piece`` inflates at most
    :data:`_INFLATE_PIECE` bytes of them (``zlib``'s ``max_length``), so a
    small read that inflates to megabytes is handed out piece by piece and
    no single step costs more than one piece.  ``deflate`` should carry a
    zlib header, but some servers send raw deflate; the first two bytes
    tell which.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._input = b""
        self._zlib: Any = None
        if encoding != "deflate":
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)

    @property
    def pending(self) -> bool:
        """Is compressed input left to inflate?"""
        return bool(self._input) and self._zlib is not None

    def feed(self, data: bytes) -> None:
        self._input += data
        if self._zlib is None and len(self._input) >= 2:
            cmf, flg = self._input[0], self._input[1]
            wrapped = cmf & 0x0F == 8 and (cmf * 256 + flg) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def next_piece(self) -> bytes:
        """At most one piece of inflated bytes; ``b""`` when the input is used up."""
        while self.pending:
            try:
                out: bytes = self._zlib.decompress(self._input, _INFLATE_PIECE)
            except zlib.error as exc:
                raise RemoteProtocolError(f"the {self.encoding} body is corrupt: {exc}") from None
            self._input = self._zlib.unconsumed_tail
            if self._zlib.eof:
                self._input = b""  # trailing bytes after the compressed stream: ignored
            if out:
                return out
        return b""


class HTTPConnection:
    """One HTTP/1.1 client connection's protocol state (sans-IO).

    ``receive_data(data)`` buffers received bytes (``b""``: the peer closed);
    ``next_event()`` returns one :class:`ResponseHead`, body piece (bytes,
    decompressed, at most 64 KiB when the body is encoded),
    :class:`ResponseEnd`, or :class:`NeedData`.
    """

    def __init__(self, url: URL) -> None:
        self.url = url
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_SIZE)
        self._inflater: _Inflater | None = None
        self._eof = False

    @property
    def reusable(self) -> bool:
        """Can a new request go out on this connection now?"""
        conn = self._h11
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE

    @property
    def backlog(self) -> bool:
        """Are inflated bytes still to come from what was already received?"""
        return self._inflater is not None and self._inflater.pending

    def start_next_cycle(self) -> None:
        self._h11.start_next_cycle()
        self._inflater = None

    def request(self, method: str, target: str, headers: Iterable[tuple[str, str]],
                body: bytes | None) -> bytes:
        """The bytes of a whole request to ``target`` (a path and query)."""
        host = self.url.origin.split("://", 1)[1]
        all_headers = [("Host", host), *headers]
        check_headers(all_headers)
        if body is not None:
            all_headers.append(("Content-Length", str(len(body))))
        try:
            out = self._h11.send(h11.Request(method=method, target=target or "/",
                                             headers=all_headers))
            if body:
                out = (out or b"") + (self._h11.send(h11.Data(data=body)) or b"")
            return (out or b"") + (self._h11.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError as exc:
            secrets = [value for name, value in all_headers if is_secret_header(name)]
            raise LocalProtocolError(f"cannot send this request: {scrub(str(exc), secrets)}"
                                     ) from None

    def receive_data(self, data: bytes) -> None:
        """Buffer received bytes; ``b""`` says the server closed the connection."""
        if not data:
            self._eof = True
        self._h11.receive_data(data)

    def next_event(self) -> HTTPEvent | type[NeedData]:
        """The next thing the received bytes complete, or :class:`NeedData`."""
        while True:
            if self._inflater is not None:
                piece = self._inflater.next_piece()
                if piece:
                    return piece
            state = self._h11.their_state
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise self._remote_error(exc, state) from None
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return NeedData
            if isinstance(event, h11.Response):
                return self._head(event)
            if isinstance(event, h11.Data):
                if self._inflater is None:
                    return bytes(event.data)
                self._inflater.feed(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return ResponseEnd(reusable=self.reusable)
            elif isinstance(event, h11.ConnectionClosed):
                return NeedData
            # InformationalResponse (1xx): nothing to do.

    def receive(self, data: bytes) -> list[HTTPEvent]:
        """Feed received bytes (``b""`` at EOF); return everything they complete."""
        self.receive_data(data)
        events: list[HTTPEvent] = []
        while (event := self.next_event()) is not NeedData:
            assert not isinstance(event, type)
            events.append(event)
            if isinstance(event, ResponseEnd):
                break
        return events

    def _remote_error(self, exc: h11.RemoteProtocolError, state: Any) -> RemoteProtocolError:
        if self._eof and state is h11.SEND_BODY:
            return IncompleteStream(
                "the server closed the connection before the end of the response body"
                f" ({exc}); every event received before the cut was delivered")
        if self._eof:
            return IncompleteStream(
                "the server closed the connection before sending a complete response")
        return RemoteProtocolError(f"the server sent invalid HTTP/1.1: {exc}")

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


def check_headers(headers: Iterable[tuple[str, str]]) -> None:
    """Refuse a header HTTP/1.1 cannot carry, naming it but never quoting a secret value.

    A value read from a file often ends with a newline; h11 would quote the
    whole value (an API key) in its error.
    """
    for name, value in headers:
        bad = next((c for c in value if (c < " " and c != "\t") or c == "\x7f" or c > "\xff"),
                   None)
        if bad is None and value == value.strip(" \t"):
            continue
        shown = REDACTED if is_secret_header(name) else snippet(value)
        problem = ("surrounding whitespace" if bad is None
                   else "a line break" if bad in "\r\n"
                   else "a non-Latin-1 character" if bad > "\xff" else "a control character")
        raise LocalProtocolError(
            f"the {name} header value {shown} contains {problem}, which HTTP/1.1 cannot"
            " carry; if it was read from a file, strip its trailing newline")


def retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds: a number, or an HTTP date measured from ``Date``.

    ``None`` when absent or unreadable (no clock is read: a date without a
    ``Date`` header to compare with gives ``None``).
    """
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(min(int(value[:12]), 10**9))
    try:
        when = parsedate_to_datetime(value)
        now = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (when - now).total_seconds())


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
    wait = retry_after(head.headers)
    if wait is not None:
        text += f" (the server asks to retry after {wait:g} s)"
    return HTTPStatusError(text, status_code=head.status_code, headers=head.headers, body=parsed,
                           retry_after=wait)


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
