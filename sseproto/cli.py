"""The command line: ``python -m sseproto`` or ``sseproto``.

Exit codes, for every command: 0 success; 1 the stream failed (an in-stream
error, a cut before its end, no events at all, a non-2xx response, input
that is not a stream) or, for ``check``, did not conform; 2 a usage error
(a bad flag, a missing or unreadable file, an unknown transcript version);
130 interrupted.  Each failure prints one line on stderr; notices go to
stderr too, never into the decoded output.  No traceback reaches the user.

Each command is one ``_add_<command>`` function (its flags) and one
``_run_<command>`` function (what it does), registered in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import IO, Any, NoReturn

import orjson

from ._chat import ChatStreamDecoder
from ._errors import Error, LimitExceeded, LocalProtocolError
from ._http import parse_url
from ._lines import DEFAULT_MAX_LINE_SIZE
from ._sse import SSEDecoder
from ._version import __version__
from .check import check
from .server import ReplayServer, parse_fault
from .suite import _cli as suite_cli
from .tools.output import notice, print_chat, print_sse
from .transcript import Transcript, TranscriptError, load, loads, record

__all__ = ["COMMANDS", "UsageError", "main"]


class UsageError(Exception):
    """A mistake in how the command was called: exit code 2."""


class StreamFailed(Exception):
    """The stream failed (exit 1); the message says why."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _command(commands: Any, name: str, help: str, examples: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help, description=help[0].upper() + help[1:] + ".",
        epilog="examples:\n" + examples, formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser


def _size(text: str) -> int:
    """A byte count for a flag: digits, optionally with a K, M or G (binary) suffix."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    scale = units.get(text[-1:].lower(), 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit() or int(digits) < 1:
        raise argparse.ArgumentTypeError(f"not a positive size: {text!r} (e.g. 4M)")
    return int(digits) * scale


# --- shared options ----------------------------------------------------------------


def _decoding_options(parser: argparse.ArgumentParser, *, file_required: bool = True) -> None:
    parser.add_argument("file", nargs=None if file_required else "?",
                        help="a transcript, raw body, raw HTTP response, HAR file or vcrpy"
                        " cassette; - reads standard input")
    parser.add_argument("--dialect", default="auto",
                        help="chat dialect: auto (default), openai, predictionguard, tgi,"
                        " anthropic, openai-responses, ollama")
    parser.add_argument("--sse", action="store_true",
                        help="print the raw SSE events instead of chat events")
    parser.add_argument("--json", action="store_true", help="print one JSON object per event")
    parser.add_argument("--skip-malformed", action="store_true",
                        help="skip frames that are not JSON instead of failing (they are counted)")
    parser.add_argument("--max-line-size", type=_size, default=DEFAULT_MAX_LINE_SIZE,
                        metavar="N", help="the longest line accepted, in bytes (K/M/G suffixes;"
                        " default 1M)")
    parser.add_argument("--entry", type=int, metavar="N",
                        help="for a HAR file or cassette: the entry to read (from 0; default:"
                        " the first event stream)")


def _request_options(parser: argparse.ArgumentParser) -> None:
    """Flags shared by ``parse --url`` and ``record``: headers, TLS, timeout."""
    parser.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="an extra request header (repeatable)")
    parser.add_argument("--cacert", metavar="FILE",
                        help="trust the CA certificates in FILE (PEM) for https://")
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify the server's certificate (testing only)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="connect and read timeout in seconds (default 60)")


def _request_headers(args: argparse.Namespace) -> dict[str, str]:
    headers: dict[str, str] = {}
    for header in args.header:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header must look like 'Name: value', not {header!r}")
        headers[name.strip()] = value.strip()
    return headers


def _ssl_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if args.insecure and args.cacert:
        raise UsageError("--insecure and --cacert contradict each other: give one")
    if args.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if args.cacert:
        try:
            return ssl.create_default_context(cafile=args.cacert)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load --cacert {args.cacert}:"
                             f" {getattr(exc, 'strerror', None) or exc}") from None
    return None


def _json_body(text: str, flag: str) -> Any:
    """A JSON request body from a flag's text, or ``@FILE``."""
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {text[1:]}: {getattr(exc, 'strerror', None) or exc}"
                             ) from None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{flag} is not valid JSON: {exc}") from None


def _read_input(args: argparse.Namespace) -> Transcript:
    path: str = args.file
    entry: int | None = getattr(args, "entry", None)
    try:
        if path == "-":
            return loads(sys.stdin.buffer.read(), entry=entry)
        return load(path, entry=entry)
    except TranscriptError as exc:
        raise UsageError(str(exc)) from None


def _chat_decoder(args: argparse.Namespace) -> ChatStreamDecoder:
    try:
        return ChatStreamDecoder(args.dialect, max_line_size=args.max_line_size,
                                 on_malformed="skip" if args.skip_malformed else "raise")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


# --- parse and replay --------------------------------------------------------------


def _add_parse(commands: Any) -> None:
    parse = _command(commands, "parse", "decode a captured stream (or a live URL) and print its"
                     " events",
                     "  sseproto parse --sample prediction-guard\n"
                     "  sseproto parse capture.jsonl --json\n"
                     "  sseproto parse --url http://127.0.0.1:8000/v1/stream --json\n"
                     "  curl -sN ... | sseproto parse - --sse")
    _decoding_options(parse, file_required=False)
    parse.add_argument("--url", help="GET this URL with sseproto's Client and decode the"
                       " response (POST with --data)")
    parse.add_argument("--data", metavar="JSON|@FILE",
                       help="with --url: POST this JSON body instead of a GET")
    parse.add_argument("--sample", nargs="?", const="", metavar="NAME",
                       help="decode a sample bundled with sseproto; without NAME, list them")
    _request_options(parse)


def _run_parse(args: argparse.Namespace, out: IO[str]) -> int:
    sources = [name for name, given in (("FILE", args.file is not None),
                                        ("--url", args.url is not None),
                                        ("--sample", args.sample is not None)) if given]
    if len(sources) != 1:
        raise UsageError("give exactly one of FILE, --url URL or --sample NAME"
                         + (f" (got {' and '.join(sources)})" if sources else ""))
    if args.data is not None and args.url is None:
        raise UsageError("--data goes with --url")
    if args.url is not None:
        return _parse_url(args, out)
    if args.sample == "":
        return _list_samples(out)
    if args.sample is not None:
        args.file = _sample_path(args.sample)
    return _decode(args, _read_input(args), iter_reads=_recorded_reads, out=out)


def _recorded_reads(transcript: Transcript) -> Iterator[bytes]:
    yield from (data for _, data in transcript.chunks)


def _decode(args: argparse.Namespace, transcript: Transcript,
            iter_reads: Callable[[Transcript], Iterator[bytes]], out: IO[str]) -> int:
    """Decode ``transcript`` read by read and print it; the exit code says how it ended."""
    _check_response(transcript)
    if args.sse:
        decoder = SSEDecoder(max_line_size=args.max_line_size)
        count = print_sse(_fed(decoder, iter_reads(transcript)), args.json, out)
        if not count:
            raise StreamFailed("no events at all: the input holds no SSE event")
        return 0
    chat = _chat_decoder(args)
    outcome = print_chat(_fed(chat, iter_reads(transcript)), args.json, out)
    failure = outcome.failure()
    if failure is not None:
        raise StreamFailed(_not_a_stream(transcript.body) or failure)
    return 0


def _fed(decoder: SSEDecoder | ChatStreamDecoder, reads: Iterator[bytes]) -> Iterator[Any]:
    """Every event ``decoder`` makes of ``reads``, then of its end."""
    for data in reads:
        yield from decoder.feed(data)
    yield from decoder.close()


def _check_response(transcript: Transcript) -> None:
    """A recorded response that is not a 2xx event stream failed, whatever its body holds."""
    if transcript.source == "raw":
        return
    if not 200 <= transcript.status < 300:
        body = transcript.body.decode("utf-8", "replace").strip()
        raise StreamFailed(f"the recorded response is HTTP {transcript.status}"
                           f" {transcript.reason}".rstrip() + (f": {body[:200]}" if body else ""))
    if transcript.content_type not in ("text/event-stream", "application/x-ndjson",
                                       "application/vnd.amazon.eventstream", ""):
        raise StreamFailed(f"the recorded response is not a stream: Content-Type is"
                           f" {transcript.headers.get('content-type')!r}")


def _not_a_stream(body: bytes) -> str | None:
    """Say so when ``body`` is one JSON document (not a stream of them), else ``None``."""
    text = body.strip()
    if text[:1] not in (b"{", b"["):
        return None
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if b"\n" not in text and isinstance(document, dict) and "choices" not in document:
        return None  # one line of JSON may be a one-line NDJSON stream
    what = "a JSON array" if isinstance(document, list) else "one JSON document"
    if isinstance(document, dict) and "choices" in document:
        what = "a whole chat completion (was the request sent with \"stream\": true?)"
    elif isinstance(document, dict) and "error" in document:
        what = f"an error object: {orjson.dumps(document['error']).decode()[:200]}"
    return f"the input is not a stream: it is {what}"


def _list_samples(out: IO[str]) -> int:
    for path in _samples():
        kind = "transcript" if path.name.endswith(".jsonl") else "raw body"
        out.write(f"{path.name:28} {kind}\n")
    return 0


def _samples() -> list[Any]:
    folder = resources.files("sseproto") / "samples"
    return sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.name)


def _sample_path(name: str) -> str:
    """The bundled sample called ``name`` (a file name, or its stem: the transcript first)."""
    matches = [p for p in _samples() if p.name == name]
    matches = matches or sorted((p for p in _samples() if p.name.split(".")[0] == name),
                                key=lambda p: not p.name.endswith(".jsonl"))
    if not matches:
        names = ", ".join(sorted({p.name.split(".")[0] for p in _samples()}))
        raise UsageError(f"no sample called {name!r}; the samples are: {names}")
    return str(matches[0])


def _parse_url(args: argparse.Namespace, out: IO[str]) -> int:
    from .tools.fetch import url_chat_events, url_sse_events

    try:
        parse_url(args.url)
    except LocalProtocolError as exc:
        raise UsageError(str(exc)) from None
    body = None if args.data is None else _json_body(args.data, "--data")
    headers, context = _request_headers(args), _ssl_context(args)
    if args.sse:
        events = url_sse_events(args.url, body=body, headers=headers, timeout=args.timeout,
                                ssl_context=context)
        if not print_sse(events, args.json, out):
            raise StreamFailed("no events at all: the response holds no SSE event")
        return 0
    _chat_decoder(args)  # a bad --dialect is a usage error before any request
    chat_events = url_chat_events(args.url, dialect=args.dialect, body=body, headers=headers,
                                  timeout=args.timeout, ssl_context=context,
                                  max_line_size=args.max_line_size)
    failure = print_chat(chat_events, args.json, out).failure()
    if failure is not None:
        raise StreamFailed(failure)
    return 0


def _add_replay(commands: Any) -> None:
    replay = _command(commands, "replay", "re-feed a transcript through the decoder, offline",
                      "  sseproto replay capture.jsonl --split bytes\n"
                      "  sseproto replay capture.jsonl --split random --seed 7 --json\n"
                      "  sseproto replay capture.jsonl --split all")
    _decoding_options(replay)
    replay.add_argument("--split", choices=["whole", "bytes", "random", "recorded", "all"],
                        default="recorded", help="how to cut the body into reads (default: as"
                        " recorded; all: every way, and fail if any gives other events)")
    replay.add_argument("--seed", type=int, default=0, help="seed for --split random")


def _run_replay(args: argparse.Namespace, out: IO[str]) -> int:
    from .tools.splits import reads, split_differences

    transcript = _read_input(args)
    if args.split != "all":
        return _decode(args, transcript, lambda t: reads(t, args.split, args.seed), out)
    _check_response(transcript)
    difference = split_differences(transcript, lambda: _decoder_for(args), args.seed)
    if difference is not None:
        raise StreamFailed(difference)
    notice("every split (whole, bytes, random, recorded) gives the same events")
    return _decode(args, transcript, _recorded_reads, out)


def _decoder_for(args: argparse.Namespace) -> SSEDecoder | ChatStreamDecoder:
    if args.sse:
        return SSEDecoder(max_line_size=args.max_line_size)
    return _chat_decoder(args)


# --- check -------------------------------------------------------------------------


def _add_check(commands: Any) -> None:
    check = _command(commands, "check", "report how a stream deviates from SSE and its dialect,"
                     " and where its time went",
                     "  sseproto check capture.jsonl\n"
                     "  sseproto check capture.jsonl --json > report.json\n"
                     "  sseproto check capture.jsonl --html report.html\n"
                     "  sseproto check captures/ --jobs 4")
    check.add_argument("file", nargs="+", help="transcripts, raw bodies, raw HTTP responses,"
                       " HAR files or cassettes, or directories of them; - reads standard input")
    check.add_argument("--dialect", default="auto", help="chat dialect (default: auto)")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument("--html", metavar="REPORT.html",
                       help="also write a self-contained HTML report (one input only)")
    check.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="check several files in N processes (default 1)")
    check.add_argument("--entry", type=int, metavar="N",
                       help="for a HAR file or cassette: the entry to read (from 0)")


def _colour(stream: IO[str]) -> bool:
    """ANSI colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _run_check(args: argparse.Namespace, out: IO[str]) -> int:
    from .tools.batch import expand

    if args.dialect != "auto":
        try:
            ChatStreamDecoder(args.dialect)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    paths = expand(args.file)
    if len(paths) == 1 and not Path(args.file[0]).is_dir():
        return _check_one(args, paths[0], out)
    if args.html:
        raise UsageError("--html writes the report of one input; give one file")
    if not paths:
        raise UsageError(f"no files to check in {' '.join(args.file)}")
    return _check_batch(args, paths, out)


def _check_one(args: argparse.Namespace, path: str, out: IO[str]) -> int:
    args.file = path
    transcript = _read_input(args)
    report = check(transcript, dialect=args.dialect, source=path)
    if args.html:
        from .tools.report_html import render_html

        try:
            Path(args.html).write_text(render_html(report, transcript), "utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.html}: {exc.strerror or exc}") from None
    if args.json:
        out.write(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.write(report.text(colour=_colour(out), terminal=out.isatty()) + "\n")
    return 0 if report.conforming else 1


def _check_batch(args: argparse.Namespace, paths: list[str], out: IO[str]) -> int:
    from .check import plural
    from .tools.batch import check_many, summary_table

    if "-" in paths:
        raise UsageError("- (standard input) cannot be checked with other files")
    outcomes = list(check_many(paths, args.dialect, args.jobs))
    unreadable = sum(o.report is None for o in outcomes)
    failed = sum(o.report is not None and not o.report["conforming"] for o in outcomes)
    if args.json:
        document = {"files": len(outcomes), "conforming": len(outcomes) - failed - unreadable,
                    "not_conforming": failed, "unreadable": unreadable,
                    "reports": [o.report or {"source": o.path, "error": o.error}
                                for o in outcomes]}
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.write(summary_table(outcomes) + "\n")
        out.write(f"{plural(len(outcomes), 'file')}: {len(outcomes) - failed - unreadable}"
                  f" conforming, {failed} not conforming, {unreadable} unreadable\n")
    if unreadable:
        notice(f"{plural(unreadable, 'file')} could not be read")
        return 2
    return 1 if failed else 0


# --- record ------------------------------------------------------------------------


def _add_record(commands: Any) -> None:
    record = _command(commands, "record", "stream a live request and save a transcript",
                      "  sseproto record https://api.example.com/v1/chat/completions \\\n"
                      "      --json '{\"model\": \"m\", \"stream\": true, \"messages\": []}'"
                      " -o capture.jsonl")
    record.add_argument("url", help="the full URL to request")
    body = record.add_mutually_exclusive_group()
    body.add_argument("--json", dest="json_body", help="the JSON request body")
    body.add_argument("--data", help="the request body; @FILE reads it from FILE")
    record.add_argument("--method", help="the HTTP method (default: POST with a body, else GET)")
    record.add_argument("-o", "--output", required=True, help="the transcript file to write")
    _request_options(record)


def _run_record(args: argparse.Namespace, out: IO[str]) -> int:
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
    headers = _request_headers(args)
    key = os.environ.get("SSEPROTO_API_KEY")
    if key and not any(name.lower() == "authorization" for name in headers):
        headers["Authorization"] = f"Bearer {key}"
    try:
        parse_url(args.url)
    except LocalProtocolError as exc:
        raise UsageError(str(exc)) from None
    progress = _progress if sys.stderr.isatty() else None
    transcript = record(args.url, method=args.method or ("POST" if body is not None else "GET"),
                        body=body, headers=headers, timeout=args.timeout, progress=progress,
                        ssl_context=_ssl_context(args))
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


# --- serve -------------------------------------------------------------------------


def _add_serve(commands: Any) -> None:
    serve = _command(commands, "serve", "serve a transcript over HTTP/1.1 for clients under test",
                     "  sseproto serve capture.jsonl --port 8000\n"
                     "  sseproto serve capture.jsonl --fault cut:200 --fault bytewise")
    serve.add_argument("file", help="a transcript, raw body, raw HTTP response or HAR file")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    serve.add_argument("--tls", action="store_true", help="serve HTTPS (needs --cert and --key)")
    serve.add_argument("--cert", help="PEM certificate chain for --tls")
    serve.add_argument("--key", help="PEM private key for --tls")
    serve.add_argument("--speed", type=float, default=0.0,
                       help="replay the recorded timing X times as fast (default 0: no waits)")
    serve.add_argument("--fault", action="append", default=[], metavar="FAULT",
                       help="cut:N, reset:N, stall:S[@N], bytewise, status:CODE, delay:S"
                       " (repeatable)")


def _run_serve(args: argparse.Namespace, out: IO[str]) -> int:
    transcript = _read_input(args)
    try:
        faults = [parse_fault(text) for text in args.fault]
    except ValueError as exc:
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
    try:
        server = ReplayServer(transcript, host=args.host, port=args.port, ssl_context=context,
                              speed=args.speed, faults=faults)
    except (OSError, OverflowError) as exc:  # OverflowError: a port over 65535
        raise UsageError(f"cannot listen on {args.host}:{args.port}:"
                         f" {getattr(exc, 'strerror', None) or exc}") from None
    out.write(f"sseproto: serving {args.file} on {server.url}\n")
    out.flush()
    try:
        server.serve_forever()
    finally:
        server.stop()
    return 0


# --- the program -------------------------------------------------------------------

Runner = Callable[[argparse.Namespace, IO[str]], int]

#: Every command: the function adding its flags, and the one running it.
COMMANDS: dict[str, tuple[Callable[[Any], None], Runner]] = {
    "parse": (_add_parse, _run_parse),
    "replay": (_add_replay, _run_replay),
    "check": (_add_check, _run_check),
    "record": (_add_record, _run_record),
    "serve": (_add_serve, _run_serve),
    "suite": (suite_cli.add_parser, suite_cli.main),
}


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sseproto", description="Decode, check, record, replay and serve"
                     " streamed LLM responses.")
    parser.add_argument("--version", action="version", version=f"sseproto {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add, _ in COMMANDS.values():
        add(commands)
    return parser


def _describe(exc: Error) -> str:
    """One line for a failure sseproto raised, with the CLI flag that fixes a limit."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, LimitExceeded) and exc.limit_name == "max_line_size":
        text += f" (use --max-line-size, now {exc.limit})"
    return " ".join(text.split("\n"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    try:
        args = _build_parser().parse_args(argv)
        return COMMANDS[args.command][1](args, sys.stdout)
    except UsageError as exc:
        notice(f"error: {exc}")
        return 2
    except StreamFailed as exc:
        notice(str(exc))
        return 1
    except Error as exc:
        notice(_describe(exc))
        return 1
    except MemoryError:
        notice("out of memory: the input is too large for this machine (try --max-line-size)")
        return 1
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not a failure of the stream.
        with _quiet_stdout():
            return 0
    except KeyboardInterrupt:
        notice("interrupted")
        return 130


class _quiet_stdout:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""

    def __enter__(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)

    def __exit__(self, *exc: object) -> None:
        return None

