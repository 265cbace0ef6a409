"""SSE frame recovery, the fast path: decoded lines to JSON payloads, conforming or not.

The rules are :mod:`sseproto.framing._sse_rules`'s, line by line.  This
module only makes the common cases cheap, giving exactly the frames, state
and counts the rules would:

- A run of conforming frames (``data: {...}``, then an empty line) is
  parsed frame by frame with no per-line bookkeeping.
- On any other line that starts a frame outside one, the whole candidate up
  to the next ``data:`` line or empty line is handed to ``orjson.loads``.
  When that parses, the rules would have ended the frame at exactly the same
  line (a valid JSON value returns to nesting zero only at its last
  bracket), so the result is identical; only on failure do the lines go
  through the rules.  Searches remember how far they looked, so no text is
  scanned twice.
- A candidate cut by the end of the read is deferred once to the next
  block, which most likely completes it.

It works on the line splitter's LF-normalised *bytes*: ``orjson`` parses
bytes directly, so a conforming frame is never decoded to ``str`` and
encoded back.  When a payload does not parse as bytes (invalid UTF-8, say),
it is decoded with U+FFFD replacement, exactly as the SSE layer decodes, and
parsed again, so the result is the one the decoded lines would give.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

import orjson

from .._errors import LimitExceeded, ProtocolError
from .._limits import Limits
from .._lines import LineSplitter
from ._base import RUN, Frame, Mark
from ._sse_rules import _TEXT_MODE, SSELineRules

__all__ = ["SSEFramer"]

#: What _fast returns when it held a frame back.
_DEFERRED = -2

#: How many times a frame may wait for more lines after its candidate failed to parse.
_ATTEMPTS = 3

#: The first bytes of an empty line (LF) and of a comment line (":").
_IDLE_BYTES = b"\n:"

_EMPTY_LINES = re.compile(rb"\n+")

# Empty lines and comment lines: one of them at least.
_IDLE_LINES = re.compile(rb"(?:\n|:[^\n]*\n)+")

_loads = orjson.loads
_JSONError = orjson.JSONDecodeError


def _has_empty_line(text: bytes) -> bool:
    """Do complete LF-ended ``text`` lines (from a line start) include an empty one?"""
    return text[:1] == b"\n" or b"\n\n" in text


class SSEFramer(SSELineRules):
    """SSE (conforming or not) to JSON frames; see the module docstring.

    ``on_malformed`` is ``"raise"`` (a :class:`~sseproto.RemoteProtocolError`
    naming the byte offset and the text) or ``"skip"`` (the frame is
    dropped and counted).
    """

    __slots__ = ("_after_pos", "_after_text", "_attempts", "_deferred_end", "_deferred_raw",
                 "_deferred_size", "_deferred_start", "_end_open", "_next_blank", "_next_data",
                 "_tail_checked")

    def __init__(self, limits: Limits, on_malformed: str = "raise",
                 lines: LineSplitter | None = None) -> None:
        super().__init__(limits, on_malformed, lines)
        # An incomplete frame at the end of a block waits for the blocks that
        # complete it (see _frames), with the raw bytes behind it for error offsets.
        self._deferred_raw: list[bytes] = []
        self._deferred_size = 0
        self._deferred_start = self._deferred_end = 0  # stream offsets of the raw bytes
        self._attempts = 0  # times the waiting frame was tried whole and held back again
        self._next_data = self._next_blank = -1
        # Where the last frame yielded ended in the text being read (-1: at an
        # empty line), so that a stream ended by that frame can be checked for
        # the empty line that should follow it (see watch_end).
        self._after_text = b""
        self._after_pos = -1
        self._end_open = False  # the stream ended and its last block has no empty line yet
        self._tail_checked = False  # _close reached its own count of the last block

    def _text_frames(self, text: bytes) -> Iterable[Frame]:
        """The frames of a read's complete lines.  The commonest block starts with a run
        of conforming frames: it is parsed here, without the generator's per-line steps."""
        if (text.startswith(b"data: {") and self._blank_seen and not self._event
                and self._pieces is None and not self._deferred and self._lines.error is None):
            end = len(text)
            run, after = self._conforming(text, 0, end, self.max_event_size + 1)
            if run:
                self._attempts = 0
                self._region = None  # the splitter's region: the text is its last
                self._after_text, self._after_pos = text, -1  # each has its empty line
                if after == end:
                    return ((RUN, run),)
                return chain(((RUN, run),), self._frames(text, False, after))
        return self._frames(text, False)

    def _frames(self, text: bytes, final: bool, pos: int = 0) -> Iterator[Frame]:
        """The frames ``text`` (LF-terminated lines) completes from ``pos``; ``final``: no
        more will come."""
        if self._deferred:
            if not final and self._waits(text):
                self._hold(text)
                return
            text = self._take_deferred(text)
        else:
            self._region = None  # the splitter's region: the text is its last
        self._after_text = text
        end = len(text)
        self._next_data = self._next_blank = -1  # searches, never repeated
        while pos < end:
            if self._pieces is None and text[pos] in _IDLE_BYTES:
                pos = self._idle(text, pos)
                continue
            if self._pieces is None and text[pos] == 100:  # "d"
                frame, after = self._fast(text, pos, end, final)
                if frame is not None:
                    yield frame
                    pos = after
                    continue
                if after == _DEFERRED:
                    break
            if text[pos] == 10 and self._pieces is not None and self._depth is not _TEXT_MODE:
                pos = self._blank_lines(text, pos)
                continue
            newline = text.index(b"\n", pos)
            for frame in self._line(text, pos, newline):
                self._after_pos = newline + 1
                yield frame
                if self._ended:
                    return
            pos = newline + 1
        if self._lines.error is not None and not final:
            yield from self._flush_then_raise(self._lines.error)

    def _fast(self, text: bytes, pos: int, end: int, final: bool) -> tuple[Frame | None, int]:
        """The fast path at a line starting with "d" outside a frame: a run of conforming
        frames, or one frame whose candidate parses whole, and where it ends; else
        ``(None, _DEFERRED)`` when the frame was held back, ``(None, -1)`` otherwise."""
        largest = self.max_event_size + 1
        if self._blank_seen and not self._event:
            run, after = self._conforming(text, pos, end, largest)
            if run:
                self._attempts = 0
                self._after_pos = -1  # each is followed by its empty line
                return (RUN, run), after
        if not text.startswith((b"data: {", b"data:{"), pos):
            return None, -1
        frame, stop = self._whole_candidate(text, pos, end, largest)
        if frame is not None:
            self._after_pos = stop
            return frame, stop
        if stop == end and self._attempts < _ATTEMPTS and not final:
            self._defer(text, pos)
            return None, _DEFERRED
        return None, -1

    def _whole_candidate(self, text: bytes, pos: int, end: int,
                         largest: int) -> tuple[Frame | None, int]:
        """The frame of the ``data: {`` line at ``pos`` if its candidate parses whole,
        and where the candidate ends (-1 when it is too large to try).

        The candidate runs to the next empty line or ``data:`` line; most often
        that is the end of this very line.
        """
        start = pos + 6 if text[pos + 5] == 32 else pos + 5
        stop = text.index(b"\n", start) + 1
        single = stop == end or text[stop] == 10 or text.startswith(b"data:", stop)
        if not single:
            if self._next_data < start:
                found = text.find(b"\ndata:", start)
                self._next_data = end if found < 0 else found
            if self._next_blank < start:
                found = text.find(b"\n\n", start)
                self._next_blank = end if found < 0 else found
            stop = min(self._next_data, self._next_blank)
            stop = stop + 1 if stop < end else end
        if stop - start > largest:
            return None, -1
        return self._candidate(text, start, stop, single), stop

    def _idle(self, text: bytes, pos: int) -> int:
        """Skip the run of empty and comment lines at ``pos``; return where it ends.

        The line rules would read them one by one with the same result: an
        empty line ends the block, a comment is a keep-alive.  A run (a flood
        of keep-alives, a bomb of empty lines) is skipped at regex speed.
        """
        byte = text[pos]
        if byte == 10 and not text.startswith((b"\n", b":"), pos + 1):
            self._blank_seen = True
            self._event = ""
            return pos + 1
        end = pos
        if byte == 10:  # empty lines alone: the quickest pattern
            end = _EMPTY_LINES.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith(b":", end):
            end = _IDLE_LINES.match(text, end).end()  # type: ignore[union-attr]
        comments = text.count(b"\n:", pos, end - 1) + (byte == 58)
        if comments:
            self._counts.add("keep_alives", comments)
        if byte == 10 or text.find(b"\n\n", pos, end) >= 0:
            self._blank_seen = True
            self._event = ""
        return end

    def _candidate(self, text: bytes, start: int, stop: int, single: bool) -> Frame | None:
        """The frame of the candidate ``text[start:stop]`` if it parses as a whole, else None."""
        # The candidate must end its last line with the closing brace: then
        # the line rules end the frame there too.
        if text[stop - 2] != 125:
            return None
        try:
            value = _loads(text[start:stop])
        except _JSONError:
            return None
        if not (single and self._blank_seen):
            self._count_repairs(text, start, stop)
        self._attempts = 0
        self._blank_seen = False
        event = self._event
        if event:
            self._event = ""
            return event, value
        return RUN, [value]

    def _conforming(self, text: bytes, pos: int, end: int,
                    largest: int) -> tuple[list[Any], int]:
        """The run of conforming frames (``data: {...}`` + an empty line) at ``pos``,
        and where it ends.

        The line rules give the same frames, state and counts for them; this
        only skips their per-line bookkeeping.  Conforming frames change no
        state and count nothing, so the run is parsed at once: if the stream
        ends inside it, dropping the rest leaves no trace.
        """
        run: list[Any] = []
        while text.startswith(b"data: {", pos):
            newline = text.find(b"\n", pos + 6)
            if (newline < 0 or newline + 1 >= end or text[newline + 1] != 10
                    or text[newline - 1] != 125 or newline - pos - 5 > largest):
                break
            try:
                value = _loads(text[pos + 6 : newline + 1])
            except _JSONError:
                break
            pos = newline + 2
            run.append(value)
        return run, pos

    # --- after the end: the end marker's empty line (DESIGN, "Recovery framing") ------

    def watch_end(self) -> None:
        """The frame yielded last ended the stream: watch for its block's empty line.

        A strict parser dispatches a block only at an empty line, so an end
        marker (``data: [DONE]``, a ``message_stop`` event) that the stream
        never follows with one is never seen by it.  The lines after the end
        are looked at only until an empty line shows up.
        """
        rest = self._after_text[self._after_pos :] if self._after_pos >= 0 else b"\n"
        # A line over the limit after the end stops the looking, as in after_end.
        self._end_open = not _has_empty_line(rest) and self._lines.error is None

    def after_end(self, data: bytes) -> None:
        """Bytes after the end of the stream: ignored, but for an empty line."""
        if self._end_open:
            try:
                text = self._lines.feed(data)
            except ProtocolError:  # a line over the limit after the end: stop looking
                self._end_open = False
                return
            if _has_empty_line(text) or self._lines.error is not None:
                self._end_open = False  # (a line over the limit: stop looking)

    def ended_at_close(self) -> None:
        """The stream ended at a frame read at close(): nothing follows that frame."""
        if not self._tail_checked:
            self.watch_end()
            self.end_of_input()

    def end_of_input(self) -> None:
        """The input ended after the end of the stream: count a missing empty line."""
        if self._end_open:
            self._end_open = False
            self._counts.add("unterminated_last_frame")

    def _flush_then_raise(self, error: LimitExceeded) -> Iterator[Frame]:
        """No line after the long one will be read, so a frame held back for the next
        block is read now: it may end the stream before the error."""
        if self._deferred:
            for frame in self._frames(b"", True):
                yield frame
                if self._ended:
                    return
        raise error

    def _waits(self, text: bytes) -> bool:
        """Can the waiting frame go on waiting, ``text`` unread?

        It can while ``text`` cannot end its candidate (no ``data:`` line, no
        empty line) nor complete it (no ``}`` ending the text), the waiting
        stays within ``max_event_size`` and no line limit error is due.
        """
        return (self._lines.error is None
                and self._deferred_size + len(text) <= self.max_event_size
                and not text.startswith((b"data:", b"\n")) and not text.endswith(b"}\n")
                and b"\ndata:" not in text and b"\n\n" not in text)

    def _hold(self, text: bytes) -> None:
        """Add ``text`` (the splitter's last block) to the waiting frame."""
        raw, start = self._lines.region
        # Only an LF paired with a CR that ended the last block lies between.
        self._deferred_raw.append(b"\n" * (start - self._deferred_end) + raw)
        self._deferred_end = start + len(raw)
        self._deferred.append(text)
        self._deferred_size += len(text)

    def _take_deferred(self, text: bytes) -> bytes:
        """The waiting lines, then ``text``; the raw region behind both."""
        self._hold(text)
        self._region = (b"".join(self._deferred_raw), self._deferred_start)
        text = b"".join(self._deferred)
        self._deferred.clear()
        self._deferred_raw.clear()
        self._deferred_size = 0
        return text

    def _count_repairs(self, text: bytes, start: int, stop: int) -> None:
        if not self._blank_seen:
            self._missing_blank += 1
        lines = text.count(b"\n", start, stop - 1)
        if lines:
            self._pretty += 1
            self._unprefixed_total += lines

    def _defer(self, text: bytes, pos: int) -> None:
        """Keep the incomplete frame at ``pos`` (the block's last) for the blocks after.

        It is most likely a frame cut by the read boundary (or, pretty-printed,
        still arriving line by line), which later blocks complete, and the
        fast path is much cheaper than the line rules.  It is tried whole at
        most :data:`_ATTEMPTS` times, when a block could complete it; then the
        line rules take it.  So nothing is scanned more than a few times.
        """
        self._attempts += 1
        offset = Mark(text, pos, self._raw_region()).offset()
        raw, raw_start = self._raw_region()
        self._deferred = [text[pos:]]
        self._deferred_raw = [raw[offset - raw_start :]]
        self._deferred_size = len(text) - pos
        self._deferred_start = offset
        self._deferred_end = raw_start + len(raw)

    def _close(self, tail: bytes) -> Iterator[Frame]:
        """End of stream.  ``tail`` is the unterminated last line, if any.

        A complete frame in the unterminated last block (including a last line
        without its line break) is used, and counted as a repair: a conforming
        stream ends every block with an empty line.  An open, incomplete frame
        is dropped and counted.
        """
        if self._ended:
            return
        if self._deferred:
            # Complete lines held back for a next block that never came: read
            # them as that block would have, before the tail, so that a frame
            # which stops the stream there counts as it does in any other split.
            for frame in self._frames(b"", True):
                yield frame
                if self._ended:
                    return
        # The tail is one line: its frames (two at most) are taken at once, so
        # the end-of-stream counts below happen even when one of them ends it.
        frames = list(self._frames(tail + b"\n", True)) if tail else []
        if not self._ended:
            frames += self._end_open_frame()
        self._end_open = False  # the last block's empty line is counted here, once
        self._tail_checked = True
        if not self._blank_seen:
            self._counts.add("unterminated_last_frame")
        yield from frames
