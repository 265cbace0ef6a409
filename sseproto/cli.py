"""The command line: ``python -m sseproto`` or ``sseproto``.

User mistakes (a missing file, a bad flag) print one line on stderr and exit
2; a stream sseproto cannot decode prints one line and exits 1.  No
traceback reaches the user.
"""

from __future__ import annotations

import argparse
import os
import random
import ssl
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

import orjson

from ._chat import ChatStreamDecoder
from ._errors import Error, LocalProtocolError
from ._events import ChatEvent, Delta, Final, ServerSentEvent, StreamError
from ._http import parse_url
from ._sse import SSEDecoder
from ._version import __version__
from .check import check
from .server import ReplayServer, parse_fault, raise_fd_limit, sources_from_args
from .transcript import Transcript, TranscriptError, load, loads, record

__all__ = ["main"]


class UsageError(Exception):
    """A mistake in how the command was called: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _command(commands: Any, name: str, help: str, examples: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help, description=help[0].upper() + help[1:] + ".",
        epilog="examples:\n" + examples, formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser


def _decoding_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a transcript, raw body, raw HTTP response or HAR file;"
                        " - reads standard input")
    parser.add_argument("--dialect", default="auto",
                        help="chat dialect: auto (default), openai, predictionguard, tgi,"
                        " anthropic, openai-responses, ollama")
    parser.add_argument("--sse", action="store_true",
                        help="print the raw SSE events instead of chat events")
    parser.add_argument("--json", action="store_true", help="print one JSON object per event")
    parser.add_argument("--skip-malformed", action="store_true",
                        help="skip frames that are not JSON instead of failing (they are counted)")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sseproto", description="Decode, check, record, replay and serve"
                     " streamed LLM responses.")
    parser.add_argument("--version", action="version", version=f"sseproto {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    parse = _command(commands, "parse", "decode a captured stream and print its events",
                     "  sseproto parse spec/samples/prediction-guard.sse\n"
                     "  sseproto parse spec/transcripts/openai-tools.jsonl --json\n"
                     "  curl -sN ... | sseproto parse - --sse")
    _decoding_options(parse)
    replay = _command(commands, "replay", "re-feed a transcript through the decoder, offline",
                      "  sseproto replay spec/transcripts/prediction-guard.jsonl --split bytes\n"
                      "  sseproto replay capture.jsonl --split random --seed 7 --json")
    _decoding_options(replay)
    replay.add_argument("--split", choices=["whole", "bytes", "random", "recorded"],
                        default="recorded", help="how to cut the body into reads"
                        " (default: as recorded)")
    replay.add_argument("--seed", type=int, default=0, help="seed for --split random")
    check = _command(commands, "check", "report how a stream deviates from SSE and its dialect",
                     "  sseproto check spec/samples/prediction-guard.sse\n"
                     "  sseproto check capture.jsonl --json > report.json")
    check.add_argument("file", help="a transcript, raw body, raw HTTP response or HAR file;"
                       " - reads standard input")
    check.add_argument("--dialect", default="auto", help="chat dialect (default: auto)")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    record = _command(commands, "record", "stream a live request and save a transcript",
                      "  sseproto record https://api.example.com/v1/chat/completions \\\n"
                      "      --json '{\"model\": \"m\", \"stream\": true, \"messages\": []}'"
                      " -o capture.jsonl")
    record.add_argument("url", help="the full URL to request")
    body = record.add_mutually_exclusive_group()
    body.add_argument("--json", dest="json_body", help="the JSON request body")
    body.add_argument("--data", help="the request body; @FILE reads it from FILE")
    record.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="an extra request header (repeatable)")
    record.add_argument("--method", help="the HTTP method (default: POST with a body, else GET)")
    record.add_argument("-o", "--output", required=True, help="the transcript file to write")
    record.add_argument("--timeout", type=float, default=60.0, help="connect/read timeout (s)")
    serve = _command(commands, "serve", "serve a transcript over HTTP/1.1 for clients under test",
                     "  sseproto serve spec/transcripts/prediction-guard.jsonl --port 8000\n"
                     "  sseproto serve capture.jsonl --fault cut:200 --fault bytewise\n"
                     "  sseproto serve models/ --speed 1 --max-connections 10000 --quiet\n"
                     "  sseproto serve --route /v1/chat/completions=chat.jsonl"
                     " --route /v1/completions=legacy.sse")
    serve.add_argument("file", nargs="*",
                       help="a transcript, raw body, raw HTTP response or HAR file; a directory"
                       " (or several files) serves by the request's model, MODEL.jsonl")
    serve.add_argument("--route", action="append", default=[], metavar="/PATH=SOURCE",
                       help="serve the file or directory SOURCE at /PATH (repeatable)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    serve.add_argument("--tls", action="store_true", help="serve HTTPS (needs --cert and --key)")
    serve.add_argument("--cert", help="PEM certificate chain for --tls")
    serve.add_argument("--key", help="PEM private key for --tls")
    serve.add_argument("--speed", type=float, default=0.0,
                       help="replay the recorded timing X times as fast (default 0: no waits)")
    serve.add_argument("--fault", action="append", default=[], metavar="FAULT",
                       help="cut:N, reset:N, stall:S[@N], bytewise, status:CODE (a 1xx goes"
                       " before the answer), delay:S, coalesce, gzip (repeatable)")
    serve.add_argument("--max-connections", type=int, metavar="N",
                       help="stream to at most N connections at once; others get 503")
    serve.add_argument("--quiet", action="store_true", help="no access log on stderr")
    return parser


def _read_input(path: str) -> Transcript:
    try:
        if path == "-":
            return loads(sys.stdin.buffer.read())
        return load(path)
    except TranscriptError as exc:
        raise UsageError(str(exc)) from None


def _reads(transcript: Transcript, split: str, seed: int) -> Iterator[bytes]:
    body = transcript.body
    if split == "recorded":
        yield from (data for _, data in transcript.chunks)
    elif split == "whole":
        yield body
    elif split == "bytes":
        yield from (body[i : i + 1] for i in range(len(body)))
    else:
        rng = random.Random(seed)
        position = 0
        while position < len(body):
            size = rng.randint(1, 64)
            yield body[position : position + size]
            position += size


def _cmd_parse(args: argparse.Namespace, out: IO[str]) -> int:
    transcript = _read_input(args.file)
    reads = _reads(transcript, getattr(args, "split", "recorded"), getattr(args, "seed", 0))
    if args.sse:
        decoder = SSEDecoder()
        for chunk in reads:
            for event in decoder.feed(chunk):
                _print_sse(event, args.json, out)
        decoder.close()
        return 0
    try:
        chat = ChatStreamDecoder(
            args.dialect, on_malformed="skip" if args.skip_malformed else "raise"
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    printer = _JsonPrinter(out) if args.json else _TextPrinter(out)
    for chunk in reads:
        for chat_event in chat.feed(chunk):
            printer.show(chat_event)
    for chat_event in chat.close():
        printer.show(chat_event)
    printer.end(chat)
    return 0


def _cmd_check(args: argparse.Namespace, out: IO[str]) -> int:
    transcript = _read_input(args.file)
    if args.dialect != "auto":
        try:
            ChatStreamDecoder(args.dialect)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    report = check(transcript, dialect=args.dialect, source=args.file)
    if args.json:
        out.write(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.write(report.text() + "\n")
    return 0 if report.conforming else 1


def _cmd_record(args: argparse.Namespace, out: IO[str]) -> int:
    body: bytes | None = None
    if args.json_body is not None:
        try:
            body = orjson.dumps(orjson.loads(args.json_body))
        except orjson.JSONDecodeError as exc:
            raise UsageError(f"--json is not valid JSON: {exc}") from None
    elif args.data is not None:
        if args.data.startswith("@"):
            try:
                body = Path(args.data[1:]).read_bytes()
            except OSError as exc:
                raise UsageError(f"cannot read {args.data[1:]}: {exc.strerror or exc}") from None
        else:
            body = args.data.encode()
    headers: dict[str, str] = {}
    for header in args.header:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header must look like 'Name: value', not {header!r}")
        headers[name.strip()] = value.strip()
    key = os.environ.get("SSEPROTO_API_KEY")
    if key and not any(name.lower() == "authorization" for name in headers):
        headers["Authorization"] = f"Bearer {key}"
    try:
        parse_url(args.url)
    except LocalProtocolError as exc:
        raise UsageError(str(exc)) from None
    progress = _progress if sys.stderr.isatty() else None
    transcript = record(args.url, method=args.method or ("POST" if body is not None else "GET"),
                        body=body, headers=headers, timeout=args.timeout, progress=progress)
    try:
        # Secret request headers are redacted (and their values scrubbed) by
        # the transcript itself; the key from the environment is named too.
        transcript.save(args.output, secrets=[key] if key else [])
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    if progress is not None:
        sys.stderr.write("\n")
    if transcript.error:
        print(f"sseproto: the stream ended early: {transcript.error}", file=sys.stderr)
    print(f"sseproto: saved {len(transcript.chunks)} chunks, {len(transcript.body)} bytes,"
          f" status {transcript.status} to {args.output}", file=sys.stderr)
    return 0


def _progress(total: int, chunks: int) -> None:
    sys.stderr.write(f"\rsseproto: {total} bytes in {chunks} chunks")
    sys.stderr.flush()


def _cmd_serve(args: argparse.Namespace, out: IO[str]) -> int:
    try:
        faults = [parse_fault(text) for text in args.fault]
        transcript, routes = sources_from_args(args.file, args.route)
    except (ValueError, TranscriptError) as exc:
        raise UsageError(str(exc)) from None
    context = None
    if args.tls:
        if not (args.cert and args.key):
            raise UsageError("--tls needs --cert FILE and --key FILE")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(args.cert, args.key)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load the certificate or key: {exc}") from None
    raise_fd_limit()
    try:
        server = ReplayServer(transcript, host=args.host, port=args.port, ssl_context=context,
                              speed=args.speed, faults=faults, routes=routes,
                              max_connections=args.max_connections,
                              log=None if args.quiet else sys.stderr)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except (OSError, OverflowError) as exc:  # OverflowError: a port over 65535
        raise UsageError(f"cannot listen on {args.host}:{args.port}:"
                         f" {getattr(exc, 'strerror', None) or exc}") from None
    what = " ".join([*args.file, *args.route])
    out.write(f"sseproto: serving {what} on {server.url}\n")
    out.flush()
    server.serve_forever()
    return 0


def _sse_json(event: ServerSentEvent) -> dict[str, Any]:
    return {"type": "sse", "event": event.event, "data": event.data, "id": event.id,
            "retry": event.retry}


def _print_sse(event: ServerSentEvent, as_json: bool, out: IO[str]) -> None:
    if as_json:
        out.write(orjson.dumps(_sse_json(event)).decode() + "\n")
    else:
        out.write(f"[{event.event}] {event.data}\n")


def chat_event_json(event: ChatEvent) -> dict[str, Any]:
    """The JSON form of a chat event used by ``parse --json`` and ``replay --json``."""
    if isinstance(event, Delta):
        return {"type": "delta", "index": event.index, "content": event.content,
                "tool_calls": event.tool_calls}
    if isinstance(event, Final):
        return {"type": "final", "index": event.index, "generated_text": event.generated_text,
                "finish_reason": event.finish_reason, "usage": event.usage,
                "tool_calls": event.tool_calls}
    if isinstance(event, StreamError):
        return {"type": "error", "message": event.message, "error_type": event.type,
                "code": event.code}
    return {"type": "done"}


class _JsonPrinter:
    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def show(self, event: ChatEvent) -> None:
        self.out.write(orjson.dumps(chat_event_json(event)).decode() + "\n")

    def end(self, chat: ChatStreamDecoder) -> None:
        self.out.flush()


class _TextPrinter:
    """Streams choice 0's text; other choices and errors are reported at the end."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.errors: list[StreamError] = []
        self.streamed: list[str] = []
        self.server_text: str | None = None
        self.tool_calls: list[dict[str, Any]] = []

    def show(self, event: ChatEvent) -> None:
        if isinstance(event, Delta) and event.index == 0 and event.content:
            self.streamed.append(event.content)
            self.out.write(event.content)
            self.out.flush()
        elif isinstance(event, Final) and event.index == 0:
            if event.generated_text != "".join(self.streamed):
                self.server_text = event.generated_text
            self.tool_calls = event.tool_calls or []
        elif isinstance(event, StreamError):
            self.errors.append(event)

    def end(self, chat: ChatStreamDecoder) -> None:
        self.out.write("\n")
        if self.server_text is not None:
            # Prediction Guard-style streams send the whole text on the last chunk.
            self.out.write("--- the server's generated_text differs from the deltas:\n")
            self.out.write(self.server_text + "\n")
        for call in self.tool_calls:
            function = call.get("function") or {}
            self.out.write(f"--- tool call {call.get('id')}: {function.get('name')}"
                           f"({function.get('arguments')})\n")
        self.out.flush()
        for error in self.errors:
            print(f"sseproto: the stream reported an error ({error.type}): {error.message}",
                  file=sys.stderr)
        if not chat.done and not self.errors:
            print("sseproto: the stream ended before its end marker ([DONE])", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    try:
        args = _build_parser().parse_args(argv)
        command = {"parse": _cmd_parse, "replay": _cmd_parse, "check": _cmd_check,
                   "record": _cmd_record, "serve": _cmd_serve}[args.command]
        return command(args, sys.stdout)
    except UsageError as exc:
        print(f"sseproto: error: {exc}", file=sys.stderr)
        return 2
    except Error as exc:
        print(f"sseproto: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
