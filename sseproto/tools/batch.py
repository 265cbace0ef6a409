"""``check DIR --jobs N``: many captures checked in parallel, and a summary table.

The check of one file is a pure function of its bytes (:func:`check_bytes`),
so any engine can map it; the CLI uses a process pool.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..check import Report, check
from ..transcript import TranscriptError, loads
from .report_text import seconds

__all__ = ["Outcome", "check_bytes", "check_many", "expand", "summary_table"]


def check_bytes(data: bytes, *, source: str, dialect: str = "auto",
                entry: int | None = None) -> Report:
    """Check one capture given as bytes (any accepted format); raises TranscriptError."""
    return check(loads(data, entry=entry), dialect=dialect, source=source)


@dataclass(frozen=True)
class Outcome:
    """One file's result: its report as a dict, or why it could not be read."""

    path: str
    report: dict[str, Any] | None
    error: str | None = None


def _check_path(path: str, dialect: str) -> Outcome:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return Outcome(path, None, f"cannot read {path}: {exc.strerror or exc}")
    try:
        return Outcome(path, check_bytes(data, source=path, dialect=dialect).as_dict())
    except TranscriptError as exc:
        return Outcome(path, None, str(exc))


def expand(paths: Iterable[str]) -> list[str]:
    """Files as given, and every non-hidden file under each directory, sorted."""
    out: list[str] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            out += sorted(str(p) for p in path.rglob("*")
                          if p.is_file() and not any(part.startswith(".")
                                                     for part in p.relative_to(path).parts))
        else:
            out.append(name)
    return out


def check_many(paths: list[str], dialect: str, jobs: int) -> Iterator[Outcome]:
    """Each file's outcome, in order; ``jobs`` > 1 checks them in that many processes."""
    if jobs <= 1 or len(paths) <= 1:
        yield from (_check_path(path, dialect) for path in paths)
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts)
    try:
        yield from pool.map(_check_path, paths, [dialect] * len(paths), chunksize=4)
    finally:
        # On Ctrl-C the workers (which ignore it) are stopped without finishing the queue.
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them: no traceback from each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def summary_table(outcomes: list[Outcome]) -> str:
    """One row per file: verdict, dialect, events, timing, errors, warnings."""
    header = ("file", "verdict", "dialect", "events", "ttfb", "total", "errors", "warnings",
              "first problem")
    rows = [header]
    for outcome in outcomes:
        report = outcome.report
        if report is None:
            rows.append((outcome.path, "UNREADABLE", "-", "-", "-", "-", "-", "-",
                         outcome.error or ""))
            continue
        severities = report["findings_by_severity"]
        first = next((f for f in report["findings"] if f["severity"] == "error"), None)
        rows.append((outcome.path, "ok" if report["conforming"] else "FAIL",
                     report["dialect"] or "-", str(sum(report["counts"].values())),
                     seconds(report["timing"]["ttfb"]), seconds(report["timing"]["total"]),
                     str(severities["error"]), str(severities["warning"]),
                     first["code"] if first else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
             + "  " + row[-1] for row in rows]
    return "\n".join(line.rstrip() for line in lines)
