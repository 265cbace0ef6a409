"""Frame recovery: decoded lines to JSON payloads, for conforming and broken streams.

A strict SSE decoder loses data on streams such as Prediction Guard's, which
pretty-prints each JSON chunk over many lines, prefixes only the first with
``data:`` and puts no blank line between events: the un-prefixed lines are
unknown fields and are dropped.  This layer works on the decoded *lines*
(from :class:`~sseproto._lines.LineSplitter`) instead, and ends a frame where
its JSON value closes.

Rules (DESIGN.md, "Recovery framing"):

- Outside a frame, lines are SSE fields.  ``data: V`` starts a frame; a frame
  whose value is ``[DONE]`` is the end marker.  ``event:`` and ``id:`` lines
  before a frame's first ``data:`` line belong to that frame.  An empty line
  ends the SSE block (and resets ``event``).  Empty ``data:`` lines and
  comments are keep-alives.
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

Speed: on every line that starts a frame outside one, the whole candidate up
to the next ``data:`` line or empty line is handed to ``orjson.loads`` first.
When that parses, the line-by-line rules would have ended the frame at
exactly the same line (a valid JSON value returns to nesting zero only at its
last bracket), so the result is identical; only on failure do the lines go
through the nesting tracker.  Searches remember how far they looked, so no
text is scanned twice.

Every repair is counted in :attr:`FrameDecoder.repairs`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from ._errors import LimitExceeded, RemoteProtocolError, snippet
from ._lines import LineSplitter

__all__ = ["DONE", "FrameDecoder", "Repairs"]


class _DoneMarker:
    """The ``[DONE]`` end marker, as a frame value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DONE"


DONE: Any = _DoneMarker()

# A recovered frame is sent as sink(event, value): the SSE event type (or "")
# and the parsed JSON value, DONE, or (for an ``event: error`` frame whose
# data is not JSON) the raw text.

# A JSON string: quotes with anything but quote/backslash, or escapes, inside.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')

#: ``_depth`` of an open plain-text ``event: error`` frame (an SSE event, not JSON).
_TEXT_MODE: Any = float("inf")

_SSE_FIELD = re.compile(r":|(?:id|event|retry)(?::|$)")

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError


def _is_sse_field(line: str) -> bool:
    """Is ``line`` a comment or an ``id``/``event``/``retry`` field line?"""
    return _SSE_FIELD.match(line) is not None


def nesting(line: str) -> int:
    """The change in JSON nesting depth over ``line`` (strings ignored)."""
    if '"' in line:
        line = _JSON_STRING.sub("", line)
    return line.count("{") + line.count("[") - line.count("}") - line.count("]")


class Repairs(dict[str, int]):
    """Counts of the repairs and oddities seen, by name.  Missing names are zero.

    - ``missing_blank_line``: a frame started without an empty line after the previous one.
    - ``unprefixed_lines``: continuation lines of a JSON frame without ``data:``.
    - ``blank_line_in_json``: empty lines inside an open JSON value.
    - ``pretty_printed_frames``: frames with un-prefixed continuation lines.
    - ``unterminated_last_frame``: a complete frame used at end of stream without its
      terminating empty line.
    - ``dropped_partial_frame``: an incomplete frame dropped at end of stream.
    - ``skipped_malformed``: frames that were not JSON, skipped (``on_malformed="skip"``).
    - ``keep_alives``: empty ``data:`` lines and comments.
    - ``ignored_lines``: lines outside frames that are not known SSE fields.
    """

    def __missing__(self, key: str) -> int:
        return 0

    def add(self, key: str, count: int = 1) -> None:
        self[key] = self.get(key, 0) + count


class _Mark:
    """Where a frame started, resolved to a byte offset only when an error needs it."""

    __slots__ = ("pos", "region", "region_start", "text")

    def __init__(self, text: str, pos: int, region: bytes | bytearray, region_start: int) -> None:
        self.text, self.pos, self.region, self.region_start = text, pos, region, region_start

    def offset(self) -> int:
        lines_before = self.text.count("\n", 0, self.pos)
        offset = self.region_start
        for line in self.region.splitlines(keepends=True)[:lines_before]:
            offset += len(line)
        return offset


class FrameDecoder:
    """Turns decoded text (complete LF-terminated lines) into frames for ``sink(event, value)``.

    ``on_malformed`` is ``"raise"`` (a :class:`RemoteProtocolError` naming the
    byte offset and the text) or ``"skip"`` (the frame is dropped and counted).
    """

    __slots__ = ("_blank_seen", "_depth", "_event", "_lines", "_mark", "_pieces", "_sink",
                 "_size", "_unprefixed", "max_event_size", "on_malformed", "repairs", "stopped")

    def __init__(self, lines: LineSplitter, sink: Callable[[str, Any], None],
                 max_event_size: int, on_malformed: str) -> None:
        if on_malformed not in ("raise", "skip"):
            raise ValueError(f'on_malformed must be "raise" or "skip", not {on_malformed!r}')
        self._lines = lines
        self._sink = sink
        #: Set by the sink (or at ``[DONE]``) to stop decoding: the rest is ignored.
        self.stopped = False
        self.max_event_size = max_event_size
        self.on_malformed = on_malformed
        self.repairs = Repairs()
        self._event = ""  # event type for the next frame
        self._blank_seen = True  # an empty line since the last frame ended
        self._pieces: list[str] | None = None  # the open frame's lines, or None
        self._depth = 0
        self._size = 0
        self._unprefixed = 0
        self._mark: _Mark | None = None

    # --- the block-level fast path ------------------------------------------------

    def feed(self, text: str) -> None:
        """Send the frames completed by ``text`` (LF-terminated lines) to the sink."""
        pos = 0
        end = len(text)
        next_data = next_blank = -1  # cached search results, never searched twice
        largest = self.max_event_size + 1
        while pos < end and not self.stopped:
            if self._pieces is None:
                if text.startswith("data: {", pos):
                    start = pos + 6
                elif text.startswith("data:{", pos):
                    start = pos + 5
                else:
                    start = -1
                    if text.startswith("\n", pos):  # an empty line ends the block
                        self._blank_seen = True
                        self._event = ""
                        pos += 1
                        continue
                if start >= 0:
                    if next_data < start:
                        next_data = text.find("\ndata:", start)
                        if next_data < 0:
                            next_data = end
                    if next_blank < start:
                        next_blank = text.find("\n\n", start)
                        if next_blank < 0:
                            next_blank = end
                    stop = min(next_data, next_blank)
                    stop = stop + 1 if stop < end else end
                    # The candidate must end its last line with the closing brace:
                    # then the line rules would end the frame exactly there too.
                    if stop - start <= largest and text.startswith("}", stop - 2):
                        try:
                            value = _loads(text[start:stop])
                        except _JSONError:
                            pass
                        else:
                            self._emit(value, text, start, stop)
                            pos = stop
                            continue
            newline = text.index("\n", pos)
            self._line(text, pos, newline)
            pos = newline + 1

    def _emit(self, value: Any, text: str, start: int, stop: int) -> None:
        if not self._blank_seen:
            self.repairs.add("missing_blank_line")
        if text.find("\n", start, stop - 1) >= 0:
            self.repairs.add("pretty_printed_frames")
            self.repairs.add("unprefixed_lines", text.count("\n", start, stop - 1))
        self._blank_seen = False
        event, self._event = self._event, ""
        self._sink(event, value)

    # --- the line-by-line rules ---------------------------------------------------

    def _line(self, text: str, pos: int, newline: int) -> None:
        line = text[pos:newline]
        if self._pieces is not None:
            self._continue(line)
            return
        if not line:
            self._blank_seen = True
            self._event = ""
            return
        colon = line.find(":")
        if colon == 0:
            self.repairs.add("keep_alives")
            return
        name, value = (line, "") if colon < 0 else (line[:colon], line[colon + 1 :])
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._start(value, text, pos)
        elif name == "event":
            self._event = value
        elif name not in ("id", "retry"):
            if name[:1] in ("{", "["):
                self._malformed(line, "JSON outside a data: field", text, pos)
            else:
                self.repairs.add("ignored_lines")

    def _start(self, value: str, text: str, pos: int) -> None:
        stripped = value.strip()
        if not stripped:
            self.repairs.add("keep_alives")
            return
        if not self._blank_seen:
            self.repairs.add("missing_blank_line")
        if stripped == "[DONE]":
            self._blank_seen = False
            event, self._event = self._event, ""
            self.stopped = True
            self._sink(event, DONE)
            return
        region, region_start = self._lines.region
        self._mark = _Mark(text, pos, region, region_start)
        self._pieces = [value]
        self._unprefixed = 0
        self._size = len(value)
        if self._size > self.max_event_size:
            self._too_large()
        if stripped[0] in "{[":
            self._depth = nesting(value)
            if self._depth <= 0:
                self._finish()
        elif self._event == "error":
            # Plain-text error data: an ordinary SSE event, ended by an empty line.
            self._depth = _TEXT_MODE
        else:
            self._finish()  # a scalar, or not JSON: a frame of one line

    def _continue(self, line: str) -> None:
        if line.startswith("data:"):
            line = line[6:] if line.startswith(" ", 5) else line[5:]
            if line.strip() == "[DONE]" and self._depth is not _TEXT_MODE:
                self._finish()
                if not self.stopped:
                    self._start(line, "", 0)
                return
        elif not line:
            if self._depth is _TEXT_MODE:
                self._finish()
                return
            self.repairs.add("blank_line_in_json")
        elif self._depth is _TEXT_MODE or _is_sse_field(line):
            # Valid SSE inside an event: comments and id/event/retry fields.
            # A JSON line never starts with ":" or with a field name and colon.
            if line.startswith("event:"):
                self._event = line[7:] if line.startswith(" ", 6) else line[6:]
            return
        else:
            self._unprefixed += 1
        pieces = self._pieces
        assert pieces is not None
        pieces.append(line)
        self._size += len(line) + 1
        if self._size > self.max_event_size:
            self._too_large()
        if self._depth is not _TEXT_MODE:
            self._depth += nesting(line)
            if self._depth <= 0:
                self._finish()

    def _finish(self) -> None:
        pieces, mark = self._pieces, self._mark
        assert pieces is not None and mark is not None
        self._pieces = self._mark = None
        payload = pieces[0] if len(pieces) == 1 else "\n".join(pieces)
        if self._unprefixed:
            self.repairs.add("pretty_printed_frames")
            self.repairs.add("unprefixed_lines", self._unprefixed)
        self._blank_seen = False
        event, self._event = self._event, ""
        try:
            value = _loads(payload)
        except _JSONError:
            if event == "error":
                value = payload
            else:
                self._malformed(payload, "data that is not JSON", mark.text, mark.pos, mark)
                return
        self._sink(event, value)

    def close(self, tail: str) -> None:
        """End of stream.  ``tail`` is the unterminated last line, if any.

        A complete frame in the unterminated last block (including a last line
        without its line break) is used, and counted as a repair: a conforming
        stream ends every block with an empty line.  An open, incomplete frame
        is dropped and counted.
        """
        if self.stopped:
            return
        if tail:
            self.feed(tail + "\n")
        if self._pieces is not None:
            if self._depth is _TEXT_MODE:
                self._finish()  # an error's text, unterminated: still worth reporting
            else:
                self._pieces = self._mark = None
                self.repairs.add("dropped_partial_frame")
        if not self._blank_seen:
            self.repairs.add("unterminated_last_frame")

    # --- errors -------------------------------------------------------------------

    def _malformed(self, payload: str, what: str, text: str, pos: int,
                   mark: _Mark | None = None) -> None:
        if self.on_malformed == "skip":
            self.repairs.add("skipped_malformed")
            return
        if mark is None:
            region, region_start = self._lines.region
            mark = _Mark(text, pos, region, region_start)
        offset = mark.offset()
        raise RemoteProtocolError(
            f"{what} in the frame starting at byte {offset}: {snippet(payload)};"
            ' pass on_malformed="skip" to skip such frames',
            offset=offset,
        )

    def _too_large(self) -> None:
        assert self._mark is not None
        offset = self._mark.offset()
        raise LimitExceeded(
            f"the JSON frame starting at byte {offset} is longer than"
            f" max_event_size={self.max_event_size} characters and has not closed;"
            " raise max_event_size if such frames are expected",
            limit_name="max_event_size",
            limit=self.max_event_size,
            offset=offset,
        )
