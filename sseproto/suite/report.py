"""The suite's report: text for a terminal, JSON for scripts, one self-contained HTML page.

The page needs no network and no script: a summary grid (one row per group,
one coloured square per scenario, a failed square links to its details),
then each failure with the expected and received events side by side and
the first difference marked.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from ._runner import Result

__all__ = ["as_json", "groups", "html_page", "text"]

_TEXT_FAILURES = 100


def groups(results: Iterable[Result]) -> dict[str, list[Result]]:
    """The results by group, groups in order of first appearance."""
    grouped: dict[str, list[Result]] = {}
    for result in results:
        grouped.setdefault(result.scenario.group, []).append(result)
    return grouped


def _totals(results: Sequence[Result]) -> tuple[int, int]:
    passed = sum(result.passed for result in results)
    return passed, len(results) - passed


def text(results: Sequence[Result], command: str) -> str:
    """A plain report: totals, a line per group, then one line per failure."""
    passed, failed = _totals(results)
    lines = [f"sseproto suite: {len(results)} scenarios, {passed} passed, {failed} failed",
             f"client: {command}", ""]
    width = max((len(group) for group in groups(results)), default=5)
    for group, members in groups(results).items():
        ok, bad = _totals(members)
        lines.append(f"  {group:<{width}}  {ok:>4}/{len(members):<4} passed"
                     + (f"  ({bad} failed)" if bad else ""))
    failures = [result for result in results if not result.passed]
    if failures:
        lines += ["", "failures:"]
        lines += [f"  {r.scenario.id}: {r.difference}" for r in failures[:_TEXT_FAILURES]]
        if len(failures) > _TEXT_FAILURES:
            lines.append(f"  ... and {len(failures) - _TEXT_FAILURES} more (see --json or"
                         " --html)")
    return "\n".join(lines)


def as_json(results: Sequence[Result], command: str) -> dict[str, Any]:
    """The whole run as one JSON document."""
    passed, failed = _totals(results)
    return {"command": command, "total": len(results), "passed": passed, "failed": failed,
            "groups": {group: dict(zip(("passed", "failed"), _totals(members), strict=True))
                       for group, members in groups(results).items()},
            "scenarios": [result.as_dict() for result in results]}


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px}
.sum{margin:4px 0 16px;color:#444} code,pre{font:12px/1.35 ui-monospace,monospace}
table.grid{border-collapse:collapse} .grid td{padding:3px 8px;vertical-align:top;
border-bottom:1px solid #e3e6ec} .grid td.name{white-space:nowrap;font-weight:600}
.grid td.count{white-space:nowrap;text-align:right}
.cells{display:flex;flex-wrap:wrap;gap:2px;max-width:760px}
.cell{display:block;width:11px;height:11px;border-radius:2px}
.pass{background:#2e9e4f} .fail{background:#d2382f}
.failure{border:1px solid #e3e6ec;border-left:4px solid #d2382f;margin:12px 0;padding:8px 12px}
.failure h3{font-size:14px;margin:0 0 2px;font-family:ui-monospace,monospace}
.why{color:#a1261f;margin:4px 0 8px} .side{display:flex;gap:12px}
.side>div{flex:1;min-width:0} .side pre{background:#f6f7f9;padding:6px;margin:2px 0;
white-space:pre-wrap;word-break:break-all} .line{display:block}
.diff{background:#ffd9d6;outline:1px solid #d2382f} .meta{color:#555;font-size:12px}
mark{background:#d2382f;color:#fff;border-radius:2px;padding:0 1px}
"""


def _cell(result: Result) -> str:
    scenario = result.scenario
    title = html.escape(f"{scenario.id}: {scenario.description}", quote=True)
    state = "pass" if result.passed else "fail"
    if result.passed:
        return f'<span class="cell {state}" title="{title}"></span>'
    return f'<a class="cell {state}" title="{title}" href="#{_anchor(scenario.id)}"></a>'


def _anchor(scenario_id: str) -> str:
    return "s-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in scenario_id)


def _grid(results: Sequence[Result]) -> str:
    rows = []
    for group, members in groups(results).items():
        ok, _ = _totals(members)
        cells = "".join(_cell(result) for result in members)
        rows.append(f'<tr><td class="name">{html.escape(group)}</td><td class="count">'
                    f'{ok}/{len(members)}</td><td><div class="cells">{cells}</div></td></tr>')
    return '<table class="grid">' + "".join(rows) + "</table>"


def _event_html(event: dict[str, Any], other: dict[str, Any] | None, expected: bool) -> str:
    """``event`` as JSON, marking the fields that differ from ``other``'s.

    Only the expected event's fields are graded: a field the received event
    has beyond them is not marked.
    """
    if other is None:
        return html.escape(orjson.dumps(event).decode())
    fields = []
    for key, value in event.items():
        text = html.escape(f"{orjson.dumps(key).decode()}:{orjson.dumps(value).decode()}")
        differs = other[key] != value if key in other else expected
        fields.append(f"<mark>{text}</mark>" if differs else text)
    return "{" + ",".join(fields) + "}"


def _events(events: Sequence[dict[str, Any]], others: Sequence[dict[str, Any]],
            marked: int | None, *, expected: bool) -> str:
    """One line per event; the line at ``marked`` (the first difference) is marked."""
    lines = []
    for index, event in enumerate(events):
        if index == marked:
            other = others[index] if index < len(others) else None
            lines.append(f'<span class="line diff">{_event_html(event, other, expected)}</span>')
        else:
            lines.append(f'<span class="line">{_event_html(event, None, expected)}</span>')
    if marked is not None and marked >= len(events):
        lines.append('<span class="line diff">(nothing)</span>')
    return "<pre>" + "".join(lines) + "</pre>" if lines else "<pre>(no events)</pre>"


def _failure(result: Result) -> str:
    scenario = result.scenario
    marked = None if result.difference is None else result.difference.index
    exit_text = "timed out" if result.exit_code is None else f"exit status {result.exit_code}"
    want = {True: "success (exit 0)", False: "failure (exit status not 0)",
            None: "any exit status"}[scenario.ok]
    stderr = (f'<div class="meta">stderr:</div><pre>{html.escape(result.stderr[-800:])}</pre>'
              if result.stderr.strip() else "")
    return (f'<div class="failure" id="{_anchor(scenario.id)}">'
            f"<h3>{html.escape(scenario.id)}</h3>"
            f'<div class="meta">{html.escape(scenario.description)}</div>'
            f'<div class="why">{html.escape(str(result.difference))}</div>'
            f'<div class="side"><div><div class="meta">expected: {want}</div>'
            f"{_events(scenario.expected, result.received, marked, expected=True)}</div>"
            f'<div><div class="meta">received: {exit_text}</div>'
            f"{_events(result.received, scenario.expected, marked, expected=False)}</div>"
            f"</div>{stderr}</div>")


def html_page(results: Sequence[Result], command: str) -> str:
    """The report as one self-contained HTML page."""
    passed, failed = _totals(results)
    failures = "".join(_failure(result) for result in results if not result.passed)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>sseproto suite: {passed}/{len(results)} passed</title>"
            f"<style>{_CSS}</style></head><body>"
            f"<h1>sseproto client conformance suite</h1>"
            f'<div class="sum"><code>{html.escape(command)}</code><br>{len(results)} scenarios:'
            f" <b>{passed} passed</b>, <b>{failed} failed</b></div>"
            f"<h2>By group</h2>{_grid(results)}"
            f"<h2>Failures ({failed})</h2>{failures or '<p>None.</p>'}</body></html>\n")
