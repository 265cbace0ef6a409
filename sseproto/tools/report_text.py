"""The text form of a :class:`~sseproto.check.Report`, as ``sseproto check`` prints it.

Colour (ANSI) only when asked: the CLI asks on a terminal unless ``NO_COLOR``
is set (https://no-color.org).  The gap sparkline is drawn on a terminal only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .timing import Timing, sparkline

if TYPE_CHECKING:
    from ..check import Report

__all__ = ["render", "seconds"]

_COLOURS = {"error": "31", "warning": "33", "info": "36", "good": "32", "dim": "2"}


def _paint(text: str, tone: str, colour: bool) -> str:
    return f"\x1b[{_COLOURS[tone]}m{text}\x1b[0m" if colour else text


def seconds(value: float | None) -> str:
    """``0.213 s``, ``12.4 s``, ``-`` when unknown."""
    if value is None:
        return "-"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def _timing_lines(figures: Timing, gaps: list[float], terminal: bool) -> list[str]:
    from ..check import plural

    if figures.total is None:
        return [f"timing: none recorded ({plural(figures.chunks, 'chunk')}; only a recording"
                " made with `sseproto record` has arrival times)"]
    rate = "-" if figures.content_rate is None else f"{figures.content_rate:,.1f} characters/s"
    lines = [f"timing: first byte {seconds(figures.ttfb)}, first content"
             f" {seconds(figures.first_content)}, total {seconds(figures.total)},"
             f" {plural(figures.chunks, 'chunk')}",
             f"gaps: p50 {seconds(figures.gap_p50)}, p95 {seconds(figures.gap_p95)},"
             f" max {seconds(figures.gap_max)}; content rate {rate}"]
    if terminal and gaps:
        lines.append(f"gaps: {sparkline(gaps)}")
    return lines


def _events_line(report: Report) -> str:
    from ..check import plural

    names = {"deltas": ("delta", None), "finals": ("final", None), "done": ("done", "done"),
             "stream_errors": ("stream error", None)}
    parts = [plural(n, *names.get(kind, (kind, kind))) for kind, n in report.counts.items()]
    ended = "ended normally" if report.done else "did not end normally"
    return (f"dialect: {report.dialect or 'unknown'}; events: {', '.join(parts) or 'none'};"
            f" {ended}")


def render(report: Report, *, colour: bool = False, terminal: bool = False) -> str:
    """The report as lines of text."""
    lines = [f"source: {report.source}", _events_line(report),
             *_timing_lines(report.timing, report.gaps, terminal)]
    if report.repairs:
        lines.append("repairs: " + ", ".join(f"{k} {n:,}" for k, n in report.repairs.items()))
    if report.first_error:
        lines.append(f"first error: {report.first_error}")
    for finding in report.findings:
        label = _paint(f"{finding.severity.upper():7}", finding.severity, colour)
        where = finding.where()
        lines.append(f"{label} {finding.code}: {finding.message}" + (f" ({where})" if where
                                                                      else ""))
    tone = "good" if report.conforming else "error"
    lines.append(f"verdict: {_paint(report.verdict, tone, colour)}")
    return "\n".join(lines)
