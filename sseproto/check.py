"""The conformance checker: what a stream does that WHATWG SSE or its dialect does not allow,
and where its time and bytes went.

:func:`check` reads a captured stream (a :class:`~sseproto.transcript.Transcript`)
and returns a :class:`Report`: findings with byte offsets, the repairs frame
recovery had to make, the dialect, event counts, timing, the first error,
and a verdict.  It is a pure function of the transcript, so many captures
can be checked by any process pool.  Four views of the same bytes:

1. the response head: status, ``Content-Type``, and the headers that make
   intermediaries buffer an event stream;
2. the lines, as WHATWG HTML reads them (`#parsing-an-event-stream`: BOM,
   UTF-8, fields, blocks, ``retry``, ``id``), and what a strict decoder hands
   to a JSON parser;
3. :class:`~sseproto.ChatStreamDecoder`, which recovers what can be
   recovered and says what it repaired, and the integrity of what it
   decoded (end marker, tool calls, in-stream errors);
4. the timing of the recorded chunks (:mod:`sseproto.tools.timing`).

Findings of severity ``error`` make the stream non-conforming.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import orjson

from ._chat import ChatStreamDecoder
from ._errors import ProtocolError, snippet
from ._events import ChatEvent, Delta, Done, Final, StreamError
from ._lines import parse_field
from ._sse import SSEDecoder
from .dialects import ShapeError
from .framing.eventstream import CONTENT_TYPE as EVENTSTREAM
from .tools.timing import Timing, burst, timing
from .transcript import STREAM_TYPES, Transcript

__all__ = ["SEVERITIES", "Finding", "Report", "check", "not_a_stream", "plural"]

_LINE = re.compile(rb"([^\r\n]*)(\r\n|\r|\n|$)")
_KNOWN = {b"data", b"event", b"id", b"retry"}
#: How many offsets of a repeated finding are kept (the rest are counted).
MAX_OFFSETS = 5
SEVERITIES = ("error", "warning", "info")


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 final``, ``2 finals``: counts that read as English."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


@dataclass(frozen=True)
class Finding:
    """One thing the stream does wrong (or oddly), and where (the first offsets of it)."""

    code: str
    severity: str  # "error", "warning" or "info"
    message: str
    offsets: tuple[int, ...] = ()
    count: int = 1

    @property
    def offset(self) -> int | None:
        return self.offsets[0] if self.offsets else None

    def where(self) -> str:
        """``at byte 12`` / ``at bytes 12, 40 and 3 more`` / ``3 times`` / ``""``."""
        if not self.offsets:
            return f"{self.count:,} times" if self.count > 1 else ""
        shown = ", ".join(map(str, self.offsets))
        more = self.count - len(self.offsets)
        noun = "byte" if self.count == 1 else "bytes"
        return f"at {noun} {shown}" + (f" and {more:,} more" if more > 0 else "")

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "offset": self.offset, "offsets": list(self.offsets), "count": self.count}


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
    timing: Timing = field(default_factory=lambda: timing([], [], False))
    gaps: list[float] = field(default_factory=list, repr=False)
    #: ``(arrival time, characters)`` of each content delta: for charts, not in the JSON.
    content: list[tuple[float, int]] = field(default_factory=list, repr=False)

    @property
    def conforming(self) -> bool:
        return not self.severity_counts()["error"]

    def severity_counts(self) -> dict[str, int]:
        """Findings by severity: what the verdict counts."""
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    @property
    def verdict(self) -> str:
        counts = self.severity_counts()
        state = "CONFORMING" if self.conforming else "NOT CONFORMING"
        return (f"{state} ({plural(counts['error'], 'error')},"
                f" {plural(counts['warning'], 'warning')})")

    def add(self, code: str, severity: str, message: str, offsets: list[int] | None = None,
            count: int | None = None) -> None:
        """Add a finding; ``offsets`` are all its places (the first five are kept)."""
        places = offsets or []
        total = count if count is not None else max(1, len(places))
        self.findings.append(Finding(code, severity, message, tuple(places[:MAX_OFFSETS]),
                                     total))

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "conforming": self.conforming, "verdict": self.verdict,
                "findings_by_severity": self.severity_counts(),
                "dialect": self.dialect, "done": self.done, "counts": self.counts,
                "repairs": self.repairs, "first_error": self.first_error,
                "timing": self.timing.as_dict(),
                "findings": [f.as_dict() for f in self.findings]}

    def text(self, *, colour: bool = False, terminal: bool = False) -> str:
        """The report as lines; ``terminal`` adds the gap sparkline, ``colour`` ANSI colour."""
        from .tools.report_text import render

        return render(self, colour=colour, terminal=terminal)


def check(transcript: Transcript, *, dialect: str = "auto", source: str = "") -> Report:
    """Check one captured stream; never raises for bad stream bytes."""
    report = Report(source=source or transcript.source)
    body = transcript.body
    _check_head(transcript, report)
    if not body:
        report.add("empty", "error", "the body is empty")
        report.timing = timing([], [], False)
        return report
    framing = _framing(transcript)
    if framing != "eventstream":  # an AWS event stream is binary: no text rules apply
        _check_encoding(body, report)
    if framing == "sse":  # newline-delimited JSON is not SSE: no SSE rules apply
        _check_lines(body, report)
        _check_strict(body, report)
    events, content = _check_chat(transcript, dialect, report, framing)
    _check_integrity(body, events, report)
    _check_timing(transcript, content, report)
    return report


def _framing(transcript: Transcript) -> str:
    """``"eventstream"`` (AWS, binary), ``"ndjson"`` or ``"sse"``, as ``auto`` would read it."""
    body = transcript.body
    if body[:1] == b"\x00" or transcript.content_type == EVENTSTREAM:
        return "eventstream"
    if body.lstrip()[:1] == b"{" or transcript.content_type == "application/x-ndjson":
        return "ndjson"
    return "sse"


# --- the response head -------------------------------------------------------------


def _check_head(transcript: Transcript, report: Report) -> None:
    if transcript.source == "raw":
        return  # a bare body has no headers to check
    headers = transcript.headers
    if not 200 <= transcript.status < 300:
        report.add("status", "error", f"the response status is {transcript.status}")
    if transcript.content_type not in STREAM_TYPES:
        report.add("content-type", "error",
                   f"Content-Type is {headers.get('content-type', '(none)')!r}, not"
                   " text/event-stream: EventSource and SDKs refuse it")
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", ""):
        report.add("content-encoding", "warning",
                   f"Content-Encoding: {encoding} on an event stream: a compressor holds"
                   " events until its buffer fills, and so do proxies that recompress;"
                   " send the stream uncompressed or flush the compressor after each event")
    if "content-length" in headers:
        report.add("content-length", "warning",
                   f"Content-Length: {headers['content-length']} on an event stream: the"
                   " response was sized in advance, so something buffered all of it; stream"
                   " with chunked encoding (or close-delimited) instead")
    cache = headers.get("cache-control", "").lower()
    if "no-cache" not in cache and "no-store" not in cache:
        report.add("no-cache-control", "info",
                   "no Cache-Control: no-cache: a cache or proxy may store or delay the stream")


# --- WHATWG lines and a strict decoder ---------------------------------------------


def _check_encoding(body: bytes, report: Report) -> None:
    if body.startswith(b"\xef\xbb\xbf"):
        report.add("bom", "warning", "the stream starts with a UTF-8 BOM (stripped, as"
                   " WHATWG says, but many parsers do not)", [0])
    position = 0
    bad: list[int] = []
    while len(bad) <= MAX_OFFSETS:
        try:
            body[position:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            bad.append(position + exc.start)
            position += exc.end
    if bad:
        count = len(bad) if len(bad) <= MAX_OFFSETS else _count_invalid(body)
        report.add("invalid-utf8", "error", "invalid UTF-8 (decoded as U+FFFD)", bad, count)


def _count_invalid(body: bytes) -> int:
    """The number of U+FFFD replacements decoding ``body`` makes (beyond any in the input)."""
    return body.decode("utf-8", "replace").count("\ufffd") - body.count("\ufffd".encode())


_LINE_FINDINGS = {
    "dropped-line": ("error", "lines that are not SSE fields: a strict parser drops them"
                              " (un-prefixed JSON lines lose their text)"),
    "block-without-data": ("info", "blocks without data dispatch nothing"),
    "bad-retry": ("warning", "retry values that are not all ASCII digits are ignored"),
    "nul-in-id": ("warning", "id values containing U+0000 are ignored"),
    "unterminated-last-block": ("warning", "the last block has no empty line after it, so a"
                                           " strict parser discards it (WHATWG: an incomplete"
                                           " event at the end of the stream is not dispatched)"),
}


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
        if not line:
            if not block_has_data and offset > block_start:
                stats.setdefault("block-without-data", []).append(block_start)
            block_has_data, block_start = False, match.end()
            continue
        name, value = parse_field(line)
        code = _line_problem(name, value)
        if code is not None:
            stats.setdefault(code, []).append(offset)
        block_has_data = block_has_data or name == b"data"
    if block_has_data:
        # WHATWG #event-stream-interpretation: "Once the end of the file is reached, any
        # pending data must be discarded. (If the file ends in the middle of an event,
        # before the final empty line, the incomplete event is not dispatched.)"
        stats.setdefault("unterminated-last-block", []).append(block_start)
    if len(endings) > 1:
        report.add("mixed-line-endings", "warning", "the stream mixes "
                   + " and ".join(sorted(e.decode().replace("\r", "CR").replace("\n", "LF")
                                         for e in endings)) + " line endings")
    for code, offsets in stats.items():
        severity, message = _LINE_FINDINGS[code]
        report.add(code, severity, message, offsets)


def _line_problem(name: bytes, value: bytes) -> str | None:
    """The finding code of one non-empty line (its field ``name`` and ``value``), if any."""
    if not name:
        return None  # a comment
    # WHATWG #event-stream-interpretation: retry is used "If the field value consists of only ASCII
    # digits"; an id "If the field value does not contain U+0000 NULL".
    if name == b"retry" and not (value.isdigit() and value.isascii()):
        return "bad-retry"
    if name == b"id" and b"\x00" in value:
        return "nul-in-id"
    return None if name in _KNOWN else "dropped-line"


def _check_strict(body: bytes, report: Report) -> None:
    """What a conforming SSE parser would hand to a JSON parser."""
    decoder = SSEDecoder()
    try:
        events = decoder.feed(body) + decoder.close()
    except ProtocolError as exc:
        report.add("sse-error", "error", str(exc), [exc.offset] if exc.offset else None)
        return
    bad: list[str] = []
    after_done = 0
    seen_done = False
    for event in events:
        if seen_done:
            after_done += 1
        elif event.data.strip() == "[DONE]":
            seen_done = True
        elif event.data.strip() and event.event != "ping":
            try:
                orjson.loads(event.data)
            except orjson.JSONDecodeError:
                bad.append(event.data)
    if bad:
        report.add("not-json", "error", "events whose data is not one JSON value under strict"
                   f" SSE parsing (first: {snippet(bad[0])})", None, len(bad))
    if after_done:
        offset = _after_done_offset(body)
        report.add("after-done", "error", "events after [DONE]",
                   None if offset is None else [offset], after_done)


def _after_done_offset(body: bytes) -> int | None:
    index = body.find(b"[DONE]")
    if index < 0:
        return None
    line_end = body.find(b"\n", index)
    return line_end + 1 if line_end >= 0 else None


# --- the chat view -----------------------------------------------------------------


def _content_chars(event: ChatEvent) -> int:
    """How many characters of content (text, reasoning, refusal, tool arguments) a delta has."""
    if not isinstance(event, Delta):
        return 0
    chars = sum(len(text or "") for text in (event.content, event.reasoning, event.refusal))
    for call in event.tool_calls or ():
        function = call.get("function") if isinstance(call, dict) else None
        arguments = function.get("arguments") if isinstance(function, dict) else None
        chars += len(arguments) if isinstance(arguments, str) else 0
    return chars


def _check_chat(transcript: Transcript, dialect: str, report: Report,
                framing: str) -> tuple[list[ChatEvent], list[tuple[float, int]]]:
    """Decode chunk by chunk: the events, and ``(arrival time, characters)`` of each content."""
    try:
        strict = ChatStreamDecoder(dialect)
        strict.feed(transcript.body)
        strict.close()  # an error after the last events is raised here
    except ProtocolError as exc:
        report.first_error = str(exc)
        if isinstance(exc, ShapeError):  # valid JSON, but not what the dialect knows
            report.add("unexpected-shape", "error", f"{exc} (field {exc.field})",
                       [exc.offset] if exc.offset is not None else None)
    chat = ChatStreamDecoder(dialect, on_malformed="skip")
    events: list[ChatEvent] = []
    content: list[tuple[float, int]] = []
    try:
        for when, data in [*transcript.chunks, (None, None)]:
            fresh = chat.feed(data) if data is not None else chat.close()
            events += fresh
            content += [(when if when is not None else transcript.chunks[-1][0], n)
                        for n in map(_content_chars, fresh) if n]
    except ProtocolError as exc:
        report.first_error = report.first_error or str(exc)
        report.add("undecodable", "error", str(exc), [exc.offset] if exc.offset else None)
    report.dialect, report.done = chat.dialect, chat.done
    report.repairs = dict(chat.repairs)
    names = {Delta: "deltas", Final: "finals", Done: "done", StreamError: "stream_errors"}
    for event in events:
        report.counts[names[type(event)]] = report.counts.get(names[type(event)], 0) + 1
    _repair_findings(report, framing)
    return events, content


_REPAIRS = {
    "missing_blank_line": "frames not separated by an empty line (a strict parser joins"
                          " them into one event)",
    "pretty_printed_frames": "JSON frames spread over several lines without data:"
                             " prefixes (repaired)",
    "blank_line_in_json": "empty lines inside a JSON value (repaired)",
    "dropped_partial_frame": "an incomplete frame at the end was dropped",
    "skipped_malformed": "frames that are not JSON, or not of the dialect's shape, were"
                         " skipped",
}


def _repair_findings(report: Report, framing: str) -> None:
    for key, text in _REPAIRS.items():
        if report.repairs.get(key):
            report.add(key.replace("_", "-"), "error", text, None, report.repairs[key])
    if report.repairs.get("unterminated_last_frame") and not any(
            f.code == "unterminated-last-block" for f in report.findings):
        # The line view (SSE) reports it with its offset; NDJSON and event streams here.
        message = ("the last line has no line break after it (used anyway)"
                   if framing == "ndjson" else _LINE_FINDINGS["unterminated-last-block"][1])
        report.add("unterminated-last-block", "warning", message, None,
                   report.repairs["unterminated_last_frame"])


def _check_integrity(body: bytes, events: list[ChatEvent], report: Report) -> None:
    """The end marker, tool calls, in-stream errors, and the server's own text."""
    joined: dict[int, str] = {}
    errors = [e for e in events if isinstance(e, StreamError)]
    for event in events:
        if isinstance(event, Delta) and event.content:
            joined[event.index] = joined.get(event.index, "") + event.content
        elif isinstance(event, Final):
            if event.generated_text != joined.get(event.index, ""):
                report.add("generated-text-differs", "warning", f"choice {event.index}: the"
                           " server's generated_text differs from the joined deltas")
            _check_tool_calls(event, report)
    for error in errors[:1]:
        where = _error_offset(body)
        report.add("stream-error", "error", f"the server reported an error in the stream"
                   f" ({error.type}): {error.message}", None if where is None else [where],
                   len(errors))
    if not events:
        message = not_a_stream(body) or "no chat events at all: nothing in the body decodes"
        report.add("no-events", "error", message)
    elif not report.done and not errors:
        finals = report.counts.get("finals", 0)
        report.add("truncated", "error", "the stream ended without its end marker"
                   + (" (after a finish_reason: the client saw no [DONE])" if finals else
                      " and before any finish_reason: it was cut short"), [len(body)])


def _check_tool_calls(final: Final, report: Report) -> None:
    for number, call in enumerate(final.tool_calls or []):
        function = call.get("function") or {}
        label = f"choice {final.index}, tool call {number}"
        if not call.get("id") or not function.get("name"):
            missing = " and ".join(n for n, v in (("id", call.get("id")),
                                                  ("name", function.get("name"))) if not v)
            report.add("incomplete-tool-call", "warning", f"{label} has no {missing}:"
                       " SDKs cannot answer it")
        arguments = function.get("arguments")
        try:
            orjson.loads(arguments if isinstance(arguments, str) else "")
        except orjson.JSONDecodeError:
            report.add("invalid-tool-arguments", "error",
                       f"{label} ({function.get('name')}): the assembled arguments are not"
                       f" valid JSON: {snippet(str(arguments))}")


def _error_offset(body: bytes) -> int | None:
    """The start of the line that carries the stream's error, when it can be found."""
    index = min((i for i in (body.find(b"event: error"), body.find(b'"error"')) if i >= 0),
                default=-1)
    return None if index < 0 else body.rfind(b"\n", 0, index) + 1


def not_a_stream(body: bytes) -> str | None:
    """Say so when ``body`` is one JSON document (not a stream of them), else ``None``."""
    text = body.strip()
    if text[:1] not in (b"{", b"["):
        return None
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if b"\n" not in text and isinstance(document, dict) and "choices" not in document:
        return None  # one line of JSON may be a one-line NDJSON stream
    what = "a JSON array" if isinstance(document, list) else "one JSON document"
    if isinstance(document, dict) and "choices" in document:
        what = "a whole chat completion (was the request sent with \"stream\": true?)"
    elif isinstance(document, dict) and "error" in document:
        what = f"an error object: {orjson.dumps(document['error']).decode()[:200]}"
    return f"the input is not a stream: it is {what}"


# --- timing ------------------------------------------------------------------------


def _check_timing(transcript: Transcript, content: list[tuple[float, int]],
                  report: Report) -> None:
    times = [t for t, _ in transcript.chunks]
    timed = transcript.source == "transcript" and any(times)
    report.timing = timing(times, content, timed)
    report.content = content if timed else []
    report.gaps = [b - a for a, b in pairwise(times)] if timed else []
    why = burst(report.timing, content)
    if why is not None:
        report.add("buffered-delivery", "warning",
                   f"the stream arrived in a burst: {why}; a proxy, CDN or compression layer"
                   " buffered it; check Content-Encoding, Content-Length, X-Accel-Buffering:"
                   " no and Cache-Control: no-transform on the way")

