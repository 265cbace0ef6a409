"""``sseproto suite list | serve | run``: the command line of the conformance suite."""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
from pathlib import Path
from typing import IO, Any

import orjson

from ..tools.options import UsageError
from . import report
from ._runner import Result, SuiteServer, run
from ._scenarios import Scenario, select

__all__ = ["add_parser", "main"]

_EXAMPLES = """examples:
  sseproto suite list --only 'chat/*'
  sseproto suite serve --port 8080          # then GET /suite/index.json
  sseproto suite run -- sseproto parse --url {url} --json {sse:--sse}
  sseproto suite run --html report.html -- python my_client.py {url} {kind}

In the command, {url} is the scenario's URL and {kind} "sse" or "chat"; an
argument {sse:TEXT} is TEXT for raw SSE scenarios and dropped for chat ones
({chat:TEXT} the reverse).  The command prints one JSON object per line, as
'sseproto parse --json' does, and exits 0 unless the stream failed."""


def _usage(message: str) -> Exception:
    return UsageError(message)


def add_parser(commands: Any) -> None:
    """Register ``suite`` and its three subcommands on the CLI's subparsers."""
    suite: argparse.ArgumentParser = commands.add_parser(
        "suite", help="the client conformance suite: list, serve or run its scenarios",
        description="The client conformance suite: every scenario served to any client.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = suite.add_subparsers(dest="suite_command", required=True,
                                   parser_class=type(suite))
    listing = actions.add_parser("list", help="print the scenarios")
    listing.add_argument("--json", action="store_true", help="print the index as JSON")
    serve = actions.add_parser("serve", help="serve every scenario at /suite/<id>")
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    runner = actions.add_parser("run", help="run a client command once per scenario",
                                epilog=_EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    runner.add_argument("--json", action="store_true", help="print the report as JSON")
    runner.add_argument("--html", metavar="REPORT.html", help="also write an HTML report")
    runner.add_argument("--jobs", type=int, default=4, help="clients at once (default 4)")
    runner.add_argument("--timeout", type=float, default=15.0,
                        help="seconds a client may take per scenario (default 15)")
    runner.add_argument("client", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                        help="-- then the client command, with {url}")
    for parser in (listing, serve, runner):
        parser.add_argument("--only", action="append", default=[], metavar="PATTERN",
                            help="only scenarios whose id matches this glob, or in this"
                            " group (repeatable)")


def _scenarios(args: argparse.Namespace) -> list[Scenario]:
    scenarios = select(args.only)
    if not scenarios:
        raise _usage(f"no scenario matches {' or '.join(args.only)}")
    return scenarios


def _list(args: argparse.Namespace, out: IO[str]) -> int:
    scenarios = _scenarios(args)
    if args.json:
        index = {"scenarios": [scenario.index_entry() for scenario in scenarios]}
        out.write(orjson.dumps(index, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    for scenario in scenarios:
        out.write(f"{scenario.id}  {scenario.description}\n")
    counts: dict[str, int] = {}
    for scenario in scenarios:
        counts[scenario.group] = counts.get(scenario.group, 0) + 1
    out.write(f"{len(scenarios)} scenarios in {len(counts)} groups: "
              + ", ".join(f"{group} {count}" for group, count in counts.items()) + "\n")
    return 0


def _serve(args: argparse.Namespace, out: IO[str]) -> int:
    scenarios = _scenarios(args)
    try:
        server = SuiteServer(scenarios, host=args.host, port=args.port)
    except (OSError, OverflowError) as exc:
        raise _usage(f"cannot listen on {args.host}:{args.port}:"
                     f" {getattr(exc, 'strerror', None) or exc}") from None
    out.write(f"sseproto: serving {len(scenarios)} scenarios at {server.url}/suite/<id>;"
              f" the list: {server.url}/suite/index.json\n")
    out.flush()
    try:
        server.serve_forever()
    finally:
        server.stop()
    return 0


def _command(args: argparse.Namespace) -> list[str]:
    command = list(args.client)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise _usage("suite run needs a client command after --, with {url} in it")
    if not any("{url}" in arg for arg in command):
        raise _usage("the client command must take the scenario's URL: put {url} in it")
    if shutil.which(command[0]) is None:
        raise _usage(f"cannot run {command[0]!r}: no such command")
    if args.jobs < 1 or args.timeout <= 0:
        raise _usage("--jobs must be at least 1 and --timeout positive")
    return command


class _Progress:
    """A one-line counter on a terminal's stderr."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.failed = 0

    def __call__(self, result: Result) -> None:
        self.done += 1
        self.failed += not result.passed
        sys.stderr.write(f"\rsseproto suite: {self.done}/{self.total} run,"
                         f" {self.failed} failed")
        sys.stderr.flush()


def _run(args: argparse.Namespace, out: IO[str]) -> int:
    command = _command(args)
    scenarios = _scenarios(args)
    if args.html:
        _check_writable(args.html)
    progress = _Progress(len(scenarios)) if sys.stderr.isatty() else None
    results = run(command, scenarios, timeout=args.timeout, jobs=args.jobs, on_result=progress)
    if progress is not None:
        sys.stderr.write("\n")
    shown = shlex.join(command)
    if args.html:
        Path(args.html).write_text(report.html_page(results, shown), "utf-8")
    if args.json:
        out.write(orjson.dumps(report.as_json(results, shown)).decode() + "\n")
    else:
        out.write(report.text(results, shown) + "\n")
    return 0 if all(result.passed for result in results) else 1


def _check_writable(path: str) -> None:
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise _usage(f"cannot write {path}: {exc.strerror or exc}") from None


def main(args: argparse.Namespace, out: IO[str]) -> int:
    """Run ``sseproto suite ...`` as parsed; return the exit code."""
    commands = {"list": _list, "serve": _serve, "run": _run}
    return commands[args.suite_command](args, out)
