"""The line-by-line rules of SSE frame recovery (the slow path, and the definition).

A strict SSE decoder loses data on streams such as Prediction Guard's, which
pretty-prints each JSON chunk over many lines, prefixes only the first with
``data:`` and puts no blank line between events: the un-prefixed lines are
unknown fields and are dropped.  These rules work on the decoded *lines*
(from :class:`~sseproto._lines.LineSplitter`) instead, and end a frame where
its JSON value closes:

- Outside a frame, lines are SSE fields (read by
  :func:`~sseproto._lines.parse_field`).  ``data: V`` starts a frame; a
  frame whose value is ``[DONE]`` is the end marker.  ``event:`` and ``id:``
  lines before a frame's first ``data:`` line belong to that frame.  An
  empty line ends the SSE block (and resets ``event``).  Empty ``data:``
  lines and comments are keep-alives.
- A frame ends at the end of the line where its JSON nesting returns to zero.
  Inside an open frame, a ``data:`` line is a continuation (valid SSE: one
  event's data lines are joined with LF), an un-prefixed line is a
  continuation (a repair), and an empty line is whitespace (a repair).
- Nesting is tracked line by line with strings removed first.  JSON strings
  cannot contain a raw line break, so every line starts outside a string, and
  braces, quotes, ``data:`` or ``[DONE]`` inside strings never confuse it.
- At the end of the stream, a complete frame in the unterminated last block is
  used and counted as a repair; an open, incomplete frame is dropped (and
  counted).

Each rule *returns* the frames a line completes (usually none).  The fast
path in :mod:`sseproto.framing.sse` gives the same frames for the lines it
takes, and falls back to these rules for every other line.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from .._errors import RemoteProtocolError, snippet
from .._limits import Limits
from .._lines import LineSplitter, parse_field
from ._base import DONE, Frame, LineFramer, Mark, Repairs

__all__ = ["SSELineRules", "nesting"]

# A JSON string: quotes with anything but quote/backslash, or escapes, inside.
# The closing quote is optional: a string left open runs to the end of the
# line, so a line full of unbalanced quotes is still scanned once, not n times.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?')

# Inside an open frame: a comment or an id/event/retry field line.  No JSON
# line starts with a field name; but a JSON line may start with the colon
# between a key and its value ("a"\n:1), so a colon line is a comment only
# when what follows the colon cannot continue JSON.
_SSE_FIELD = re.compile(rb':(?![ \t]*(?:$|["{\[\-0-9tfn]))|(?:id|event|retry)(?::|$)')

#: ``_depth`` of an open plain-text ``event: error`` frame (an SSE event, not JSON).
_TEXT_MODE: Any = float("inf")

_NOTHING: tuple[Frame, ...] = ()

_EMPTY_LINES = re.compile(rb"\n+")

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError


def nesting(line: bytes) -> int:
    """The change in JSON nesting depth over ``line`` (strings ignored)."""
    if b'"' in line:
        line = _JSON_STRING.sub(b"", line)
    return line.count(b"{") + line.count(b"[") - line.count(b"}") - line.count(b"]")


def decode(raw: bytes) -> str:
    """Bytes to text exactly as the SSE layer decodes them (invalid UTF-8 as U+FFFD)."""
    return raw.decode("utf-8", "replace")


class SSELineRules(LineFramer):
    """The recovery rules, one line at a time.  Each method returns the frames it completes."""

    __slots__ = ("_blank_seen", "_depth", "_event", "_mark", "_missing_blank",
                 "_pieces", "_pretty", "_size", "_unprefixed", "_unprefixed_total")

    def __init__(self, limits: Limits, on_malformed: str = "raise",
                 lines: LineSplitter | None = None) -> None:
        super().__init__(limits, on_malformed, lines)
        # The counters the fast path bumps are plain ints; the rest live in a dict.
        self._missing_blank = self._pretty = self._unprefixed_total = 0
        self._event = ""  # event type for the next frame
        self._blank_seen = True  # an empty line since the last frame ended
        self._pieces: list[bytes] | None = None  # the open frame's lines, or None
        self._depth = 0
        self._size = 0
        self._unprefixed = 0
        self._mark: Mark | None = None

    @property
    def repairs(self) -> Repairs:
        """Every repair and oddity counted so far, by name."""
        repairs = super().repairs
        for key, count in (("missing_blank_line", self._missing_blank),
                           ("pretty_printed_frames", self._pretty),
                           ("unprefixed_lines", self._unprefixed_total)):
            if count:
                repairs[key] = count
        return repairs

    def _line(self, text: bytes, pos: int, newline: int) -> tuple[Frame, ...]:
        line = text[pos:newline]
        if self._pieces is not None:
            return self._continue(line)
        if not line:
            self._blank_seen = True
            self._event = ""
            return _NOTHING
        name, value = parse_field(line)
        if name == b"data":
            return self._start(value, text, pos)
        if not name:
            self._counts.add("keep_alives")  # a comment
        elif name == b"event":
            self._event = decode(value)
        elif name not in (b"id", b"retry"):
            if name[:1] in (b"{", b"["):
                mark = Mark(text, pos, self._raw_region())
                self._malformed(line, "JSON outside a data: field", mark)
            else:
                self._counts.add("ignored_lines")
        return _NOTHING

    def _start(self, value: bytes, text: bytes, pos: int) -> tuple[Frame, ...]:
        stripped = value.strip()
        if not stripped:
            self._counts.add("keep_alives")
            return _NOTHING
        if not self._blank_seen:
            self._missing_blank += 1
        if stripped == b"[DONE]":
            self._blank_seen = False
            event, self._event = self._event, ""
            self._ended = True
            return ((event, DONE),)
        self._mark = Mark(text, pos, self._raw_region())
        self._pieces = [value]
        self._unprefixed = 0
        self._size = len(value)
        if self._size > self.max_event_size:
            raise self._too_large(self._mark, "the JSON frame")
        if stripped[:1] in (b"{", b"["):
            self._depth = nesting(value)
            return self._finish() if self._depth <= 0 else _NOTHING
        if self._event == "error":
            # Plain-text error data: an ordinary SSE event, ended by an empty line.
            self._depth = _TEXT_MODE
            return _NOTHING
        return self._finish()  # a scalar, or not JSON: a frame of one line

    def _continue(self, line: bytes) -> tuple[Frame, ...]:
        if line.startswith(b"data:"):
            line = parse_field(line)[1]
            if line.strip() == b"[DONE]" and self._depth is not _TEXT_MODE:
                frames = self._finish()
                return frames + self._start(line, b"", 0)
        elif not line:
            if self._depth is _TEXT_MODE:
                return self._finish()
            self._counts.add("blank_line_in_json")
        elif self._depth is _TEXT_MODE or _SSE_FIELD.match(line):
            # Valid SSE inside an event: comments and id/event/retry fields.
            # A JSON line never starts with ":" or with a field name and colon.
            if line.startswith(b"event:"):
                self._event = decode(parse_field(line)[1])
            return _NOTHING
        else:
            self._unprefixed += 1
        return self._append(line)

    def _blank_lines(self, text: bytes, pos: int) -> int:
        """A run of empty lines inside an open JSON frame, at ``pos``: whitespace, each
        counted as a repair, read at once (a bomb of them costs no Python loop).
        Returns where the run ends.  As :meth:`_continue` would, line by line."""
        end = _EMPTY_LINES.match(text, pos).end()  # type: ignore[union-attr]
        pieces, mark = self._pieces, self._mark
        assert pieces is not None and mark is not None
        room = self.max_event_size - self._size  # each empty line adds its LF
        if end - pos > room:
            self._counts.add("blank_line_in_json", max(room, 0) + 1)
            raise self._too_large(mark, "the JSON frame")
        self._counts.add("blank_line_in_json", end - pos)
        pieces.append(b"\n" * (end - pos - 1))  # joined with LF: end - pos empty lines
        self._size += end - pos
        return end

    def _append(self, line: bytes) -> tuple[Frame, ...]:
        pieces, mark = self._pieces, self._mark
        assert pieces is not None and mark is not None
        pieces.append(line)
        self._size += len(line) + 1
        if self._size > self.max_event_size:
            raise self._too_large(mark, "the JSON frame")
        if self._depth is not _TEXT_MODE:
            self._depth += nesting(line)
            if self._depth <= 0:
                return self._finish()
        return _NOTHING

    def _finish(self) -> tuple[Frame, ...]:
        pieces, mark = self._pieces, self._mark
        assert pieces is not None and mark is not None
        self._pieces = self._mark = None
        payload = pieces[0] if len(pieces) == 1 else b"\n".join(pieces)
        if self._unprefixed:
            self._pretty += 1
            self._unprefixed_total += self._unprefixed
        self._blank_seen = False
        event, self._event = self._event, ""
        value: Any
        try:
            value = _loads(payload)
        except _JSONError:
            # Not JSON as bytes; as the SSE layer would decode it (invalid
            # UTF-8 replaced by U+FFFD), it may be (not when it is ASCII).
            text = decode(payload)
            try:
                if payload.isascii():
                    raise
                value = _loads(text)
            except _JSONError:
                if event != "error":
                    self._malformed(payload, "data that is not JSON", mark)
                    return _NOTHING
                value = text
        return ((event, value),)

    def _end_open_frame(self) -> tuple[Frame, ...]:
        """At the end of the stream: an open frame is dropped, unless it is an error's text."""
        if self._pieces is None:
            return _NOTHING
        if self._depth is _TEXT_MODE:
            return self._finish()  # an error's text, unterminated: still worth reporting
        self._pieces = self._mark = None
        self._counts.add("dropped_partial_frame")
        return _NOTHING

    def _malformed(self, payload: bytes, what: str, mark: Mark) -> None:
        if self.on_malformed == "skip":
            self._counts.add("skipped_malformed")
            return
        offset = mark.offset()
        raise RemoteProtocolError(
            f"{what} in the frame starting at byte {offset}: {snippet(decode(payload))};"
            ' pass on_malformed="skip" to skip such frames',
            offset=offset,
        )
