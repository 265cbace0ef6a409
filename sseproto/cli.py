"""The command line: ``python -m sseproto`` or ``sseproto``.

User mistakes (a missing file, a bad flag) print one line on stderr and exit
2; a stream sseproto cannot decode prints one line and exits 1.  No
traceback reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any, NoReturn

import orjson

from . import __version__
from ._errors import Error
from ._events import ServerSentEvent
from ._sse import SSEDecoder

__all__ = ["main"]

READ_SIZE = 64 * 1024


class UsageError(Exception):
    """A mistake in how the command was called: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sseproto", description="Decode and check streamed LLM responses.")
    parser.add_argument("--version", action="version", version=f"sseproto {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    parse = commands.add_parser(
        "parse",
        help="decode a captured stream and print its events",
        description="Decode a captured stream and print its events.",
        epilog="example: sseproto parse spec/samples/openai-chat.sse --sse --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parse.add_argument("file", help="the captured stream; - reads standard input")
    parse.add_argument("--sse", action="store_true", help="print raw SSE events")
    parse.add_argument("--json", action="store_true", help="print one JSON object per event")
    return parser


def _read_chunks(path: str) -> Iterator[bytes]:
    if path == "-":
        stream: IO[bytes] = sys.stdin.buffer
        yield from iter(lambda: stream.read(READ_SIZE), b"")
        return
    try:
        with open(path, "rb") as file:
            yield from iter(lambda: file.read(READ_SIZE), b"")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _sse_json(event: ServerSentEvent) -> dict[str, Any]:
    return {"type": "sse", "event": event.event, "data": event.data, "id": event.id,
            "retry": event.retry}


def _cmd_parse(args: argparse.Namespace, out: IO[str]) -> int:
    decoder = SSEDecoder()
    for chunk in _read_chunks(args.file):
        for event in decoder.feed(chunk):
            _print_sse(event, args.json, out)
    for event in decoder.close():
        _print_sse(event, args.json, out)
    return 0


def _print_sse(event: ServerSentEvent, as_json: bool, out: IO[str]) -> None:
    if as_json:
        out.write(orjson.dumps(_sse_json(event)).decode() + "\n")
    else:
        out.write(f"[{event.event}] {event.data}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    try:
        args = _build_parser().parse_args(argv)
        return int(_cmd_parse(args, sys.stdout))
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
