"""Transcripts: captured streams to record, load, replay and serve.

File format (JSON Lines, UTF-8):

- line 1: ``{"sseproto": "transcript", "version": 1, "request": {"method",
  "url", "headers"}, "response": {"status", "reason", "headers"}}``;
- each further line: one received body chunk, ``{"t": seconds since the
  request, "text": "..."}`` when the bytes are valid UTF-8, else
  ``{"t": ..., "b64": "..."}``.

Secrets are redacted on write: ``Authorization``, ``Proxy-Authorization``,
``api-key``, ``x-api-key``, cookies, and key-like URL query parameters; any
secret value given to :func:`redact` is also scrubbed from the body bytes.

:func:`load` also accepts a raw SSE (or NDJSON) body, a raw HTTP/1.1
response capture (chunked or not, gzip or not) and a HAR file, and tells
which it was given.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

import orjson

from ._errors import Error, ProtocolError, TransportError
from ._http import HTTPConnection, ResponseEnd, ResponseHead, parse_url
from ._version import __version__

__all__ = ["Transcript", "TranscriptError", "load", "loads", "record", "redact", "redact_headers",
           "redact_url"]

REDACTED = "[REDACTED]"
_SECRET_HEADERS = {"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie",
                   "set-cookie", "x-goog-api-key", "openai-organization"}
_SECRET_QUERY = {"key", "api_key", "apikey", "api-key", "token", "access_token", "sig",
                 "signature", "secret", "password", "auth"}


class TranscriptError(Error):
    """A transcript file that cannot be read; the message names the line."""


@dataclass
class Transcript:
    """A captured response: request/response heads and timed body chunks."""

    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    method: str = "POST"
    url: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    reason: str = "OK"
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "text/event-stream"})
    source: str = "transcript"  # what load() was given: transcript, sse, http, har
    error: str | None = None  # why a recording ended early, if it did (not saved)

    @property
    def body(self) -> bytes:
        return b"".join(data for _, data in self.chunks)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def dumps(self, secrets: Iterable[str] = ()) -> bytes:
        """The JSON Lines form, redacted (see :func:`redact`)."""
        clean = redact(self, secrets)
        head = {"sseproto": "transcript", "version": 1,
                "request": {"method": clean.method, "url": clean.url,
                            "headers": clean.request_headers},
                "response": {"status": clean.status, "reason": clean.reason,
                             "headers": clean.headers}}
        lines = [orjson.dumps(head)]
        # A binary body (an AWS event stream) is base64 throughout, even the
        # chunks that happen to be valid UTF-8.
        binary = clean.content_type == "application/vnd.amazon.eventstream"
        for offset, data in clean.chunks:
            try:
                if binary:
                    raise UnicodeDecodeError("utf-8", data, 0, 0, "binary")
                lines.append(orjson.dumps({"t": round(offset, 6), "text": data.decode()}))
            except UnicodeDecodeError:
                lines.append(orjson.dumps({"t": round(offset, 6),
                                           "b64": base64.b64encode(data).decode()}))
        return b"\n".join(lines) + b"\n"

    def save(self, path: str | Path, secrets: Iterable[str] = ()) -> None:
        Path(path).write_bytes(self.dumps(secrets))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with secret values replaced by ``[REDACTED]`` (names lower-cased)."""
    return {name.lower(): REDACTED if name.lower() in _SECRET_HEADERS else value
            for name, value in headers.items()}


def redact_url(url: str) -> str:
    """``url`` with key-like query parameters and user info redacted."""
    parts = urlsplit(url)
    query = urlencode([(k, REDACTED if k.lower() in _SECRET_QUERY else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    netloc = parts.netloc.rsplit("@", 1)[-1] if "@" in parts.netloc else parts.netloc
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact(transcript: Transcript, secrets: Iterable[str] = ()) -> Transcript:
    """A copy with secret headers, URL parameters and the given secret values removed.

    Each secret is also scrubbed from the body, as text and in base64 (at
    any alignment, standard or URL-safe), also where it spans two recorded
    chunks (those are then merged), so a server that echoes a key cannot
    leak it into the file.  Values shorter than 4 characters are not
    scrubbed from the body: that would garble it.
    """
    values = set(secrets)
    for name, value in transcript.request_headers.items():
        if name.lower() in _SECRET_HEADERS:
            values.add(value.split(" ", 1)[-1] if " " in value else value)
            values.add(value)
    values = {v for v in values if len(v) >= _MIN_SECRET and v != REDACTED}
    forms: set[bytes] = set()
    for value in values:
        forms |= _encoded_forms(value.encode())
    chunks = _scrub_chunks(transcript.chunks, forms)

    def scrub(text: str) -> str:
        for value in sorted(values, key=len, reverse=True):
            text = text.replace(value, REDACTED).replace(quote_plus(value), REDACTED)
        return text

    return replace(transcript, chunks=chunks, url=scrub(redact_url(transcript.url)),
                   reason=scrub(transcript.reason),
                   request_headers={k: scrub(v) for k, v in
                                    redact_headers(transcript.request_headers).items()},
                   headers={k: scrub(v) for k, v in redact_headers(transcript.headers).items()})


_MIN_SECRET = 4


def _encoded_forms(secret: bytes) -> set[bytes]:
    """``secret`` as is and the base64 characters that encode it at each of the 3 alignments."""
    forms = {secret, base64.b64encode(secret)}
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + secret)
        # Keep only the characters made of the secret's bits alone.
        core = encoded[(shift * 8 + 5) // 6 : (shift + len(secret)) * 8 // 6]
        if len(core) >= _MIN_SECRET:
            forms |= {core, core.replace(b"+", b"-").replace(b"/", b"_")}
    return forms


def _scrub_chunks(chunks: list[tuple[float, bytes]],
                  forms: set[bytes]) -> list[tuple[float, bytes]]:
    """``chunks`` with every form replaced; chunks that a form spans are merged first."""
    if not forms or not chunks:
        return list(chunks)
    pattern = re.compile(b"|".join(re.escape(form) for form in
                                   sorted(forms, key=len, reverse=True)))
    body = b"".join(data for _, data in chunks)
    inside: set[int] = set()  # body offsets strictly inside a match
    for match in pattern.finditer(body):
        inside.update(range(match.start() + 1, match.end()))
    merged: list[tuple[float, bytes]] = []
    position = 0
    for offset, data in chunks:
        if merged and position in inside:
            merged[-1] = (merged[-1][0], merged[-1][1] + data)
        else:
            merged.append((offset, data))
        position += len(data)
    return [(offset, pattern.sub(REDACTED.encode(), data)) for offset, data in merged]


# --- loading ------------------------------------------------------------------------


def load(path: str | Path) -> Transcript:
    """Load a transcript, raw body, raw HTTP response or HAR file ("-" is not handled here)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read {path}: {exc.strerror or exc}") from None
    return loads(data)


def loads(data: bytes) -> Transcript:
    """Detect what ``data`` is and load it."""
    head = data.lstrip()[:64]
    if head.startswith(b'{"sseproto"') or head.startswith(b'{ "sseproto"'):
        return _load_jsonl(data)
    if head.startswith(b"HTTP/1."):
        return _load_http(data.lstrip())
    if head.startswith(b"{") and b'"log"' in data[:4096]:
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("log"), dict):
            try:
                return _load_har(document)
            except (AttributeError, TypeError, ValueError, KeyError) as exc:
                raise TranscriptError(f"not a readable HAR file: {exc}") from None
    content_type = "application/x-ndjson" if head.startswith(b"{") else "text/event-stream"
    if data[:1] == b"\x00":  # a binary AWS event stream (Bedrock)
        content_type = "application/vnd.amazon.eventstream"
    return Transcript(chunks=[(0.0, data)] if data else [], source="raw",
                      headers={"content-type": content_type})


def _load_jsonl(data: bytes) -> Transcript:
    lines = data.split(b"\n")
    meta = _json_line(lines[0], 1)
    if not isinstance(meta, dict) or meta.get("sseproto") != "transcript":
        raise TranscriptError("line 1: not an sseproto transcript header")
    request, response = meta.get("request") or {}, meta.get("response") or {}
    try:
        transcript = Transcript(
            method=str(request.get("method", "POST")), url=str(request.get("url", "")),
            request_headers=_str_dict(request.get("headers")),
            status=int(response.get("status", 200)), reason=str(response.get("reason", "")),
            headers=_str_dict(response.get("headers")), source="transcript")
    except (TypeError, ValueError, AttributeError) as exc:
        raise TranscriptError(f"line 1: bad request/response header: {exc}") from None
    for number, line in enumerate(lines[1:], start=2):
        if line.strip():
            transcript.chunks.append(_chunk_line(line, number))
    return transcript


def _json_line(line: bytes, number: int) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise TranscriptError(f"line {number}: not JSON ({exc})") from None


def _chunk_line(line: bytes, number: int) -> tuple[float, bytes]:
    item = _json_line(line, number)
    if not isinstance(item, dict) or not isinstance(item.get("t"), int | float):
        raise TranscriptError(f'line {number}: a chunk needs a number "t" and "text" or "b64"')
    if isinstance(item.get("text"), str):
        return float(item["t"]), item["text"].encode()
    if isinstance(item.get("b64"), str):
        try:
            return float(item["t"]), base64.b64decode(item["b64"], validate=True)
        except binascii.Error:
            raise TranscriptError(f"line {number}: bad base64 in \"b64\"") from None
    raise TranscriptError(f'line {number}: a chunk needs "text" or "b64"')


def _str_dict(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError("headers must be an object")
    return {str(k).lower(): str(v) for k, v in value.items()}


def _load_http(data: bytes) -> Transcript:
    """A raw HTTP/1.1 response capture, parsed with the client's own HTTP layer."""
    http = HTTPConnection(parse_url("http://capture.invalid"))
    http.request("GET", "/", [], None)  # h11 needs a request before a response
    try:
        events = http.receive(data)
    except ProtocolError as exc:
        raise TranscriptError(f"not a readable HTTP/1.1 response: {exc}") from None
    if not any(isinstance(event, ResponseEnd) for event in events):
        # A close-delimited body ends at the end of the file; a truncated
        # capture raises here, and what it has is kept.
        with contextlib.suppress(ProtocolError):
            events += http.receive(b"")
    head = next((event for event in events if isinstance(event, ResponseHead)), None)
    chunks = [(0.0, event) for event in events if isinstance(event, bytes)]
    if head is None:
        raise TranscriptError("not a readable HTTP/1.1 response: no status line and headers")
    return Transcript(chunks=chunks, status=head.status_code, reason=head.reason,
                      headers=dict(head.headers), source="http")


def _load_har(document: dict[str, Any]) -> Transcript:
    entries = document["log"].get("entries") or []
    for entry in entries:
        response = entry.get("response") or {}
        content = response.get("content") or {}
        text = content.get("text")
        if not isinstance(text, str):
            continue
        body = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
        request = entry.get("request") or {}
        headers = {h["name"].lower(): h["value"] for h in response.get("headers") or []
                   if isinstance(h, dict) and "name" in h and "value" in h}
        headers.setdefault("content-type", content.get("mimeType") or "text/event-stream")
        return Transcript(chunks=[(0.0, body)], method=str(request.get("method", "GET")),
                          url=str(request.get("url", "")), status=int(response.get("status", 200)),
                          reason=str(response.get("statusText", "")), headers=headers,
                          source="har")
    raise TranscriptError("the HAR file has no entry with response content text")


# --- recording ----------------------------------------------------------------------


def record(url: str, *, method: str = "POST", body: bytes | None = None,
           headers: Mapping[str, str] | None = None, timeout: float | None = 60.0,
           ssl_context: Any = None,
           progress: Callable[[int, int], None] | None = None) -> Transcript:
    """Send one request and capture its response body chunk by chunk, with timing.

    The body chunks are stored as received after HTTP framing and
    decompression.  ``progress(bytes, chunks)`` is called after each chunk.
    A response cut short is still returned (with what arrived) and the
    error is re-raised afterwards only for connection failures.
    """
    import time

    from .drivers import SocketTransport, TLSTransport
    from .drivers._proxy import proxy_for

    target = parse_url(url)
    parts = urlsplit(url)
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    proxy = proxy_for(target.scheme, target.host)
    transport = (TLSTransport(ssl_context, proxy=proxy) if target.scheme == "https"
                 else SocketTransport(proxy=proxy))
    http = HTTPConnection(parse_url(f"{target.origin}"))
    request_headers = {"User-Agent": f"sseproto/{__version__}",
                       "Accept": "text/event-stream", **(headers or {})}
    if body is not None:
        request_headers.setdefault("Content-Type", "application/json")
    transcript = Transcript(method=method, url=url, request_headers=dict(request_headers),
                            source="transcript")
    started = time.monotonic()
    transport.connect(target.host, target.port, timeout)
    try:
        transport.send(http.request(method, path, request_headers.items(), body))
        total = 0
        while True:
            try:
                data = transport.receive()
                events = http.receive(data)
            except (ProtocolError, TransportError) as exc:
                transcript.error = str(exc)  # cut short: keep what arrived
                break
            for event in events:
                if isinstance(event, ResponseHead):
                    transcript.status, transcript.reason = event.status_code, event.reason
                    # The body is stored decoded: its framing headers no longer apply.
                    transcript.headers = {k: v for k, v in event.headers.items()
                                          if k not in ("content-encoding", "content-length")}
                elif isinstance(event, bytes):
                    transcript.chunks.append((time.monotonic() - started, event))
                    total += len(event)
                    if progress is not None:
                        progress(total, len(transcript.chunks))
            if not data or any(isinstance(event, ResponseEnd) for event in events):
                break
    finally:
        transport.close()
    return transcript
