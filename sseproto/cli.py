"""The command line: ``python -m sseproto`` or ``sseproto``.

Exit codes, for every command: 0 success; 1 the stream failed (an in-stream
error, a cut before its end, no events at all, a non-2xx response, input
that is not a stream) or, for ``check``, did not conform; 2 a usage error
(a bad flag, a missing or unreadable file, an unknown transcript version);
130 interrupted.  Each failure prints one line on stderr; notices go to
stderr too, never into the decoded output.  No traceback reaches the user.

Each command is one ``add_<command>`` function (its flags) and one
``run_<command>`` function (what it does), registered in :data:`COMMANDS`;
they live in :mod:`sseproto.tools` (``cmd_parse``, ``cmd_check``,
``cmd_record``), with the flags they share in :mod:`sseproto.tools.options`.
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from ._errors import Error
from ._version import __version__
from .server import ReplayServer, parse_fault, raise_fd_limit, sources_from_args
from .suite import _cli as suite_cli
from .tools.cmd_check import add_check, run_check
from .tools.cmd_parse import add_parse, add_replay, run_parse, run_replay
from .tools.cmd_record import add_convert, add_record, run_convert, run_record
from .tools.options import Parser, StreamFailed, UsageError, command, describe
from .tools.output import notice
from .transcript import TranscriptError

__all__ = ["COMMANDS", "StreamFailed", "UsageError", "main"]


# --- serve -------------------------------------------------------------------------


def _add_serve(commands: Any) -> None:
    serve = command(commands, "serve", "serve a transcript over HTTP/1.1 for clients under test",
                    "  sseproto serve capture.jsonl --port 8000\n"
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


def _tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not args.tls:
        return None
    if not (args.cert and args.key):
        raise UsageError("--tls needs --cert FILE and --key FILE")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(args.cert, args.key)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot load the certificate or key: {exc}") from None
    return context


def _run_serve(args: argparse.Namespace, out: IO[str]) -> int:
    try:
        faults = [parse_fault(text) for text in args.fault]
        transcript, routes = sources_from_args(args.file, args.route)
    except (ValueError, TranscriptError) as exc:
        raise UsageError(str(exc)) from None
    context = _tls_context(args)
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


# --- the program -------------------------------------------------------------------

Runner = Callable[[argparse.Namespace, IO[str]], int]

#: Every command: the function adding its flags, and the one running it.
COMMANDS: dict[str, tuple[Callable[[Any], None], Runner]] = {
    "parse": (add_parse, run_parse),
    "replay": (add_replay, run_replay),
    "check": (add_check, run_check),
    "record": (add_record, run_record),
    "serve": (_add_serve, _run_serve),
    "convert": (add_convert, run_convert),
    "suite": (suite_cli.add_parser, suite_cli.main),
}


def _build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="sseproto", description="Decode, check, record, replay and serve"
                     " streamed LLM responses.")
    parser.add_argument("--version", action="version", version=f"sseproto {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for add, _ in COMMANDS.values():
        add(commands)
    return parser


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
        notice(describe(exc))
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
    except Exception as exc:  # a bug in sseproto: still one line, unless asked for more
        if os.environ.get("SSEPROTO_TRACEBACK"):
            raise
        notice(f"internal error, please report it (SSEPROTO_TRACEBACK=1 shows where):"
               f" {type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
        return 1


class _quiet_stdout:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""

    def __enter__(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)

    def __exit__(self, *exc: object) -> None:
        return None

