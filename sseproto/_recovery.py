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

The layer works on the line splitter's LF-normalised *bytes*: ``orjson``
parses bytes directly, so a conforming frame is never decoded to ``str`` and
encoded back.  When a payload does not parse as bytes (invalid UTF-8, say),
it is decoded with U+FFFD replacement, exactly as the SSE layer decodes, and
parsed again, so the result is the one the decoded lines would give.

Every repair is counted in :attr:`FrameDecoder.repairs`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from ._errors import LimitExceeded, RemoteProtocolError, snippet
from ._lines import LineSplitter

__all__ = ["DONE", "FrameDecoder", "FramerBase", "Repairs"]


class _DoneMarker:
    """The ``[DONE]`` end marker, as a frame value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DONE"


DONE: Any = _DoneMarker()

# A recovered frame is sent as sink(event, value): the SSE event type (or "")
# and the parsed JSON value, DONE, or (for an ``event: error`` frame whose
# data is not JSON) the text.

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

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError


def nesting(line: bytes) -> int:
    """The change in JSON nesting depth over ``line`` (strings ignored)."""
    if b'"' in line:
        line = _JSON_STRING.sub(b"", line)
    return line.count(b"{") + line.count(b"[") - line.count(b"}") - line.count(b"]")


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _field_value(line: bytes, colon: int) -> bytes:
    """The value of a field line: after the colon, one leading space removed."""
    return line[colon + 2 :] if line.startswith(b" ", colon + 1) else line[colon + 1 :]


class Repairs(dict[str, int]):
    """Counts of the repairs and oddities seen, by name.  Missing names are zero.

    Repairs (the stream was not conforming SSE + JSON):

    - ``missing_blank_line``: a frame started without an empty line after the previous one.
    - ``unprefixed_lines``: continuation lines of a JSON frame without ``data:``.
    - ``pretty_printed_frames``: frames with un-prefixed continuation lines.
    - ``blank_line_in_json``: empty lines inside an open JSON value.
    - ``unterminated_last_frame``: the last frame had no empty line after it.
    - ``dropped_partial_frame``: an incomplete frame dropped at end of stream.
    - ``skipped_malformed``: frames that were not usable, skipped (``on_malformed="skip"``).

    Oddities (valid SSE, counted for reports):

    - ``keep_alives``: comments, empty ``data:`` lines, pings before the first chunk.
    - ``ignored_lines``: lines outside frames that are not known SSE fields.
    """

    def __missing__(self, key: str) -> int:
        return 0

    def add(self, key: str, count: int = 1) -> None:
        self[key] = self.get(key, 0) + count

    @property
    def total(self) -> int:
        """The number of repairs (oddities not included)."""
        return sum(n for key, n in self.items() if key not in ("keep_alives", "ignored_lines"))


class _Mark:
    """Where a frame started, resolved to a byte offset only when an error needs it."""

    __slots__ = ("pos", "region", "region_start", "text")

    def __init__(self, text: bytes, pos: int, region: bytes | bytearray,
                 region_start: int) -> None:
        self.text, self.pos, self.region, self.region_start = text, pos, region, region_start

    def offset(self) -> int:
        if len(self.region) == len(self.text):
            return self.region_start + self.pos  # no CRLF was folded: positions agree
        lines_before = self.text.count(b"\n", 0, self.pos)
        lines = self.region.splitlines(keepends=True)
        return self.region_start + sum(map(len, lines[:lines_before]))


class FramerBase:
    """What both framers share (SSE recovery here, NDJSON in :mod:`sseproto._ndjson`).

    A framer takes the line splitter's complete lines and sends each frame
    to ``sink(event, value)``; the sink may set :attr:`stopped`.
    """

    __slots__ = ("_counts", "_lines", "_region", "_sink", "max_event_size", "on_malformed",
                 "stopped")

    def __init__(self, lines: LineSplitter, sink: Callable[[str, Any], None],
                 max_event_size: int, on_malformed: str) -> None:
        if on_malformed not in ("raise", "skip"):
            raise ValueError(f'on_malformed must be "raise" or "skip", not {on_malformed!r}')
        self._lines = lines
        self._sink = sink
        #: Set by the sink (or at the end marker) to stop decoding: the rest is ignored.
        self.stopped = False
        self.max_event_size = max_event_size
        self.on_malformed = on_malformed
        self._counts = Repairs()
        # The raw bytes behind the text being read, and their stream offset.
        self._region: tuple[bytes | bytearray, int] = (b"", 0)

    @property
    def repairs(self) -> Repairs:
        """Every repair and oddity counted so far, by name."""
        return Repairs(self._counts)

    def count(self, key: str) -> None:
        """Count one repair or oddity named ``key``."""
        self._counts.add(key)


class FrameDecoder(FramerBase):
    """Turns complete LF-terminated lines (bytes) into frames for ``sink(event, value)``.

    ``on_malformed`` is ``"raise"`` (a :class:`RemoteProtocolError` naming the
    byte offset and the text) or ``"skip"`` (the frame is dropped and counted).
    """

    __slots__ = ("_blank_seen", "_deferred", "_deferred_raw", "_deferred_start", "_depth",
                 "_event", "_mark", "_missing_blank", "_pieces", "_pretty", "_retrying",
                 "_size", "_unprefixed", "_unprefixed_total")

    def __init__(self, lines: LineSplitter, sink: Callable[[str, Any], None],
                 max_event_size: int, on_malformed: str) -> None:
        super().__init__(lines, sink, max_event_size, on_malformed)
        # The counters the fast path bumps are plain ints; the rest live in a dict.
        self._missing_blank = self._pretty = self._unprefixed_total = 0
        # An incomplete frame at the end of one block waits for the next block
        # once (see feed), with the raw bytes behind it for error offsets.
        self._deferred = b""
        self._deferred_raw = b""
        self._deferred_start = 0
        self._retrying = False
        self._event = ""  # event type for the next frame
        self._blank_seen = True  # an empty line since the last frame ended
        self._pieces: list[bytes] | None = None  # the open frame's lines, or None
        self._depth = 0
        self._size = 0
        self._unprefixed = 0
        self._mark: _Mark | None = None

    @property
    def repairs(self) -> Repairs:
        """Every repair and oddity counted so far, by name."""
        repairs = Repairs(self._counts)
        for key, count in (("missing_blank_line", self._missing_blank),
                           ("pretty_printed_frames", self._pretty),
                           ("unprefixed_lines", self._unprefixed_total)):
            if count:
                repairs[key] = count
        return repairs

    # --- the block-level fast path ------------------------------------------------

    def feed(self, text: bytes, final: bool = False) -> None:
        """Send the frames completed by ``text`` (LF-terminated lines) to the sink.

        ``final`` (at close) means no more lines will come, so nothing is deferred.
        """
        region = self._lines.region
        if self._deferred:
            text = self._deferred + text
            raw, start = self._deferred_raw, self._deferred_start
            # Only an LF paired with a CR that ended the last block lies between.
            gap = b"\n" * (region[1] - start - len(raw))
            region = (raw + gap + region[0], start)
            self._deferred = self._deferred_raw = b""
            self._retrying = True
        self._region = region
        pos = 0
        end = len(text)
        next_data = next_blank = -1  # cached search results, never searched twice
        largest = self.max_event_size + 1
        sink = self._sink
        while pos < end and not self.stopped:
            if self._pieces is None:
                byte = text[pos]
                if byte == 10:  # an empty line ends the block
                    self._blank_seen = True
                    self._event = ""
                    pos += 1
                    continue
                if byte == 100 and self._blank_seen and not self._event:
                    after = self._conforming(text, pos, end, largest)
                    if after != pos:
                        pos = after
                        self._retrying = False
                        continue
                if byte == 100 and (text.startswith(b"data: {", pos)
                                    or text.startswith(b"data:{", pos)):
                    start = pos + 6 if text[pos + 5] == 32 else pos + 5
                    # The candidate runs to the next empty line or data: line.
                    # Most often that is the end of this very line.
                    stop = text.index(b"\n", start) + 1
                    single = (stop == end or text[stop] == 10
                              or text.startswith(b"data:", stop))
                    if not single:
                        if next_data < start:
                            next_data = text.find(b"\ndata:", start)
                            if next_data < 0:
                                next_data = end
                        if next_blank < start:
                            next_blank = text.find(b"\n\n", start)
                            if next_blank < 0:
                                next_blank = end
                        stop = next_data if next_data < next_blank else next_blank
                        stop = stop + 1 if stop < end else end
                    if stop - start <= largest:
                        # The candidate must end its last line with the closing
                        # brace: then the line rules end the frame there too.
                        if text[stop - 2] == 125:
                            try:
                                value = _loads(text[start:stop])
                            except _JSONError:
                                pass
                            else:
                                if not (single and self._blank_seen):
                                    self._count_repairs(text, start, stop)
                                self._retrying = self._blank_seen = False
                                event = self._event
                                if event:
                                    self._event = ""
                                sink(event, value)
                                pos = stop
                                continue
                        if stop == end and pos and not self._retrying and not final:
                            self._defer(text, pos)
                            return
            newline = text.index(b"\n", pos)
            self._line(text, pos, newline)
            pos = newline + 1

    def _conforming(self, text: bytes, pos: int, end: int, largest: int) -> int:
        """Take a run of conforming frames (``data: {...}`` + an empty line) at ``pos``.

        The general loop below gives the same frames, state and counts for
        them; this only skips its per-line bookkeeping.  Returns where the
        run ended (``pos`` itself when there was none).
        """
        sink = self._sink
        while not self.stopped and text.startswith(b"data: {", pos):
            newline = text.find(b"\n", pos + 6)
            if (newline < 0 or newline + 1 >= end or text[newline + 1] != 10
                    or text[newline - 1] != 125 or newline - pos - 5 > largest):
                break
            try:
                value = _loads(text[pos + 6 : newline + 1])
            except _JSONError:
                break
            pos = newline + 2
            sink("", value)
        return pos

    def _count_repairs(self, text: bytes, start: int, stop: int) -> None:
        if not self._blank_seen:
            self._missing_blank += 1
        lines = text.count(b"\n", start, stop - 1)
        if lines:
            self._pretty += 1
            self._unprefixed_total += lines

    def _defer(self, text: bytes, pos: int) -> None:
        """Keep the incomplete frame at ``pos`` (the block's last) for the next block.

        It is most likely a frame cut by the read boundary, which the next
        block completes, and the fast path is much cheaper than the line rules.
        It is deferred once only, so nothing is scanned more than twice.
        """
        self._deferred = bytes(text[pos:])
        raw, raw_start = self._region
        offset = _Mark(text, pos, raw, raw_start).offset()
        self._deferred_raw = bytes(raw[offset - raw_start :])
        self._deferred_start = offset

    # --- the line-by-line rules ---------------------------------------------------

    def _line(self, text: bytes, pos: int, newline: int) -> None:
        line = text[pos:newline]
        if self._pieces is not None:
            self._continue(line)
            return
        if not line:
            self._blank_seen = True
            self._event = ""
            return
        colon = line.find(b":")
        if colon == 0:
            self._counts.add("keep_alives")
            return
        name, value = (line, b"") if colon < 0 else (line[:colon], _field_value(line, colon))
        if name == b"data":
            self._start(value, text, pos)
        elif name == b"event":
            self._event = _decode(value)
        elif name not in (b"id", b"retry"):
            if name[:1] in (b"{", b"["):
                self._malformed(line, "JSON outside a data: field", text, pos)
            else:
                self._counts.add("ignored_lines")

    def _start(self, value: bytes, text: bytes, pos: int) -> None:
        stripped = value.strip()
        if not stripped:
            self._counts.add("keep_alives")
            return
        if not self._blank_seen:
            self._missing_blank += 1
        if stripped == b"[DONE]":
            self._blank_seen = False
            event, self._event = self._event, ""
            self.stopped = True
            self._sink(event, DONE)
            return
        self._retrying = False
        region, region_start = self._region
        self._mark = _Mark(text, pos, region, region_start)
        self._pieces = [value]
        self._unprefixed = 0
        self._size = len(value)
        if self._size > self.max_event_size:
            self._too_large()
        if stripped[:1] in (b"{", b"["):
            self._depth = nesting(value)
            if self._depth <= 0:
                self._finish()
        elif self._event == "error":
            # Plain-text error data: an ordinary SSE event, ended by an empty line.
            self._depth = _TEXT_MODE
        else:
            self._finish()  # a scalar, or not JSON: a frame of one line

    def _continue(self, line: bytes) -> None:
        if line.startswith(b"data:"):
            line = _field_value(line, 4)
            if line.strip() == b"[DONE]" and self._depth is not _TEXT_MODE:
                self._finish()
                if not self.stopped:
                    self._start(line, b"", 0)
                return
        elif not line:
            if self._depth is _TEXT_MODE:
                self._finish()
                return
            self._counts.add("blank_line_in_json")
        elif self._depth is _TEXT_MODE or _SSE_FIELD.match(line):
            # Valid SSE inside an event: comments and id/event/retry fields.
            # A JSON line never starts with ":" or with a field name and colon.
            if line.startswith(b"event:"):
                self._event = _decode(_field_value(line, 5))
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
            # UTF-8 replaced by U+FFFD), it may be.
            text = _decode(payload)
            try:
                value = _loads(text)
            except _JSONError:
                if event != "error":
                    self._malformed(payload, "data that is not JSON", mark.text, mark.pos, mark)
                    return
                value = text
        self._sink(event, value)

    def close(self, tail: bytes) -> None:
        """End of stream.  ``tail`` is the unterminated last line, if any.

        A complete frame in the unterminated last block (including a last line
        without its line break) is used, and counted as a repair: a conforming
        stream ends every block with an empty line.  An open, incomplete frame
        is dropped and counted.
        """
        if self.stopped:
            return
        if self._deferred:
            # Complete lines held back for a next block that never came: read
            # them as that block would have, before the tail, so that a frame
            # which stops the stream there counts as it does in any other split.
            self.feed(b"", final=True)
            if self.stopped:
                return
        if tail:
            self.feed(tail + b"\n", final=True)
        if self._pieces is not None:
            if self._depth is _TEXT_MODE:
                self._finish()  # an error's text, unterminated: still worth reporting
            else:
                self._pieces = self._mark = None
                self._counts.add("dropped_partial_frame")
        if not self._blank_seen:
            self._counts.add("unterminated_last_frame")

    # --- errors -------------------------------------------------------------------

    def _malformed(self, payload: bytes, what: str, text: bytes, pos: int,
                   mark: _Mark | None = None) -> None:
        if self.on_malformed == "skip":
            self._counts.add("skipped_malformed")
            return
        if mark is None:
            region, region_start = self._region
            mark = _Mark(text, pos, region, region_start)
        offset = mark.offset()
        raise RemoteProtocolError(
            f"{what} in the frame starting at byte {offset}: {snippet(_decode(payload))};"
            ' pass on_malformed="skip" to skip such frames',
            offset=offset,
        )

    def _too_large(self) -> None:
        assert self._mark is not None
        offset = self._mark.offset()
        raise LimitExceeded(
            f"the JSON frame starting at byte {offset} is longer than"
            f" max_event_size={self.max_event_size} bytes and has not closed;"
            " raise max_event_size if such frames are expected",
            limit_name="max_event_size",
            limit=self.max_event_size,
            offset=offset,
        )
