"""Transcripts: captured streams to record, load, replay and serve.

File format (JSON Lines, UTF-8):

- line 1: ``{"sseproto": "transcript", "version": 1, "request": {"method",
  "url", "headers", and optionally "body" (text) or "body_b64"}, "response":
  {"status", "reason", "headers"}}``; the response headers are the ones the
  server sent (``Content-Encoding`` included: ``check`` reads them), while
  the chunks below are the body after HTTP framing and decompression;
- each further line: one received body chunk, ``{"t": seconds since the
  request, "text": "..."}`` when the bytes are valid UTF-8, else
  ``{"t": ..., "b64": "..."}``.

A ``version`` this module does not know is an error, not an empty stream.
Secrets are redacted on write (:mod:`sseproto.tools.redaction` has the
rules), and every redacted value is scrubbed from the bodies too.

:func:`load` also accepts a raw SSE (or NDJSON) body, a raw HTTP/1.1
response capture (chunked or not, gzip or not), a HAR file and a vcrpy
cassette (the entry whose response is an event stream, or ``entry=N``), and
tells which it was given (:attr:`Transcript.source`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from ._errors import Error, ProtocolError, TransportError
from ._http import URL, HTTPConnection, ResponseEnd, ResponseHead, parse_url
from ._version import __version__
from .tools.redaction import (
    MIN_SECRET,
    REDACTED,
    Redactor,
    pattern,
    scrub_chunks,
    scrub_text,
)

__all__ = ["MAX_BYTES", "REDACTED", "RecordingInterrupted", "Redactor", "Transcript",
           "TranscriptError", "load", "loads", "record", "redact", "redact_headers", "redact_url"]



class TranscriptError(Error):
    """A transcript file that cannot be read; the message names the line."""


@dataclass
class Transcript:
    """A captured response: request/response heads and timed body chunks."""

    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    method: str = "POST"
    url: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes | None = None
    status: int = 200
    reason: str = "OK"
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "text/event-stream"})
    source: str = "transcript"  # what load() was given: transcript, raw, http, har, cassette
    error: str | None = None  # why a recording ended early, if it did (not saved)

    @property
    def body(self) -> bytes:
        return b"".join(data for _, data in self.chunks)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def __repr__(self) -> str:
        # The body can be 64 MiB: say what it is, not all it holds.
        return (f"Transcript(source={self.source!r}, method={self.method!r}, url={self.url!r},"
                f" status={self.status}, chunks={len(self.chunks)}, bytes={self.size},"
                f" error={self.error!r})")

    @property
    def size(self) -> int:
        """The body's length in bytes, without joining it."""
        return sum(len(data) for _, data in self.chunks)

    def dumps(self, secrets: Iterable[str] = ()) -> bytes:
        """The JSON Lines form, redacted (see :func:`redact`)."""
        return b"".join(self._lines(secrets))

    def save(self, path: str | Path, secrets: Iterable[str] = ()) -> None:
        """Write the JSON Lines form, redacted, a line at a time (a 64 MiB recording is
        not copied whole in memory)."""
        with open(path, "wb") as file:
            file.writelines(self._lines(secrets))

    def _lines(self, secrets: Iterable[str]) -> Iterator[bytes]:
        clean = redact(self, secrets)
        head = {"sseproto": "transcript", "version": 1,
                "request": {"method": clean.method, "url": clean.url,
                            "headers": clean.request_headers, **_body_field(clean.request_body)},
                "response": {"status": clean.status, "reason": clean.reason,
                             "headers": clean.headers}}
        yield orjson.dumps(head, option=orjson.OPT_APPEND_NEWLINE)
        # A binary body (an AWS event stream) is base64 throughout, even the
        # chunks that happen to be valid UTF-8.
        binary = clean.content_type == "application/vnd.amazon.eventstream"
        for offset, data in clean.chunks:
            try:
                if binary:
                    raise UnicodeDecodeError("utf-8", data, 0, 0, "binary")
                item = {"t": round(offset, 6), "text": data.decode()}
            except UnicodeDecodeError:
                item = {"t": round(offset, 6), "b64": base64.b64encode(data).decode()}
            yield orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE)


def _body_field(body: bytes | None) -> dict[str, str]:
    """The request body in a transcript head: ``body`` as text, else ``body_b64``."""
    if body is None:
        return {}
    try:
        return {"body": body.decode()}
    except UnicodeDecodeError:
        return {"body_b64": base64.b64encode(body).decode()}


def redact_headers(headers: Mapping[str, str], *, request: bool = True) -> dict[str, str]:
    """Headers with secret values replaced by ``[REDACTED]`` (names lower-cased)."""
    return Redactor().redact_headers(headers, request=request)


def redact_url(url: str) -> str:
    """``url`` with secret query parameters and user info redacted."""
    return Redactor().redact_url(url)


def redact(transcript: Transcript, secrets: Iterable[str] = (), *,
           redactor: Redactor | None = None) -> Transcript:
    """A copy with secret headers, URL parts and the given secret values removed.

    The rules are :mod:`sseproto.tools.redaction`'s.  Every secret value is
    also scrubbed from the body, the request body, the reason and the other
    headers, as text, URL-encoded and in base64 (padded or not, at any
    alignment, standard or URL-safe), also where it spans two recorded
    chunks (those are then merged), so a server that echoes a key cannot
    leak it into the file.
    """
    rules = redactor or Redactor()
    values = rules.values(transcript.url, transcript.request_headers)
    values |= {v for v in secrets if len(v) >= MIN_SECRET and v != REDACTED}
    found = pattern(values)
    request_body = transcript.request_body
    if request_body is not None and found is not None:
        request_body = found.sub(REDACTED.encode(), request_body)
    return replace(
        transcript, chunks=scrub_chunks(transcript.chunks, found),
        url=scrub_text(rules.redact_url(transcript.url), found),
        reason=scrub_text(transcript.reason, found), request_body=request_body,
        request_headers={k: scrub_text(v, found) for k, v in
                         rules.redact_headers(transcript.request_headers, request=True).items()},
        headers={k: scrub_text(v, found) for k, v in
                 rules.redact_headers(transcript.headers, request=False).items()})


# --- loading ------------------------------------------------------------------------


def load(path: str | Path, *, entry: int | None = None) -> Transcript:
    """Load a transcript, raw body, raw HTTP response, HAR file or vcrpy cassette.

    ``entry`` picks one entry of a HAR file or cassette (from 0); by default
    the first whose response is an event stream.  ("-" is not handled here.)
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read {path}: {exc.strerror or exc}") from None
    return loads(data, entry=entry)


def loads(data: bytes, *, entry: int | None = None) -> Transcript:
    """Detect what ``data`` is and load it (see :func:`load`)."""
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
                return _load_har(document, entry)
            except (AttributeError, TypeError, ValueError, KeyError) as exc:
                raise TranscriptError(f"not a readable HAR file: {exc}") from None
    if head.startswith(b"interactions:") or b"\ninteractions:" in data[:4096]:
        from .tools.cassette import load_cassette

        return load_cassette(data, entry)
    content_type = "application/x-ndjson" if head.startswith(b"{") else "text/event-stream"
    if data[:1] == b"\x00":  # a binary AWS event stream (Bedrock)
        content_type = "application/vnd.amazon.eventstream"
    return Transcript(chunks=[(0.0, data)] if data else [], source="raw",
                      headers={"content-type": content_type})


#: The transcript format versions this module reads.
VERSIONS = (1,)


def _load_jsonl(data: bytes) -> Transcript:
    lines = data.split(b"\n")
    meta = _json_line(lines[0], 1)
    if not isinstance(meta, dict) or meta.get("sseproto") != "transcript":
        raise TranscriptError("line 1: not an sseproto transcript header")
    if meta.get("version") not in VERSIONS:
        raise TranscriptError(f"line 1: unknown transcript version {meta.get('version')!r}"
                              f" (this sseproto {__version__} reads version"
                              f" {', '.join(map(str, VERSIONS))}): upgrade sseproto")
    request, response = meta.get("request") or {}, meta.get("response") or {}
    try:
        transcript = Transcript(
            method=str(request.get("method", "POST")), url=str(request.get("url", "")),
            request_headers=_str_dict(request.get("headers")),
            request_body=_request_body(request),
            status=int(response.get("status", 200)), reason=str(response.get("reason", "")),
            headers=_str_dict(response.get("headers")), source="transcript")
    except (TypeError, ValueError, AttributeError) as exc:
        raise TranscriptError(f"line 1: bad request/response header: {exc}") from None
    for number, line in enumerate(lines[1:], start=2):
        if line.strip():
            transcript.chunks.append(_chunk_line(line, number))
    return transcript


def _request_body(request: dict[str, Any]) -> bytes | None:
    if isinstance(request.get("body"), str):
        return str(request["body"]).encode()
    if isinstance(request.get("body_b64"), str):
        try:
            return base64.b64decode(request["body_b64"], validate=True)
        except binascii.Error:
            raise TranscriptError('line 1: bad base64 in "body_b64"') from None
    return None


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


def _load_har(document: dict[str, Any], entry: int | None) -> Transcript:
    """One HAR entry: number ``entry``, else the first event stream, else the first with text."""
    entries = [e for e in document["log"].get("entries") or [] if isinstance(e, dict)]
    if entry is not None:
        if not 0 <= entry < len(entries):
            raise TranscriptError(f"--entry {entry}: the HAR file has {len(entries)} entries"
                                  f" (0 to {len(entries) - 1})")
        return _har_entry(entries[entry])
    readable = [_har_entry(e) for e in entries
                if isinstance(((e.get("response") or {}).get("content") or {}).get("text"), str)]
    if not readable:
        raise TranscriptError("the HAR file has no entry with response content text")
    return next((t for t in readable if t.content_type in STREAM_TYPES), readable[0])


#: Content types of a stream: SSE, newline-delimited JSON, AWS event-stream.
STREAM_TYPES = ("text/event-stream", "application/x-ndjson", "application/vnd.amazon.eventstream")


def _har_entry(entry: dict[str, Any]) -> Transcript:
    response = entry.get("response") or {}
    content = response.get("content") or {}
    text = content.get("text")
    if not isinstance(text, str):
        raise TranscriptError("this HAR entry has no response content text")
    body = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
    request = entry.get("request") or {}
    headers = {h["name"].lower(): h["value"] for h in response.get("headers") or []
               if isinstance(h, dict) and "name" in h and "value" in h}
    headers.setdefault("content-type", content.get("mimeType") or "")
    return Transcript(chunks=[(0.0, body)] if body else [],
                      method=str(request.get("method", "GET")),
                      url=str(request.get("url", "")), status=int(response.get("status", 200)),
                      reason=str(response.get("statusText", "")), headers=headers, source="har")


# --- recording ----------------------------------------------------------------------


#: The default bound on a recorded body (after decompression), in bytes.
MAX_BYTES = 64 * 1024 * 1024
#: Bytes asked of the socket per read: a compressed read inflates to at most about
#: a thousand times this (deflate's limit), so memory stays bounded by a bomb.
_READ_SIZE = 8192


class RecordingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`record`; ``transcript`` holds what arrived (redacted)."""

    def __init__(self, transcript: Transcript) -> None:
        super().__init__("interrupted")
        self.transcript = transcript


def record(url: str, *, method: str = "POST", body: bytes | None = None,
           headers: Mapping[str, str] | None = None, timeout: float | None = 60.0,
           ssl_context: Any = None, max_bytes: int = MAX_BYTES,
           progress: Callable[[int, int], None] | None = None,
           on_chunk: Callable[[bytes], None] | None = None,
           redactor: Redactor | None = None, secrets: Iterable[str] = ()) -> Transcript:
    """Send one request and capture its response body chunk by chunk, with timing.

    The body chunks are stored as received after HTTP framing and
    decompression; the response headers as the server sent them.
    ``progress(bytes, chunks)`` is called after each chunk, and
    ``on_chunk(data)`` with the chunk itself (not redacted).  A response cut
    short, or longer than ``max_bytes``, is returned with what arrived and
    ``error`` saying why; a failure to connect raises.  Ctrl-C raises
    :class:`RecordingInterrupted` carrying what arrived.  The result is
    redacted (see :func:`redact`): no field holds a secret sent.
    """
    import time

    target = parse_url(url)
    transport, http = _connection(target, ssl_context)
    parts = urlsplit(url)
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    request_headers = {"User-Agent": f"sseproto/{__version__}",
                       "Accept": "text/event-stream", **(headers or {})}
    if body is not None:
        request_headers.setdefault("Content-Type", "application/json")
    transcript = Transcript(method=method, url=url, request_headers=dict(request_headers),
                            request_body=body, source="transcript")

    def clean() -> Transcript:
        return redact(transcript, secrets, redactor=redactor)

    started = time.monotonic()
    try:
        transport.connect(target.host, target.port, timeout)
        try:
            transport.send(http.request(method, path, request_headers.items(), body))
            _receive(transport, http, transcript, max_bytes,
                     _Hooks(progress, on_chunk, lambda: time.monotonic() - started))
        finally:
            transport.close()
    except KeyboardInterrupt:
        raise RecordingInterrupted(clean()) from None
    return clean()


def _connection(target: URL, ssl_context: Any) -> tuple[Any, HTTPConnection]:
    """A transport (through the environment's proxy, if any) and the HTTP state for it."""
    from .drivers import SocketTransport, TLSTransport
    from .drivers._proxy import proxy_for

    proxy = proxy_for(target.scheme, target.host)
    transport = (TLSTransport(ssl_context, proxy=proxy) if target.scheme == "https"
                 else SocketTransport(proxy=proxy))
    return transport, HTTPConnection(parse_url(target.origin))


@dataclass(frozen=True)
class _Hooks:
    progress: Callable[[int, int], None] | None
    on_chunk: Callable[[bytes], None] | None
    clock: Callable[[], float]


def _receive(transport: Any, http: HTTPConnection, transcript: Transcript, max_bytes: int,
             hooks: _Hooks) -> None:
    """Read the response into ``transcript`` until its end, a cut, or ``max_bytes``."""
    total = 0
    head_seen = False
    while True:
        try:
            data = transport.receive(_READ_SIZE)
            events = http.receive(data)
        except (ProtocolError, TransportError) as exc:
            if not head_seen:
                raise  # no response at all: nothing to keep
            transcript.error = str(exc)  # cut short: keep what arrived
            return
        for event in events:
            if isinstance(event, ResponseHead):
                head_seen = True
                transcript.status, transcript.reason = event.status_code, event.reason
                transcript.headers = dict(event.headers)
            elif isinstance(event, bytes):
                room = max_bytes - total
                transcript.chunks.append((hooks.clock(), event[:room]))
                total += min(len(event), room)
                if hooks.on_chunk is not None:
                    hooks.on_chunk(event[:room])
                if hooks.progress is not None:
                    hooks.progress(total, len(transcript.chunks))
                if len(event) > room:
                    transcript.error = (f"the body reached max_bytes ({max_bytes} bytes;"
                                        " --max-bytes on the command line): cut there")
                    return
        if not data or any(isinstance(event, ResponseEnd) for event in events):
            return
