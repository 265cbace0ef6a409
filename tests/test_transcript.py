"""Transcripts: the file format, redaction, the loader's input detection, recording."""

from __future__ import annotations

import base64
import gzip
import time
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest

import sseproto
from sseproto.transcript import (
    REDACTED,
    Transcript,
    TranscriptError,
    load,
    loads,
    record,
    redact,
    redact_headers,
    redact_url,
)
from tests.helpers import ROOT
from tests.streams import OPENAI, SEED, closed_port, json_response, stream

TRANSCRIPTS = ROOT / "spec" / "transcripts"
SECRET = "sk-live-Zq81xVb0PLm3NtT7"


def text_of(transcript: Transcript) -> str:
    """Choice 0's text, decoded offline from the transcript's chunks."""
    chat = sseproto.ChatStreamDecoder()
    events = [event for _, data in transcript.chunks for event in chat.feed(data)]
    events += chat.close()
    return "".join(e.content or "" for e in events if isinstance(e, sseproto.Delta))


def file_lines(data: bytes) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in data.splitlines()]


# --- the file format ------------------------------------------------------------------


def test_round_trip_keeps_heads_chunks_and_timing(tmp_path: Path) -> None:
    snowman = "☃".encode()
    chunks = [(0.0, b"data: {\"a\": 1}\n\n"), (0.123456789, b"\xff\xfe\x00binary"),
              (0.5, b"data: " + snowman[:2]), (1.25, snowman[2:] + b"\n\n")]
    original = Transcript(chunks=chunks, method="POST", url="https://h.example/v1/chat",
                          request_headers={"content-type": "application/json"},
                          status=201, reason="Created",
                          headers={"content-type": "text/event-stream", "x-request-id": "r1"})
    data = original.dumps()
    lines = file_lines(data)
    assert lines[0] == {
        "sseproto": "transcript", "version": 1,
        "request": {"method": "POST", "url": "https://h.example/v1/chat",
                    "headers": {"content-type": "application/json"}},
        "response": {"status": 201, "reason": "Created",
                     "headers": {"content-type": "text/event-stream", "x-request-id": "r1"}}}
    # Valid UTF-8 chunks are stored as text, others (also a split character) in base64.
    assert [sorted(line) for line in lines[1:]] == [["t", "text"], ["b64", "t"], ["b64", "t"],
                                                    ["b64", "t"]]
    assert lines[2]["t"] == 0.123457  # rounded to the microsecond

    loaded = loads(data)
    assert loaded.source == "transcript"
    assert loaded.chunks == [(0.0, chunks[0][1]), (0.123457, chunks[1][1]), (0.5, chunks[2][1]),
                             (1.25, chunks[3][1])]
    assert (loaded.method, loaded.url, loaded.status, loaded.reason) == (
        "POST", "https://h.example/v1/chat", 201, "Created")
    assert loaded.request_headers == original.request_headers
    assert loaded.headers == original.headers
    assert loaded.body == original.body

    path = tmp_path / "capture.jsonl"
    original.save(path)
    assert path.read_bytes() == data
    assert load(path).chunks == loaded.chunks
    assert loads(loaded.dumps()) == loaded  # a second round trip changes nothing


@pytest.mark.parametrize("name", ["prediction-guard", "openai-tools", "vllm-error-midway"])
def test_sample_transcripts_load_and_round_trip(name: str) -> None:
    data = (TRANSCRIPTS / f"{name}.jsonl").read_bytes()
    transcript = loads(data)
    assert transcript.source == "transcript" and transcript.status == 200
    assert len(transcript.chunks) > 5
    offsets = [offset for offset, _ in transcript.chunks]
    assert offsets == sorted(offsets) and offsets[-1] > offsets[0]
    assert loads(transcript.dumps()).chunks == transcript.chunks


def test_transcript_properties() -> None:
    transcript = Transcript(chunks=[(0.0, b"ab"), (0.1, b"c")],
                            headers={"content-type": "Text/Event-Stream; charset=utf-8"})
    assert transcript.body == b"abc"
    assert transcript.content_type == "text/event-stream"
    assert Transcript().body == b"" and Transcript().content_type == "text/event-stream"


# --- redaction ------------------------------------------------------------------------


def test_secret_headers_are_redacted_and_others_kept() -> None:
    headers = {"Authorization": "Bearer x", "Proxy-Authorization": "Basic y",
               "X-Api-Key": "k1", "api-key": "k2", "Cookie": "session=abc",
               "Set-Cookie": "s=1", "X-Goog-Api-Key": "k3", "Content-Type": "application/json",
               "X-Request-Id": "req-1"}
    assert redact_headers(headers) == {
        "authorization": REDACTED, "proxy-authorization": REDACTED, "x-api-key": REDACTED,
        "api-key": REDACTED, "cookie": REDACTED, "set-cookie": REDACTED,
        "x-goog-api-key": REDACTED, "content-type": "application/json",
        "x-request-id": "req-1"}


@pytest.mark.parametrize("param", ["key", "api_key", "apikey", "api-key", "token",
                                   "access_token", "sig", "signature", "password", "KEY"])
def test_key_like_url_parameters_are_redacted(param: str) -> None:
    url = redact_url(f"https://api.example.com/v1/models/m:stream?alt=sse&{param}=s3cr3tval")
    assert "s3cr3tval" not in url
    assert url.startswith("https://api.example.com/v1/models/m:stream?alt=sse&")
    assert "REDACTED" in url


def test_user_info_in_the_url_is_dropped() -> None:
    assert redact_url("https://me:hunter2@h.example:8443/p?q=1#f") == "https://h.example:8443/p?q=1#f"


def test_secrets_never_reach_the_file_in_any_encoding(tmp_path: Path) -> None:
    echo_header = SECRET[:9]
    b64 = base64.b64encode(SECRET.encode())
    unaligned = base64.b64encode(f"tok:{SECRET}".encode())  # the secret at offset 4
    unaligned2 = base64.b64encode(f"k={SECRET}!".encode())  # ... at offset 2
    urlsafe = base64.urlsafe_b64encode(b"~~" + SECRET.encode() + b"\xfb\xff")
    body_chunks = [
        (0.0, f'data: {{"echo": "Authorization: Bearer {SECRET}"}}\n\n'.encode()),
        (0.1, b'data: {"b64": "' + b64 + b'"}\n\n'),
        (0.2, b'data: {"auth": "' + unaligned + b'", "v": "' + unaligned2
         + b'", "u": "' + urlsafe + b'"}\n\n'),
        (0.3, b"\xff binary " + SECRET.encode() + b"\n"),  # stored as b64
        (0.4, b"data: split " + SECRET[:10].encode()),  # the secret spans two chunks
        (0.5, SECRET[10:].encode() + b" end\n\n"),
        (0.6, b"data: api-key azure-0123456789 cookie c0ok1e-val\n\n"),
    ]
    transcript = Transcript(
        chunks=body_chunks,
        url=f"https://u:pw@api.example.com/v1/chat?key={SECRET}&model=m",
        request_headers={"Authorization": f"Bearer {SECRET}", "api-key": "azure-0123456789",
                         "Cookie": "c0ok1e-val", "X-Echo": echo_header + "-not-secret"},
        headers={"content-type": "text/event-stream", "x-echo": f"key={SECRET}"})
    path = tmp_path / "t.jsonl"
    transcript.save(path, secrets=[SECRET])
    data = path.read_bytes()

    forbidden = [SECRET, "azure-0123456789", "c0ok1e-val", "pw@"]
    forbidden += [base64.b64encode(s.encode()).decode() for s in forbidden[:3]]
    for bad in forbidden:
        assert bad.encode() not in data, bad
    # Decode every stored form: no chunk holds the secret in any base64 alignment either.
    loaded = load(path)
    for _, chunk in loaded.chunks:
        assert SECRET.encode() not in chunk
    body = loaded.body
    for blob in (b64, unaligned, unaligned2, urlsafe):
        assert blob not in body
        assert blob not in data
    third = orjson.loads(loaded.chunks[2][1].removeprefix(b"data: "))
    for name in ("auth", "v", "u"):  # what is left of each base64 value holds no secret
        left, marker, _ = third[name].partition(REDACTED)
        assert marker and len(left) < 8
    # The rest of the body is kept, and [REDACTED] marks what went.
    assert b"data: split [REDACTED] end\n\n" in body
    assert b'"echo": "Authorization: [REDACTED]"' in body  # the whole header value
    assert b"\xff binary [REDACTED]\n" in body
    assert loaded.request_headers["authorization"] == REDACTED
    assert loaded.request_headers["x-echo"] == echo_header + "-not-secret"
    assert loaded.headers["x-echo"] == "key=[REDACTED]"
    assert loaded.url == "https://api.example.com/v1/chat?key=[REDACTED]&model=m"
    # The chunks the split secret spanned were merged; the timing of the others is kept.
    assert [offset for offset, _ in loaded.chunks] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.6]


def test_redact_does_not_change_the_original() -> None:
    transcript = Transcript(chunks=[(0.0, f"data: {SECRET}\n\n".encode())],
                            request_headers={"Authorization": f"Bearer {SECRET}"})
    clean = redact(transcript)
    assert clean.body == b"data: [REDACTED]\n\n"
    assert transcript.body == f"data: {SECRET}\n\n".encode()
    assert transcript.request_headers == {"Authorization": f"Bearer {SECRET}"}


@pytest.mark.parametrize("auth", ["Bearer ", "Bearer k", "", "abc"])
def test_short_or_empty_credentials_do_not_garble_the_body(auth: str) -> None:
    body = b'data: {"choices":[{"delta":{"content":"look, a kite"}}]}\n\n'
    transcript = Transcript(chunks=[(0.0, body)], url="http://h.example/v1",
                            request_headers={"Authorization": auth})
    loaded = loads(transcript.dumps(secrets=["", "k"]))
    assert loaded.body == body
    assert loaded.url == "http://h.example/v1"
    assert loaded.request_headers == {"authorization": REDACTED}


# --- loader detection -----------------------------------------------------------------


def test_raw_sse_body() -> None:
    transcript = loads(SEED)
    assert transcript.source == "raw"
    assert transcript.body == SEED and transcript.content_type == "text/event-stream"
    assert text_of(transcript) == " past"


def test_raw_ndjson_body() -> None:
    body = b'{"model":"m","message":{"content":"Hi"},"done":false}\n'
    transcript = loads(body)
    assert transcript.source == "raw" and transcript.content_type == "application/x-ndjson"


def test_empty_input_is_an_empty_body() -> None:
    assert loads(b"").chunks == []


def http_response(head: list[str], body: bytes) -> bytes:
    return "\r\n".join(head).encode() + b"\r\n\r\n" + body


def chunked(body: bytes, size: int = 100, end: bool = True) -> bytes:
    out = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
                   for i in range(0, len(body), size))
    return out + (b"0\r\n\r\n" if end else b"")


@pytest.mark.parametrize(
    ("capture", "body"),
    [
        (http_response(["HTTP/1.1 200 OK", "Content-Type: text/event-stream",
                        "Transfer-Encoding: chunked"], chunked(OPENAI)), OPENAI),
        (http_response(["HTTP/1.1 200 OK", "Content-Type: text/event-stream",
                        f"Content-Length: {len(SEED)}"], SEED), SEED),
        (http_response(["HTTP/1.1 200 OK", "Content-Type: text/event-stream",
                        "Content-Encoding: gzip", "Transfer-Encoding: chunked"],
                       chunked(gzip.compress(OPENAI), 64)), OPENAI),
        (http_response(["HTTP/1.1 200 OK", "Content-Type: text/event-stream",
                        "Content-Encoding: deflate", f"Content-Length: "
                        f"{len(zlib.compress(SEED))}"], zlib.compress(SEED)), SEED),
        (http_response(["HTTP/1.1 200 OK", "Content-Type: text/event-stream",
                        "Connection: close"], SEED), SEED),  # close-delimited
        (b"\r\n" + http_response(["HTTP/1.1 200 OK", "Content-Type: text/event-stream",
                                  "Transfer-Encoding: chunked"], chunked(SEED)), SEED),
    ],
    ids=["chunked", "content-length", "gzip-chunked", "deflate", "close-delimited",
         "leading-blank-line"],
)
def test_raw_http_response(capture: bytes, body: bytes) -> None:
    transcript = loads(capture)
    assert transcript.source == "http"
    assert transcript.status == 200 and transcript.reason == "OK"
    assert transcript.content_type == "text/event-stream"
    assert transcript.body == body


@pytest.mark.parametrize(
    "capture",
    [
        http_response(["HTTP/1.1 200 OK", "Content-Type: text/event-stream",
                       "Transfer-Encoding: chunked"], chunked(OPENAI, end=False)[:-30]),
        http_response(["HTTP/1.1 200 OK", "Content-Type: text/event-stream",
                       f"Content-Length: {len(OPENAI)}"], OPENAI[:1000]),
    ],
    ids=["chunked", "content-length"],
)
def test_truncated_http_response_keeps_what_arrived(capture: bytes) -> None:
    transcript = loads(capture)
    assert transcript.source == "http"
    assert 0 < len(transcript.body) < len(OPENAI)
    assert OPENAI.startswith(transcript.body)


def test_http_error_response() -> None:
    error = b'{"error": {"message": "Invalid API key", "type": "invalid_request_error"}}'
    transcript = loads(http_response(["HTTP/1.1 401 Unauthorized",
                                      "Content-Type: application/json",
                                      f"Content-Length: {len(error)}"], error))
    assert (transcript.status, transcript.reason) == (401, "Unauthorized")
    assert transcript.content_type == "application/json" and transcript.body == error


@pytest.mark.parametrize("capture", [b"HTTP/1.1 200 OK\r\nbad header line\r\n\r\n",
                                     b"HTTP/1.1 2000 OK\r\n\r\n", b"HTTP/1.1 200 OK\r\nA: b"])
def test_unreadable_http_response(capture: bytes) -> None:
    with pytest.raises(TranscriptError, match=r"not a readable HTTP/1\.1 response"):
        loads(capture)


def har(content: dict[str, object], **response: object) -> bytes:
    return orjson.dumps({"log": {"version": "1.2", "entries": [
        {"request": {"method": "GET", "url": "https://x.example/v1/stream?key=abc"},
         "response": {"status": 200, "statusText": "OK", "headers": [
             {"name": "Content-Type", "value": "text/event-stream"},
             {"name": "X-Trace", "value": "t-1"}], "content": content, **response}}]}})


@pytest.mark.parametrize("encoded", [False, True], ids=["text", "base64"])
def test_har(encoded: bool) -> None:
    content: dict[str, object] = {"size": len(SEED), "mimeType": "text/event-stream",
                                  "text": SEED.decode()}
    if encoded:
        content.update(text=base64.b64encode(SEED).decode(), encoding="base64")
    transcript = loads(b"  \n" + har(content))
    assert transcript.source == "har"
    assert transcript.body == SEED
    assert (transcript.method, transcript.status) == ("GET", 200)
    assert transcript.headers["x-trace"] == "t-1"
    assert transcript.url.startswith("https://x.example/v1/stream")
    assert text_of(transcript) == " past"
    # Saving a HAR as a transcript redacts its URL key.
    assert b"abc" not in transcript.dumps()


def test_har_without_content_and_malformed_har() -> None:
    with pytest.raises(TranscriptError, match="no entry with response content"):
        loads(har({"size": 0, "mimeType": "text/event-stream"}))
    with pytest.raises(TranscriptError, match="HAR"):
        loads(b'{"log": {"entries": [{"response": {"status": "x", "content": {"text": ""}}}]}}')
    with pytest.raises(TranscriptError, match="HAR"):
        loads(b'{"log": {"entries": {"not": "a list"}}}')


HEAD = b'{"sseproto":"transcript","version":1,"request":{},"response":{}}'


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b'{"sseproto":"transcript", oops\n', 1),
        (b'{"sseproto":"other"}\n', 1),
        (b'{"sseproto":"transcript","response":{"status":"abc"}}\n', 1),
        (b'{"sseproto":"transcript","response":{"headers":[1]}}\n', 1),
        (HEAD + b'\n{"t":0,"text":"a"}\nnot json\n', 3),
        (HEAD + b'\n\n\n{"t":0,"text":"a"}\n{"text":"no t"}\n', 5),
        (HEAD + b'\n{"t":"0","text":"a"}\n', 2),
        (HEAD + b'\n{"t":0}\n', 2),
        (HEAD + b'\n{"t":0,"b64":"not base64!"}\n', 2),
        (HEAD + b'\n[1, 2]\n', 2),
        (HEAD + b'\n{"t":0,"text":"ok"}\n{"t":0.1,"text":"cut', 3),
    ],
)
def test_malformed_transcript_lines_name_the_line(data: bytes, line: int,
                                                  tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match=rf"^line {line}: ") as info:
        loads(data)
    assert isinstance(info.value, sseproto.Error)
    path = tmp_path / "bad.jsonl"
    path.write_bytes(data)
    with pytest.raises(TranscriptError, match=rf"^line {line}: "):
        load(path)


def test_crlf_transcript_and_blank_lines_are_read() -> None:
    data = HEAD + b'\r\n{"t":0,"text":"data: [DONE]"}\r\n\r\n{"t":1,"b64":"Cgo="}\r\n'
    assert loads(data).chunks == [(0.0, b"data: [DONE]"), (1.0, b"\n\n")]


def test_load_missing_file() -> None:
    with pytest.raises(TranscriptError, match="cannot read /no/such/file"):
        load("/no/such/file")


# --- recording ------------------------------------------------------------------------


def test_record_keeps_chunks_timing_and_heads(sse_server: Any) -> None:
    srv = sse_server(stream(OPENAI, sizes=(900,), pause=0.03), speed=1)
    started = time.monotonic()
    transcript = record(srv.url + "/v1/chat/completions?key=k-123456", body=b'{"a":1}',
                        headers={"Authorization": "Bearer sk-abcdef"})
    elapsed = time.monotonic() - started
    request = srv.requests[0]
    assert transcript.body == OPENAI
    assert transcript.status == 200 and transcript.content_type == "text/event-stream"
    assert len(transcript.chunks) >= 5  # one per HTTP chunk (more if TCP split one)
    offsets = [offset for offset, _ in transcript.chunks]
    assert offsets == sorted(offsets)
    assert offsets[-1] - offsets[0] >= 0.06  # four pauses of 30 ms between the writes
    assert offsets[-1] <= elapsed
    assert request.method == "POST" and request.path == "/v1/chat/completions?key=k-123456"
    assert request.headers["authorization"] == "Bearer sk-abcdef"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "text/event-stream"
    assert request.body == b'{"a":1}'
    saved = transcript.dumps()
    assert b"sk-abcdef" not in saved and b"k-123456" not in saved
    assert loads(saved).body == OPENAI


def test_record_stores_decompressed_chunks(sse_server: Any) -> None:
    transcript = record(sse_server(stream(SEED), faults=["gzip"]).url, method="GET")
    assert transcript.body == SEED
    assert text_of(transcript) == " past"


def test_record_keeps_a_stream_cut_short(sse_server: Any) -> None:
    transcript = record(sse_server(stream(OPENAI), faults=["cut:1000"]).url, method="GET")
    assert transcript.body == OPENAI[:1000]


def test_record_an_error_status(sse_server: Any) -> None:
    served = sse_server(json_response(429, {"error": {"message": "slow down"}}))
    transcript = record(served.url, method="GET")
    assert (transcript.status, transcript.reason) == (429, "Too Many Requests")
    assert transcript.content_type == "application/json"


def test_record_connection_refused_raises_a_sseproto_error() -> None:
    with pytest.raises(sseproto.ConnectError):
        record(f"http://127.0.0.1:{closed_port()}/", method="GET", timeout=2)
