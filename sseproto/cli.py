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

from ._chat import ChatStreamDecoder
from ._errors import Error
from ._events import ChatEvent, Delta, Final, ServerSentEvent, StreamError
from ._sse import SSEDecoder
from ._version import __version__

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
        epilog="examples:\n  sseproto parse spec/samples/prediction-guard.sse\n"
               "  sseproto parse spec/samples/openai-chat.sse --json\n"
               "  curl -sN ... | sseproto parse - --sse",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parse.add_argument("file", help="the captured stream; - reads standard input")
    parse.add_argument("--dialect", default="auto",
                       help="chat dialect: auto (default), openai, predictionguard, tgi")
    parse.add_argument("--sse", action="store_true",
                       help="print the raw SSE events instead of chat events")
    parse.add_argument("--json", action="store_true", help="print one JSON object per event")
    parse.add_argument("--skip-malformed", action="store_true",
                       help="skip frames that are not JSON instead of failing (they are counted)")
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
    if args.sse:
        decoder = SSEDecoder()
        for chunk in _read_chunks(args.file):
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
    for chunk in _read_chunks(args.file):
        for chat_event in chat.feed(chunk):
            printer.show(chat_event)
    for chat_event in chat.close():
        printer.show(chat_event)
    printer.end(chat)
    return 0


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

    def show(self, event: ChatEvent) -> None:
        if isinstance(event, Delta) and event.index == 0 and event.content:
            self.streamed.append(event.content)
            self.out.write(event.content)
            self.out.flush()
        elif isinstance(event, Final) and event.index == 0:
            if event.generated_text != "".join(self.streamed):
                self.server_text = event.generated_text
        elif isinstance(event, StreamError):
            self.errors.append(event)

    def end(self, chat: ChatStreamDecoder) -> None:
        self.out.write("\n")
        if self.server_text is not None:
            # Prediction Guard-style streams send the whole text on the last chunk.
            self.out.write("--- the server's generated_text differs from the deltas:\n")
            self.out.write(self.server_text + "\n")
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
