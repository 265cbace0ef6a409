"""Where the time went: timing figures of a recorded stream, from each chunk's arrival time.

A pure function of the transcript (no clock is read): ``t`` is the number of
seconds since the request was sent, as :func:`sseproto.transcript.record`
stores it.  Inputs without timing (a raw body, a HAR file, a cassette) give
``None`` for every time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

__all__ = ["BURST_SHARE", "Timing", "burst", "sparkline", "timing"]

#: All content within this share of the elapsed time is a burst.
BURST_SHARE = 0.10
#: A stream shorter than this (seconds) is too short to call buffered.
MIN_BURST_TOTAL = 0.5
#: Content this close together (seconds) was not streamed token by token ...
BURST_SPAN = 0.05
#: ... nor was content packed this many events to a read.
PACKED_EVENTS = 4
_BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Timing:
    """Seconds, a count, and characters per second; ``None`` where the input has no timing."""

    ttfb: float | None
    first_content: float | None
    total: float | None
    chunks: int
    gap_p50: float | None
    gap_p95: float | None
    gap_max: float | None
    content_rate: float | None
    last_content: float | None = None  # not in the JSON form: for the burst rule and charts

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["last_content"]
        return {k: round(v, 6) if isinstance(v, float) else v for k, v in out.items()}


def _percentile(sorted_values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    rank = max(1, -(-len(sorted_values) * share // 1))
    return sorted_values[int(rank) - 1]


def timing(times: Sequence[float], content: Sequence[tuple[float, int]],
           timed: bool) -> Timing:
    """Figures from the chunks' arrival ``times`` and ``(time, characters)`` of each content.

    ``timed`` says whether the times were measured (a recording) or made up
    (every other source): then only the chunk count is known.
    """
    if not timed or not times:
        return Timing(None, None, None, len(times), None, None, None, None)
    gaps = sorted(b - a for a, b in pairwise(times))
    first = content[0][0] if content else None
    last = content[-1][0] if content else None
    chars = sum(n for _, n in content)
    rate = None
    if first is not None and last is not None and last > first:
        rate = chars / (last - first)
    return Timing(
        ttfb=times[0], first_content=first, total=times[-1], chunks=len(times),
        gap_p50=_percentile(gaps, 0.50) if gaps else None,
        gap_p95=_percentile(gaps, 0.95) if gaps else None,
        gap_max=gaps[-1] if gaps else None, content_rate=rate, last_content=last)


def burst(figures: Timing, content: Sequence[tuple[float, int]]) -> str | None:
    """Why the content looks delivered in one burst by a buffering layer, or ``None``.

    A model streams tokens over time; a proxy, CDN or compressor that buffers
    the response delivers them all at once, after a long silence.  So: the
    content arrived within :data:`BURST_SHARE` of the elapsed time, at its
    end, packed (many events a read, or all within :data:`BURST_SPAN`); or
    it arrived in a single chunk though it was many events.
    """
    total, first, last = figures.total, figures.first_content, figures.last_content
    if total is None or first is None or last is None or total < MIN_BURST_TOTAL:
        return None
    if len(content) < 3:
        return None
    span = last - first
    reads = len({t for t, _ in content})  # the chunks that carried content
    if reads == 1:
        return (f"all {len(content)} content events arrived in one chunk at {first:.2f} s of"
                f" {total:.2f} s")
    late = span <= BURST_SHARE * total and first >= (1 - 2 * BURST_SHARE) * total
    # A model that thought silently and then streams fast still sends its tokens over
    # time, one or two per read; a buffer releases them packed, or all at once.
    packed = len(content) / reads >= PACKED_EVENTS or span < BURST_SPAN
    if late and packed:
        return (f"all {len(content)} content events arrived within {span:.3f} s in"
                f" {reads} reads, after {first:.2f} s of silence ({total:.2f} s in all)")
    return None


def sparkline(gaps: Sequence[float], width: int = 60) -> str:
    """One line of bars, one per gap (the largest of each group when there are more than
    ``width``), scaled to the largest gap."""
    if not gaps:
        return ""
    size = -(-len(gaps) // width)
    groups = [max(gaps[i : i + size]) for i in range(0, len(gaps), size)]
    top = max(groups) or 1.0
    return "".join(_BARS[max(0, min(len(_BARS), math.ceil(g / top * len(_BARS))) - 1)]
                   for g in groups)
