"""``record`` (a live request into a transcript) and ``convert`` (transcript <-> cassette)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO, Any

import orjson

from .._chat import ChatStreamDecoder
from .._errors import Error, LocalProtocolError
from .._events import StreamError
from .._http import parse_url
from ..check import plural
from ..transcript import (
    MAX_BYTES,
    STREAM_TYPES,
    RecordingInterrupted,
    Redactor,
    Transcript,
    TranscriptError,
    record,
)
from .options import (
    StreamFailed,
    UsageError,
    command,
    json_body,
    make_ssl_context,
    read_input,
    request_headers,
    request_options,
    size,
)
from .output import notice

__all__ = ["add_convert", "add_record", "run_convert", "run_record"]


def add_record(commands: Any) -> None:
    record = command(commands, "record", "stream a live request and save a transcript",
                     "  sseproto record https://api.example.com/v1/chat/completions \\\n"
                     "      --json '{\"model\": \"m\", \"stream\": true, \"messages\": []}'"
                     " -o capture.jsonl\n"
                     "  sseproto record https://localhost:8443/v1/stream --cacert ca.pem"
                     " -o capture.jsonl")
    record.add_argument("url", help="the full URL to request")
    body = record.add_mutually_exclusive_group()
    body.add_argument("--json", dest="json_body", metavar="BODY", help="the JSON request body")
    body.add_argument("--data", metavar="BODY|@FILE",
                      help="the request body; @FILE reads it from FILE")
    record.add_argument("--method", help="the HTTP method (default: POST with a body, else GET)")
    record.add_argument("-o", "--output", required=True, help="the transcript file to write")
    record.add_argument("--max-bytes", type=size, default=MAX_BYTES, metavar="N",
                        help="cut the stream past N bytes and save what arrived (K/M/G"
                        " suffixes; default 64M)")
    record.add_argument("--redact-header", action="append", default=[], metavar="NAME",
                        help="also redact this request header and its value anywhere"
                        " (repeatable)")
    record.add_argument("--redact-param", action="append", default=[], metavar="NAME",
                        help="also redact this URL query parameter (repeatable)")
    request_options(record)


def _record_body(args: argparse.Namespace) -> bytes | None:
    if args.json_body is not None:
        return orjson.dumps(json_body(args.json_body, "--json"))
    if args.data is None:
        return None
    if not args.data.startswith("@"):
        return str(args.data).encode()
    try:
        return Path(args.data[1:]).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.data[1:]}: {exc.strerror or exc}") from None


def run_record(args: argparse.Namespace, out: IO[str]) -> int:
    from .recording import Progress, claim_output

    body, headers = _record_body(args), request_headers(args)
    key = os.environ.get("SSEPROTO_API_KEY")
    if key and not any(name.lower() == "authorization" for name in headers):
        headers["Authorization"] = f"Bearer {key}"
    try:
        parse_url(args.url)
    except LocalProtocolError as exc:
        raise UsageError(str(exc)) from None
    context = make_ssl_context(args)
    try:
        created = claim_output(args.output)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    progress = Progress(sys.stderr) if sys.stderr.isatty() else None
    try:
        transcript = record(
            args.url, method=args.method or ("POST" if body is not None else "GET"), body=body,
            headers=headers, timeout=args.timeout, ssl_context=context,
            max_bytes=args.max_bytes, progress=progress,
            on_chunk=progress.on_chunk if progress else None, secrets=[key] if key else [],
            redactor=Redactor.with_names(args.redact_header, args.redact_param))
    except RecordingInterrupted as exc:
        _save(exc.transcript, args.output, progress)
        notice(f"interrupted: {_saved(exc.transcript, args.output)}")
        return 130
    except Error:
        if created:
            os.unlink(args.output)  # nothing arrived: leave no empty file behind
        raise
    _save(transcript, args.output, progress)
    failure = _recording_failure(transcript)
    if failure is not None:
        raise StreamFailed(f"{failure}; {_saved(transcript, args.output)}")
    notice(_saved(transcript, args.output))
    return 0


def _saved(transcript: Transcript, path: str) -> str:
    return (f"saved {plural(len(transcript.chunks), 'chunk')}, {transcript.size} bytes,"
            f" status {transcript.status} to {path}")


def _save(transcript: Transcript, path: str, progress: Any) -> None:
    if progress is not None:
        progress.finish()
    try:
        transcript.save(path)  # record() already redacted it
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _recording_failure(transcript: Transcript) -> str | None:
    """Why a saved recording is not a good stream (exit 1), or ``None``."""
    if transcript.error:
        return f"the stream ended early: {transcript.error}"
    if not 200 <= transcript.status < 300:
        return f"the server answered HTTP {transcript.status} {transcript.reason}".rstrip()
    if transcript.content_type not in STREAM_TYPES:
        return (f"the response is not a stream: Content-Type is"
                f" {transcript.headers.get('content-type')!r}")
    chat = ChatStreamDecoder(on_malformed="skip")
    try:
        events = [e for _, data in transcript.chunks for e in chat.feed(data)] + chat.close()
    except Error:
        return None  # not a chat stream: its end cannot be judged here
    error = next((e for e in events if isinstance(e, StreamError)), None)
    if error is not None:
        return f"the stream reported an error ({error.type}): {error.message}"
    if events and not chat.done:
        return "the stream ended before its end marker"
    return None



def add_convert(commands: Any) -> None:
    convert = command(commands, "convert", "write a capture as a transcript or a vcrpy"
                      " cassette", "  sseproto convert cassette.yaml -o capture.jsonl\n"
                      "  sseproto convert capture.jsonl -o cassette.yaml\n"
                      "  sseproto convert capture.har --entry 3 -o capture.jsonl")
    convert.add_argument("file", help="a transcript, raw body, raw HTTP response, HAR file or"
                         " vcrpy cassette; - reads standard input")
    convert.add_argument("-o", "--output", required=True,
                         help="the file to write: .yaml/.yml writes a cassette, anything else"
                         " a transcript")
    convert.add_argument("--to", choices=["transcript", "cassette"],
                         help="the output format, whatever the extension")
    convert.add_argument("--entry", type=int, metavar="N",
                         help="for a HAR file or cassette: the entry to read (from 0)")


def run_convert(args: argparse.Namespace, out: IO[str]) -> int:
    from .cassette import dumps_cassette

    target = args.to or ("cassette" if Path(args.output).suffix.lower() in (".yaml", ".yml")
                         else "transcript")
    transcript = read_input(args)
    try:
        data = dumps_cassette(transcript) if target == "cassette" else transcript.dumps()
    except TranscriptError as exc:  # no PyYAML
        raise UsageError(str(exc)) from None
    try:
        Path(args.output).write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    if target == "cassette" and len(transcript.chunks) > 1:
        notice(f"notice: a cassette keeps no arrival times: {len(transcript.chunks)} chunks"
               " were written as one body")
    notice(f"wrote {target} {args.output} ({transcript.size} bytes of body, status"
           f" {transcript.status})")
    return 0
