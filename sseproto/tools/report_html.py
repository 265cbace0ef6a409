"""``check --html``: the report as one self-contained page.

No script, no network, no external font or image: inline CSS and an inline
SVG timeline of the bytes and the content received over time, with each
chunk's arrival marked and the long gaps shaded, then the findings with
their byte offsets and the bytes at each.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from itertools import accumulate, pairwise
from typing import TYPE_CHECKING

from .._version import __version__
from .report_text import seconds

if TYPE_CHECKING:
    from ..check import Finding, Report
    from ..transcript import Transcript

__all__ = ["render_html", "snippet_html"]

Scale = Callable[[float], float]
WIDTH, HEIGHT = 1080, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 100, 20, 50
SNIPPET_BEFORE, SNIPPET_AFTER = 32, 96
#: The shortest gap shaded on the timeline, in seconds.
LONG_GAP = 0.5

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;
margin:0;background:#f5f6f8}
main{max-width:1120px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:22px;margin:0 0 4px;word-break:break-all}
h2{font-size:17px;margin:28px 0 10px}
.sub{color:#5b6472;margin:0 0 16px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:16px 18px}
.verdict{display:inline-block;font-weight:700;padding:4px 12px;border-radius:6px;color:#fff}
.ok{background:#1f883d}.bad{background:#cf222e}
.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:10px 24px;margin-top:14px}
.figures div{font-size:13px;color:#5b6472}
.figures b{display:block;font-size:19px;color:#1d2430;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:8px 10px;border-top:1px solid #e6e9ee;vertical-align:top}
th{font-size:13px;color:#5b6472;border-top:none}
.sev{font-size:12px;font-weight:700;padding:2px 8px;border-radius:10px;white-space:nowrap}
.error{background:#ffebe9;color:#a40e26}.warning{background:#fff5d6;color:#7d4e00}
.info{background:#ddf4ff;color:#0550ae}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{font:12.5px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
background:#f6f8fa;border:1px solid #e6e9ee;border-radius:6px;padding:6px 8px;margin:6px 0 0;
white-space:pre-wrap;word-break:break-all}
pre mark{background:#ffd33d;border-radius:2px}
pre mark.eof{background:#cf222e;color:#fff;padding:0 5px;margin-left:4px;font-size:11px}
.esc{color:#8c959f}
.offset{color:#5b6472;font-size:13px;margin-top:8px}
svg text{font:12px system-ui,sans-serif;fill:#5b6472}
"""


def render_html(report: Report, transcript: Transcript) -> str:
    """The whole page."""
    body = transcript.body
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>sseproto check: {escape(report.source)}</title><style>{_CSS}</style>",
        "</head><body><main>",
        _summary(report),
        "<h2>Timeline</h2><div class=card>",
        _timeline(report, transcript),
        "</div>",
        f"<h2>Findings ({len(report.findings)})</h2><div class=card>",
        _findings(report.findings, body),
        "</div>",
        _repairs(report),
        f"<p class=sub>sseproto {escape(__version__)}; {len(body):,} bytes checked.</p>",
        "</main></body></html>",
    ]
    return "\n".join(parts)


def _summary(report: Report) -> str:
    from .report_text import _events_line

    verdict = "ok" if report.conforming else "bad"
    figures = report.timing
    rate = "-" if figures.content_rate is None else f"{figures.content_rate:,.1f} chars/s"
    cells = [("time to first byte", seconds(figures.ttfb)),
             ("time to first content", seconds(figures.first_content)),
             ("total", seconds(figures.total)), ("chunks", f"{figures.chunks:,}"),
             ("gap p50", seconds(figures.gap_p50)), ("gap p95", seconds(figures.gap_p95)),
             ("gap max", seconds(figures.gap_max)), ("content rate", rate)]
    grid = "".join(f"<div>{escape(name)}<b>{escape(value)}</b></div>" for name, value in cells)
    first = (f"<p class=sub>First error: <code>{escape(report.first_error)}</code></p>"
             if report.first_error else "")
    return (f"<h1>{escape(report.source)}</h1>"
            f"<p class=sub>{escape(_events_line(report))}</p>"
            f"<div class=card><span class='verdict {verdict}'>{escape(report.verdict)}</span>"
            f"{first}<div class=figures>{grid}</div></div>")


def _timeline(report: Report, transcript: Transcript) -> str:
    """An SVG of cumulative bytes and content over time, chunk ticks, shaded long gaps."""
    times = [t for t, _ in transcript.chunks]
    total = report.timing.total
    if total is None or not times:
        return ("<p class=sub>This input has no arrival times (only a recording made with"
                " <code>sseproto record</code> has them), so there is no timeline.</p>")
    span = max(total, 1e-6)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + t / span * plot_w

    sizes = list(accumulate(len(data) for _, data in transcript.chunks))
    chars = list(accumulate(n for _, n in report.content))
    shapes = [_gap_bands(times, report, x, plot_h), _axes(span, sizes[-1], chars, x, plot_h)]
    shapes.append(_curve([(x(t), s / sizes[-1]) for t, s in zip(times, sizes, strict=True)],
                         "#0969da", plot_h, "bytes"))
    if chars:
        points = [(x(t), c / chars[-1]) for (t, _), c in zip(report.content, chars, strict=True)]
        shapes.append(_curve(points, "#1f883d", plot_h, "content"))
    ticks = sorted({round(x(t) * 2) / 2 for t in times})  # one per half pixel
    shapes.append("".join(f"<line x1={px} x2={px} y1={TOP + plot_h + 4}"
                          f" y2={TOP + plot_h + 14} stroke='#57606a' stroke-width='1' />"
                          for px in ticks))
    shapes.append(_markers(report, x, plot_h))
    return (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {WIDTH} {HEIGHT}'"
            f" width='100%' role=img aria-label='timeline of the stream'>{''.join(shapes)}"
            "</svg>" + _legend())


def _legend() -> str:
    items = [("#0969da", "bytes received (cumulative)"),
             ("#1f883d", "content characters (cumulative)"),
             ("#57606a", "chunk arrivals (ticks)"), ("#eaeef2", "waiting for the first byte"),
             ("#ffd8d3", "long gaps (at least 0.5 s and 5x the median)")]
    return "<p class=sub>" + " &nbsp; ".join(
        f"<span style='display:inline-block;width:12px;height:12px;background:{c};"
        f"border-radius:2px;vertical-align:-1px'></span> {escape(t)}" for c, t in items) + "</p>"


def _curve(points: list[tuple[float, float]], colour: str, plot_h: float, name: str) -> str:
    """A step line: the value holds until the next arrival (the last value per pixel)."""
    per_pixel = {round(px): (px, share) for px, share in points}
    points = [per_pixel[key] for key in sorted(per_pixel)]
    path = [f"M{LEFT},{TOP + plot_h}"]
    level = 0.0
    for px, share in points:
        path.append(f"L{px:.1f},{TOP + plot_h - level * plot_h:.1f}")
        level = share
        path.append(f"L{px:.1f},{TOP + plot_h - level * plot_h:.1f}")
    path.append(f"L{LEFT + WIDTH - LEFT - RIGHT},{TOP + plot_h - level * plot_h:.1f}")
    return (f"<path d='{' '.join(path)}' fill=none stroke='{colour}' stroke-width=2.2>"
            f"<title>{name}</title></path>")


def _gap_bands(times: list[float], report: Report, x: Scale, plot_h: float) -> str:
    bands = [_band(x, 0.0, times[0], plot_h, "#eaeef2", "waiting for the first byte")]
    for a, b in pairwise(times):
        if b - a >= long_gap(report):
            bands.append(_band(x, a, b, plot_h, "#ffd8d3", f"nothing arrived for {b - a:.3f} s"))
    return "".join(bands)


def long_gap(report: Report) -> float:
    """A gap worth shading: at least half a second and five times the median gap."""
    return max(LONG_GAP, 5 * (report.timing.gap_p50 or 0.0))


def _band(x: Scale, a: float, b: float, plot_h: float, colour: str, title: str) -> str:
    return (f"<rect x='{x(a):.1f}' y='{TOP}' width='{max(x(b) - x(a), 1):.1f}'"
            f" height='{plot_h}' fill='{colour}'><title>{escape(title)}</title></rect>")


def _axes(span: float, total_bytes: int, chars: list[int], x: Scale, plot_h: float) -> str:
    bottom = TOP + plot_h
    out = [f"<line x1={LEFT} x2={WIDTH - RIGHT} y1={bottom} y2={bottom} stroke='#8c959f'/>"]
    for i in range(6):
        t = span * i / 5
        out.append(f"<text x={x(t):.1f} y={bottom + 32} text-anchor=middle>{t:.2f} s</text>")
    out.append(f"<text x={LEFT - 8} y={TOP + 4} text-anchor=end fill='#0969da'>"
               f"{total_bytes:,} B</text><text x={LEFT - 8} y={bottom} text-anchor=end>0</text>")
    if chars:
        out.append(f"<text x={WIDTH - RIGHT + 8} y={TOP + 4}>{chars[-1]:,} chars</text>")
    return "".join(out)


def _markers(report: Report, x: Scale, plot_h: float) -> str:
    out = []
    for label, t in (("first byte", report.timing.ttfb),
                     ("first content", report.timing.first_content)):
        if t is not None:
            y = TOP + (12 if label == "first byte" else 28)
            out.append(f"<line x1={x(t):.1f} x2={x(t):.1f} y1={TOP} y2={TOP + plot_h}"
                       f" stroke='#6e7781' stroke-dasharray='4 3'/>"
                       f"<text x={x(t) + 4:.1f} y={y}>{label} {t:.3f} s</text>")
    return "".join(out)


def _findings(findings: list[Finding], body: bytes) -> str:
    if not findings:
        return "<p class=sub>Nothing to report: the stream conforms.</p>"
    rows = ["<table><tr><th>severity</th><th>finding</th></tr>"]
    order = {"error": 0, "warning": 1, "info": 2}
    for finding in sorted(findings, key=lambda f: order.get(f.severity, 3)):
        where = finding.where()
        snippets = "".join(f"<div class=offset>byte {offset}</div>{snippet_html(body, offset)}"
                           for offset in finding.offsets)
        rows.append(f"<tr><td><span class='sev {finding.severity}'>{finding.severity}</span>"
                    f"</td><td><code>{escape(finding.code)}</code>: {escape(finding.message)}"
                    + (f" <span class=sub>({escape(where)})</span>" if where else "")
                    + f"{snippets}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def snippet_html(body: bytes, offset: int) -> str:
    """The bytes around ``offset``, escaped, with the byte at ``offset`` highlighted."""
    start = max(0, offset - SNIPPET_BEFORE)
    before, at, after = (body[start:offset], body[offset : offset + 1],
                         body[offset + 1 : offset + SNIPPET_AFTER])
    marked = f"<mark>{_bytes_html(at)}</mark>" if at else "<mark class=eof>end of stream</mark>"
    lead = "…" if start else ""
    tail = "…" if offset + SNIPPET_AFTER < len(body) else ""
    return f"<pre>{lead}{_bytes_html(before)}{marked}{_bytes_html(after)}{tail}</pre>"


def _bytes_html(data: bytes) -> str:
    """Text as is; line breaks shown (and kept); control characters and invalid UTF-8
    as ``\\xNN``."""
    out = []
    for char in data.decode("utf-8", "surrogateescape"):
        if char == "\n":
            out.append("<span class=esc>\\n</span>\n")
        elif char == "\r":
            out.append("<span class=esc>\\r</span>")
        elif char < " " or char == "\x7f":
            out.append(f"<span class=esc>\\x{ord(char):02x}</span>")
        elif "\udc80" <= char <= "\udcff":  # a byte that is not UTF-8
            out.append(f"<span class=esc>\\x{ord(char) - 0xDC00:02x}</span>")
        else:
            out.append(escape(char))
    return "".join(out)


def _repairs(report: Report) -> str:
    if not report.repairs:
        return ""
    items = "".join(f"<tr><td><code>{escape(k)}</code></td><td>{n:,}</td></tr>"
                    for k, n in report.repairs.items())
    return (f"<h2>Repairs by frame recovery</h2><div class=card><table><tr><th>repair</th>"
            f"<th>count</th></tr>{items}</table></div>")
