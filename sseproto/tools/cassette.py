"""vcrpy cassettes: read one as a transcript, write a transcript as one.

A cassette is YAML: ``{"interactions": [{"request": {...}, "response":
{...}}], "version": 1}``, headers as lists of values, the response body under
``body.string`` (text, or ``!!binary`` bytes), stored as the server sent it:
compressed when the HTTP library had not decoded it yet.  sseproto needs no YAML library at run
time, so this module uses PyYAML when it is installed (vcrpy itself depends
on it) and otherwise says how to get it.

A cassette keeps a body, not the arrival time of each chunk: a transcript
written as a cassette loses its timing, and a cassette loads as one chunk.
"""

from __future__ import annotations

import zlib
from importlib import import_module
from typing import Any

from ..transcript import STREAM_TYPES, Transcript, TranscriptError, redact

__all__ = ["dumps_cassette", "load_cassette"]

#: The largest body a compressed cassette body may inflate to.
MAX_INFLATED = 64 * 1024 * 1024


def _yaml() -> Any:
    try:
        return import_module("yaml")
    except ImportError:
        raise TranscriptError("vcrpy cassettes need PyYAML: pip install pyyaml"
                              " (vcrpy installs it too)") from None


def load_cassette(data: bytes, entry: int | None = None) -> Transcript:
    """Interaction ``entry`` of a cassette, else its first event stream, else its first."""
    yaml = _yaml()
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise TranscriptError(f"not a readable vcrpy cassette: {' '.join(str(exc).split())}"
                              ) from None
    interactions = document.get("interactions") if isinstance(document, dict) else None
    if not isinstance(interactions, list) or not interactions:
        raise TranscriptError("the cassette has no interactions")
    try:
        if entry is not None:
            if not 0 <= entry < len(interactions):
                raise TranscriptError(f"--entry {entry}: the cassette has {len(interactions)}"
                                      f" interactions (0 to {len(interactions) - 1})")
            return _interaction(interactions[entry])
        loaded = [_interaction(item) for item in interactions]
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        raise TranscriptError(f"not a readable vcrpy cassette: {exc}") from None
    return next((t for t in loaded if t.content_type in STREAM_TYPES), loaded[0])


def _interaction(item: dict[str, Any]) -> Transcript:
    request, response = item["request"], item["response"]
    headers = _headers(response.get("headers"))
    body = _bytes((response.get("body") or {}).get("string"))
    encoding = headers.get("content-encoding", "").strip().lower()
    if _compressed(body, encoding):
        body = _inflate(body, encoding)  # the headers stay: they say what the wire carried
    status = response.get("status") or {}
    request_body = request.get("body")
    return Transcript(chunks=[(0.0, body)] if body else [], method=str(request["method"]),
                      url=str(request["uri"]), request_headers=_headers(request.get("headers")),
                      request_body=None if request_body is None else _bytes(request_body),
                      status=int(status.get("code", 200)), reason=str(status.get("message", "")),
                      headers=headers, source="cassette")


def _headers(value: Any) -> dict[str, str]:
    """vcrpy keeps each header as a list of values; a transcript joins them."""
    out: dict[str, str] = {}
    for name, values in (value or {}).items():
        items = values if isinstance(values, list) else [values]
        out[str(name).lower()] = ", ".join(str(v) for v in items)
    return out


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    return value if isinstance(value, bytes) else str(value).encode()


def _compressed(body: bytes, encoding: str) -> bool:
    """vcrpy stores what its HTTP library handed it: still compressed or already decoded."""
    if encoding in ("gzip", "x-gzip"):
        return body[:2] == b"\x1f\x8b"
    return encoding == "deflate" and len(body) >= 2 and (body[0] * 256 + body[1]) % 31 == 0 \
        and body[0] & 0x0F == 8


def _inflate(body: bytes, encoding: str) -> bytes:
    """Decompress a recorded body, refusing one that inflates past :data:`MAX_INFLATED`."""
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, MAX_INFLATED)
    except zlib.error as exc:
        raise TranscriptError(f"the cassette's {encoding} body is corrupt: {exc}") from None
    if inflater.unconsumed_tail:
        raise TranscriptError(f"the cassette's {encoding} body inflates past"
                              f" {MAX_INFLATED >> 20} MiB")
    return out


#: Headers about the wire form of a body: a cassette written here holds it decoded.
_FRAMING = ("transfer-encoding", "content-encoding", "content-length")


def dumps_cassette(transcript: Transcript) -> bytes:
    """``transcript`` (redacted) as a vcrpy cassette with one interaction."""
    yaml = _yaml()
    clean = redact(transcript)
    body: str | bytes
    try:
        body = clean.body.decode()
    except UnicodeDecodeError:
        body = clean.body
    request_body: str | bytes | None = None
    if clean.request_body is not None:
        try:
            request_body = clean.request_body.decode()
        except UnicodeDecodeError:
            request_body = clean.request_body
    interaction = {
        "request": {"body": request_body, "method": clean.method, "uri": clean.url,
                    "headers": {k: [v] for k, v in clean.request_headers.items()}},
        "response": {"body": {"string": body},
                     "headers": {k: [v] for k, v in clean.headers.items()
                                 if k not in _FRAMING},
                     "status": {"code": clean.status, "message": clean.reason}},
    }
    text: str = yaml.safe_dump({"interactions": [interaction], "version": 1},
                               allow_unicode=True, sort_keys=True)
    return text.encode()
