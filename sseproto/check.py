"""The conformance checker: what a stream does that WHATWG SSE or its dialect does not allow.

:func:`check` reads a captured stream (a :class:`~sseproto.transcript.Transcript`)
and returns a :class:`Report`: findings with byte offsets, the repairs frame
recovery had to make, the dialect, event counts, the first error, and a
verdict.  Three views of the same bytes are compared:

1. the lines, as WHATWG HTML 9.2.5/9.2.6 reads them (BOM, UTF-8, fields,
   blocks, ``retry``, ``id``);
2. a strict SSE decoder, as every conforming parser would see the events
   (data that is not JSON, lines it would silently drop);
3. :class:`~sseproto.ChatStreamDecoder`, which recovers what can be
   recovered and says what it repaired (``[DONE]``, finish reasons,
   ``generated_text``).

Findings of severity ``error`` make the stream non-conforming.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from ._chat import ChatStreamDecoder
from ._errors import ProtocolError, snippet
from ._events import Delta, Done, Final, StreamError
from ._lines import parse_field
from ._sse import SSEDecoder
from .dialects import ShapeError
from .framing.eventstream import CONTENT_TYPE as EVENTSTREAM
from .transcript import Transcript

__all__ = ["Finding", "Report", "check"]

_LINE = re.compile(rb"([^\r\n]*)(\r\n|\r|\n|$)")
_KNOWN = {b"data", b"event", b"id", b"retry"}
_MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Finding:
    """One thing the stream does wrong (or oddly), and where."""

    code: str
    severity: str  # "error", "warning" or "info"
    message: str
    offset: int | None = None
    count: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "offset": self.offset, "count": self.count}


@dataclass
class Report:
    """Everything :func:`check` found."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    dialect: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    first_error: str | None = None
    done: bool = False

    @property
    def conforming(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def verdict(self) -> str:
        errors = sum(f.severity == "error" for f in self.findings)
        warnings = sum(f.severity == "warning" for f in self.findings)
        state = "CONFORMING" if self.conforming else "NOT CONFORMING"
        return f"{state} ({errors} errors, {warnings} warnings)"

    def add(self, code: str, severity: str, message: str, offset: int | None = None,
            count: int = 1) -> None:
        self.findings.append(Finding(code, severity, message, offset, count))

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "conforming": self.conforming, "verdict": self.verdict,
                "dialect": self.dialect, "done": self.done, "counts": self.counts,
                "repairs": self.repairs, "first_error": self.first_error,
                "findings": [f.as_dict() for f in self.findings]}

    def text(self) -> str:
        lines = [f"source: {self.source}",
                 f"dialect: {self.dialect or 'unknown'}; events: "
                 + ", ".join(f"{n} {k}" for k, n in self.counts.items())
                 + ("; ended normally" if self.done else "; did not end normally")]
        if self.repairs:
            lines.append("repairs: " + ", ".join(f"{k} {n}" for k, n in self.repairs.items()))
        if self.first_error:
            lines.append(f"first error: {self.first_error}")
        for f in self.findings:
            where = f"byte {f.offset}: " if f.offset is not None else ""
            times = f" (x{f.count})" if f.count > 1 else ""
            lines.append(f"{f.severity.upper():7} {f.code}: {where}{f.message}{times}")
        lines.append(f"verdict: {self.verdict}")
        return "\n".join(lines)


def check(transcript: Transcript, *, dialect: str = "auto", source: str = "") -> Report:
    """Check one captured stream; never raises for bad stream bytes."""
    report = Report(source=source or transcript.source)
    body = transcript.body
    _check_head(transcript, report)
    if not body:
        report.add("empty", "error", "the body is empty")
        return report
    if body[:1] == b"\x00" or transcript.content_type == EVENTSTREAM:
        _check_chat(body, dialect, report, "eventstream")  # binary: no text rules apply
        return report
    _check_encoding(body, report)
    ndjson = body.lstrip()[:1] == b"{" or transcript.content_type == "application/x-ndjson"
    if not ndjson:  # newline-delimited JSON is not SSE: no SSE rules apply
        _check_lines(body, report)
        _check_strict(body, report)
    _check_chat(body, dialect, report, "ndjson" if ndjson else "sse")
    return report


def _check_head(transcript: Transcript, report: Report) -> None:
    if transcript.source == "raw":
        return  # a bare body has no headers to check
    if not 200 <= transcript.status < 300:
        report.add("status", "error", f"the response status is {transcript.status}")
    kind = transcript.content_type
    if kind not in ("text/event-stream", "application/x-ndjson", EVENTSTREAM):
        report.add("content-type", "error",
                   f"Content-Type is {transcript.headers.get('content-type', '(none)')!r},"
                   " not text/event-stream")


def _check_encoding(body: bytes, report: Report) -> None:
    if body.startswith(b"\xef\xbb\xbf"):
        report.add("bom", "warning", "the stream starts with a UTF-8 BOM (stripped, as"
                   " WHATWG says, but many parsers do not)", 0)
    position = 0
    bad: list[int] = []
    while len(bad) < _MAX_EXAMPLES:
        try:
            body[position:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            bad.append(position + exc.start)
            position += exc.end
    if bad:
        report.add("invalid-utf8", "error", "invalid UTF-8 (decoded as U+FFFD); first at"
                   f" bytes {', '.join(map(str, bad))}", bad[0], len(bad))


def _check_lines(body: bytes, report: Report) -> None:
    """The WHATWG line view: fields, blocks, retry and id values, line endings."""
    stats: dict[str, list[int]] = {}
    block_has_data = False
    # WHATWG strips one leading BOM before reading lines (reported by _check_encoding).
    block_start = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    endings: set[bytes] = set()
    for match in _LINE.finditer(body, block_start):
        line, ending = match.group(1), match.group(2)
        offset = match.start()
        if not line and not ending:
            break
        if ending:
            endings.add(ending)
        else:
            _note(stats, "unterminated-last-line", offset)
        if not line:
            if not block_has_data and offset > block_start:
                _note(stats, "block-without-data", block_start)
            block_has_data, block_start = False, match.end()
            continue
        name, value = parse_field(line)
        if not name:  # a comment
            continue
        if name == b"data":
            block_has_data = True
        elif name == b"retry" and not (value.isdigit() and value.isascii()):
            _note(stats, "bad-retry", offset)
        elif name == b"id" and b"\x00" in value:
            _note(stats, "nul-in-id", offset)
        elif name not in _KNOWN:
            _note(stats, "dropped-line", offset)
    if len(endings) > 1:
        report.add("mixed-line-endings", "warning", "the stream mixes "
                   + " and ".join(sorted(e.decode().replace("\r", "CR").replace("\n", "LF")
                                         for e in endings)) + " line endings")
    messages = {
        "dropped-line": ("error", "lines that are not SSE fields: a strict parser drops them"
                                  " (un-prefixed JSON lines lose their text)"),
        "block-without-data": ("info", "blocks without data dispatch nothing"),
        "bad-retry": ("warning", "retry values that are not all ASCII digits are ignored"),
        "nul-in-id": ("warning", "id values containing U+0000 are ignored"),
        "unterminated-last-line": ("warning", "the last line has no line break, so a strict"
                                              " parser discards it"),
    }
    for code, offsets in stats.items():
        severity, message = messages[code]
        report.add(code, severity, message, offsets[0], len(offsets))


def _note(stats: dict[str, list[int]], code: str, offset: int) -> None:
    stats.setdefault(code, []).append(offset)


def _check_strict(body: bytes, report: Report) -> None:
    """What a conforming SSE parser would hand to a JSON parser."""
    decoder = SSEDecoder()
    try:
        events = decoder.feed(body) + decoder.close()
    except ProtocolError as exc:
        report.add("sse-error", "error", str(exc), exc.offset)
        return
    bad: list[str] = []
    after_done = 0
    seen_done = False
    for event in events:
        if seen_done:
            after_done += 1
            continue
        if event.data.strip() == "[DONE]":
            seen_done = True
            continue
        if not event.data.strip() or event.event == "ping":
            continue
        try:
            orjson.loads(event.data)
        except orjson.JSONDecodeError:
            bad.append(event.data)
    if bad:
        report.add("not-json", "error", "events whose data is not one JSON value under strict"
                   f" SSE parsing (first: {snippet(bad[0])})", None, len(bad))
    if after_done:
        report.add("after-done", "error", "events after [DONE]", _after_done_offset(body),
                   after_done)


def _after_done_offset(body: bytes) -> int | None:
    index = body.find(b"[DONE]")
    if index < 0:
        return None
    line_end = body.find(b"\n", index)
    return line_end + 1 if line_end >= 0 else None


def _check_chat(body: bytes, dialect: str, report: Report, framing: str) -> None:
    """The chat view: recovery repairs, end of stream, finish reasons, generated_text."""
    try:
        strict = ChatStreamDecoder(dialect)
        strict.feed(body)
        strict.close()  # an error after the last events is raised here
    except ProtocolError as exc:
        report.first_error = str(exc)
        if isinstance(exc, ShapeError):  # valid JSON, but not what the dialect knows
            report.add("unexpected-shape", "error", f"{exc} (field {exc.field})", exc.offset)
    chat = ChatStreamDecoder(dialect, on_malformed="skip")
    try:
        events = chat.feed(body) + chat.close()
    except ProtocolError as exc:
        report.first_error = report.first_error or str(exc)
        report.add("undecodable", "error", str(exc), exc.offset)
        events = []
    report.dialect, report.done = chat.dialect, chat.done
    report.repairs = dict(chat.repairs)
    kinds = {Delta: "deltas", Final: "finals", Done: "done", StreamError: "errors"}
    for event in events:
        name = kinds[type(event)]
        report.counts[name] = report.counts.get(name, 0) + 1
    _repair_findings(report, framing)
    joined: dict[int, str] = {}
    for event in events:
        if isinstance(event, Delta) and event.content:
            joined[event.index] = joined.get(event.index, "") + event.content
        elif isinstance(event, StreamError):
            report.add("stream-error", "info", f"the server reported an error ({event.type}):"
                       f" {event.message}")
        elif isinstance(event, Final) and event.generated_text != joined.get(event.index, ""):
            report.add("generated-text-differs", "warning", f"choice {event.index}: the"
                       " server's generated_text differs from the joined deltas")
    if not chat.done and not report.counts.get("errors"):
        report.add("missing-done", "warning", "the stream has no end marker ([DONE])")
        if not report.counts.get("finals"):
            report.add("missing-finish-reason", "warning",
                       "no finish_reason before the end of the stream")


def _repair_findings(report: Report, framing: str) -> None:
    repairs = report.repairs
    last = ("the last line has no line break after it (used anyway)" if framing == "ndjson"
            else "the last frame has no empty line after it, so a strict SSE parser never"
                 " dispatches it (used anyway)")
    texts = {
        "missing_blank_line": "frames not separated by an empty line (a strict parser joins"
                              " them into one event)",
        "pretty_printed_frames": "JSON frames spread over several lines without data:"
                                 " prefixes (repaired)",
        "blank_line_in_json": "empty lines inside a JSON value (repaired)",
        "unterminated_last_frame": last,
        "dropped_partial_frame": "an incomplete frame at the end was dropped",
        "skipped_malformed": "frames that are not JSON, or not of the dialect's shape, were"
                             " skipped",
    }
    for key, text in texts.items():
        if repairs.get(key):
            severity = "warning" if key == "unterminated_last_frame" else "error"
            report.add(key.replace("_", "-"), severity, text, None, repairs[key])
