"""What every command shares: the two exit-code exceptions, the argument parser, the
flags several commands take, and reading an input file."""

from __future__ import annotations

import argparse
import ssl
import sys
from pathlib import Path
from typing import Any, NoReturn

import orjson

from .._chat import ChatStreamDecoder
from .._errors import Error, LimitExceeded
from .._lines import DEFAULT_MAX_LINE_SIZE
from ..transcript import Transcript, TranscriptError, load, loads

__all__ = ["Parser", "StreamFailed", "UsageError", "chat_decoder", "command", "decoding_options",
           "describe", "json_body", "make_ssl_context", "read_input", "request_headers",
           "request_options", "size"]


class UsageError(Exception):
    """A mistake in how the command was called: exit code 2."""


class StreamFailed(Exception):
    """The stream failed (exit 1); the message says why."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def command(commands: Any, name: str, help: str, examples: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help, description=help[0].upper() + help[1:] + ".",
        epilog="examples:\n" + examples, formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser


def size(text: str) -> int:
    """A byte count for a flag: digits, optionally with a K, M or G (binary) suffix."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    scale = units.get(text[-1:].lower(), 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit() or int(digits) < 1:
        raise argparse.ArgumentTypeError(f"not a positive size: {text!r} (e.g. 4M)")
    return int(digits) * scale


# --- shared options ----------------------------------------------------------------


def decoding_options(parser: argparse.ArgumentParser, *, file_required: bool = True) -> None:
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
    parser.add_argument("--max-line-size", type=size, default=DEFAULT_MAX_LINE_SIZE,
                        metavar="N", help="the longest line accepted, in bytes (K/M/G suffixes;"
                        " default 1M)")
    parser.add_argument("--entry", type=int, metavar="N",
                        help="for a HAR file or cassette: the entry to read (from 0; default:"
                        " the first event stream)")


def request_options(parser: argparse.ArgumentParser) -> None:
    """Flags shared by ``parse --url`` and ``record``: headers, TLS, timeout."""
    parser.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="an extra request header (repeatable)")
    parser.add_argument("--cacert", metavar="FILE",
                        help="trust the CA certificates in FILE (PEM) for https://")
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify the server's certificate (testing only)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="connect and read timeout in seconds (default 60)")


def request_headers(args: argparse.Namespace) -> dict[str, str]:
    headers: dict[str, str] = {}
    for header in args.header:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header must look like 'Name: value', not {header!r}")
        headers[name.strip()] = value.strip()
    return headers


def make_ssl_context(args: argparse.Namespace) -> ssl.SSLContext | None:
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


def json_body(text: str, flag: str) -> Any:
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


def read_input(args: argparse.Namespace) -> Transcript:
    path: str = args.file
    entry: int | None = getattr(args, "entry", None)
    try:
        if path == "-":
            return loads(sys.stdin.buffer.read(), entry=entry)
        return load(path, entry=entry)
    except TranscriptError as exc:
        raise UsageError(str(exc)) from None


def chat_decoder(args: argparse.Namespace) -> ChatStreamDecoder:
    try:
        return ChatStreamDecoder(args.dialect, max_line_size=args.max_line_size,
                                 on_malformed="skip" if args.skip_malformed else "raise")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def describe(exc: Error) -> str:
    """One line for a failure sseproto raised, with the CLI flag that fixes a limit."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, LimitExceeded) and exc.limit_name == "max_line_size":
        hinted = text.replace("raise max_line_size", "raise it with --max-line-size N")
        text = hinted if hinted != text else text + " (raise it with --max-line-size N)"
    text = text.replace('pass on_malformed="skip"', "pass --skip-malformed")
    return " ".join(text.split("\n"))
