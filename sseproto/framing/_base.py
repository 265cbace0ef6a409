"""What every framer shares: the frame shape, the end marker, repair counts, line framers.

A **framer** turns the raw bytes of a response body, split anywhere, into
**frames**: ``(event, value)`` pairs, where ``value`` is one parsed JSON
payload (or :data:`DONE`, the end marker) and ``event`` is what the wire
says the payload is: the SSE event type, an event-stream ``:event-type``
header, or ``""``.  A framer may also return ``(RUN, values)``, a run of
frames ``("", value)`` with JSON-object values (see :data:`RUN`).

The interface (:class:`Framer`) is small, so that any wire format fits,
line-based or binary:

- ``feed(data) -> Iterable[Frame]`` and ``close() -> Iterable[Frame]``.
  The result is consumed **lazily**: return a generator (or ``()`` when
  the bytes complete nothing).  The consumer stops iterating at the end of
  the stream (a ``Done``, a ``StreamError``), so frames after it are never
  parsed and neither their repairs nor their errors count, whatever the
  split.
- Errors are raised *while iterating*, after every frame before them was
  yielded.  Only :class:`~sseproto.ProtocolError` subclasses: malformed
  data is a :class:`~sseproto.RemoteProtocolError` naming the byte offset
  (or, with ``on_malformed="skip"``, skipped and counted), a payload over
  ``limits.max_event_size`` bytes a :class:`~sseproto.LimitExceeded`.
- ``repairs`` (a :class:`Repairs`) and ``count(key)``: what was repaired or
  skipped.  A binary framer may count nothing.
- A framer is built as ``factory(limits, on_malformed)``.

:class:`LineFramer` is the base of the two line-based framers (SSE recovery
and NDJSON): it owns the :class:`~sseproto._lines.LineSplitter` (BOM,
UTF-8, CR/LF/CRLF, ``max_line_size``) and hands its complete lines on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from .._errors import LimitExceeded
from .._limits import Limits
from .._lines import LineSplitter

__all__ = ["DONE", "RUN", "Frame", "Framer", "LineFramer", "Mark", "Repairs",
           "check_on_malformed", "single_frames"]


class _DoneMarker:
    """The ``[DONE]`` end marker, as a frame value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DONE"


#: The end marker (``data: [DONE]``) as a frame's value.
DONE: Any = _DoneMarker()

class _RunMarker:
    """The event of a frame that holds a run of frames (see :data:`RUN`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "RUN"


#: The event of a frame ``(RUN, values)`` that stands for a run of frames
#: ``("", value)``, one per item of the list ``values``, each a JSON object.
#: Framers may return runs to save the consumer a step per frame.
RUN: Any = _RunMarker()

#: One frame: the event type (or ``""``) and the parsed JSON value (or :data:`DONE`).
Frame = tuple[str, Any]


def single_frames(frames: Iterable[Frame]) -> Iterator[Frame]:
    """``frames`` with every run spelled out as single frames."""
    for event, value in frames:
        if event is RUN:
            for item in value:
                yield "", item
        else:
            yield event, value


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


class Framer(Protocol):
    """Bytes in, frames out (see the module docstring for the contract)."""

    @property
    def repairs(self) -> Repairs: ...

    def count(self, key: str) -> None: ...

    def feed(self, data: bytes) -> Iterable[Frame]: ...

    def close(self) -> Iterable[Frame]: ...


def check_on_malformed(on_malformed: str) -> None:
    if on_malformed not in ("raise", "skip"):
        raise ValueError(f'on_malformed must be "raise" or "skip", not {on_malformed!r}')


class Mark:
    """Where a frame started, resolved to a byte offset only when an error needs it."""

    __slots__ = ("pos", "region", "region_start", "text")

    def __init__(self, text: bytes, pos: int, region: tuple[bytes, int]) -> None:
        self.text, self.pos = text, pos
        self.region, self.region_start = region

    def offset(self) -> int:
        if len(self.region) == len(self.text):
            return self.region_start + self.pos  # no CRLF was folded: positions agree
        lines_before = self.text.count(b"\n", 0, self.pos)
        lines = self.region.splitlines(keepends=True)
        return self.region_start + sum(map(len, lines[:lines_before]))


class LineFramer:
    """Base of the line-based framers: the line splitter, limits, counts, errors.

    Subclasses implement ``_frames(text, final)`` (a generator over the
    frames of complete LF-terminated lines) and ``_close(tail)`` (the end of
    the stream; ``tail`` is the unterminated last line).  ``lines`` lets a
    decoder that has already read the start of the stream (``auto``) hand
    its splitter over, so nothing is read twice.
    """

    __slots__ = ("_counts", "_deferred", "_ended", "_lines", "_region", "max_event_size",
                 "on_malformed")

    def __init__(self, limits: Limits, on_malformed: str = "raise",
                 lines: LineSplitter | None = None) -> None:
        check_on_malformed(on_malformed)
        self._lines = lines if lines is not None else LineSplitter(limits.max_line_size)
        self.max_event_size = limits.max_event_size
        self.on_malformed = on_malformed
        self._counts = Repairs()
        self._ended = False  # the framing's end marker was read: the rest is ignored
        self._deferred: list[bytes] = []  # lines of a frame waiting for more (see _waits)
        # The raw bytes behind the text being read, and their stream offset,
        # when they are not the splitter's last region (see _raw_region).
        self._region: tuple[bytes, int] | None = None

    @property
    def repairs(self) -> Repairs:
        """Every repair and oddity counted so far, by name."""
        return Repairs(self._counts)

    def count(self, key: str) -> None:
        """Count one repair or oddity named ``key``."""
        self._counts.add(key)

    def _raw_region(self) -> tuple[bytes, int]:
        """The raw bytes behind the text being read, and their stream offset."""
        return self._region if self._region is not None else self._lines.region

    @property
    def splitter(self) -> LineSplitter:
        """The line splitter this framer reads (its ``room`` tells what may be parked)."""
        return self._lines

    def feed(self, data: bytes) -> Iterable[Frame]:
        if self._ended:
            return ()
        try:
            text = self._lines.feed(data)
        except LimitExceeded as exc:  # a line over max_line_size, still unterminated
            return self._flush_then_raise(exc)
        if text:
            if self._deferred and self._waits(text):
                self._hold(text)  # lines that cannot end the waiting frame
                return ()
            return self._text_frames(text)
        if self._lines.error is not None:
            return self._frames(b"", False)
        return ()

    def lines(self, text: bytes) -> Iterable[Frame]:
        """The frames of ``text``, complete lines already taken from this framer's splitter."""
        return self._text_frames(text)

    def close(self) -> Iterable[Frame]:
        return self._close(self._lines.close())

    def end(self, tail: bytes) -> Iterable[Frame]:
        """End of stream, the unterminated last line already taken from the splitter."""
        return self._close(tail)

    def _frames(self, text: bytes, final: bool) -> Iterator[Frame]:
        raise NotImplementedError

    def _text_frames(self, text: bytes) -> Iterable[Frame]:
        """The frames of the complete lines ``text`` of a read (a subclass may shortcut)."""
        return self._frames(text, False)

    def _waits(self, text: bytes) -> bool:
        """Can the frame held back (``_deferred``) go on waiting, ``text`` unread?"""
        return False

    def _hold(self, text: bytes) -> None:
        """Add ``text`` to the frame held back."""
        raise NotImplementedError

    def _flush_then_raise(self, error: LimitExceeded) -> Iterator[Frame]:
        """No line after a line over the limit will be read: yield what is held back, raise."""
        raise error
        yield  # a generator: the error is raised when the frames are read

    def _close(self, tail: bytes) -> Iterator[Frame]:
        raise NotImplementedError

    def _too_large(self, mark: Mark, what: str) -> LimitExceeded:
        offset = mark.offset()
        return LimitExceeded(
            f"{what} starting at byte {offset} is longer than"
            f" max_event_size={self.max_event_size} bytes; pass"
            " limits=Limits(max_event_size=...) with a larger value if such frames are"
            " expected",
            limit_name="max_event_size",
            limit=self.max_event_size,
            offset=offset,
        )
