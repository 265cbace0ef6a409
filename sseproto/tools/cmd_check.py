"""``check``: one capture's report (text, JSON, HTML), or many captures' summary table."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import IO, Any

import orjson

from .._chat import ChatStreamDecoder
from ..check import check, plural
from .options import StreamFailed, UsageError, command, read_input

__all__ = ["add_check", "run_check"]


def add_check(commands: Any) -> None:
    check = command(commands, "check", "report how a stream deviates from SSE and its dialect,"
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


def run_check(args: argparse.Namespace, out: IO[str]) -> int:
    from .batch import expand

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
    transcript = read_input(args)
    report = check(transcript, dialect=args.dialect, source=path)
    if args.html:
        from .report_html import render_html

        try:
            Path(args.html).write_text(render_html(report, transcript), "utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.html}: {exc.strerror or exc}") from None
    if args.json:
        out.write(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.write(report.text(colour=_colour(out), terminal=out.isatty()) + "\n")
    if not report.conforming:
        first = next(f for f in report.findings if f.severity == "error")
        raise StreamFailed(f"{path} does not conform: {report.verdict}; first: {first.code}")
    return 0


def _check_batch(args: argparse.Namespace, paths: list[str], out: IO[str]) -> int:
    from .batch import check_many, summary_table

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
        raise UsageError(f"{plural(unreadable, 'file')} could not be read")
    if failed:
        raise StreamFailed(f"{plural(failed, 'file')} of {len(outcomes)} did not conform")
    return 0
