"""The SSE decoder: WHATWG HTML 9.2.6 "Interpreting an event stream", byte-exact.

Rules (section numbers are the HTML standard's):

- 9.2.6: an empty line dispatches the block.  Dispatch first commits the last
  event ID buffer to the last event ID string, *even when the data buffer is
  empty*; an empty data buffer then dispatches nothing.  One trailing LF is
  removed from the data, the type defaults to ``"message"``, and the data
  and event type buffers are reset (the id buffer persists).
- 9.2.6: a line starting with ``:`` is a comment.  Otherwise the field name
  is everything before the first ``:`` (the whole line when there is none),
  and the value is the rest with exactly one leading U+0020 removed.  Field
  names are compared literally; unknown fields are ignored.
- ``data`` appends value + LF; ``event`` sets the type; ``id`` sets the id
  buffer unless the value contains U+0000; ``retry`` is accepted only when
  it is non-empty and all ASCII digits, and is kept exactly however large.
- 9.2.5: at end of stream an unterminated block is discarded.

Bytes, BOM and line endings are :mod:`sseproto._lines`'s business.
"""

from __future__ import annotations

import re

from ._decoder import DecoderShell
from ._errors import LimitExceeded
from ._events import ServerSentEvent, make_sse
from ._limits import DEFAULT_MAX_EVENT_SIZE, Limits, resolve_limits
from ._lines import LineSplitter, parse_field

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "format_digits", "parse_digits"]


_new_object = object.__new__
_SETTERS = tuple(
    getattr(ServerSentEvent, name).__set__ for name in ("event", "data", "id", "retry")
)

# Two or more empty lines in a row (after a line end): the separator of blocks.
_EMPTY_LINES = re.compile("\n\n+")


def _non_empty_lines(blocks: list[str], lines: list[str]) -> int:
    """How many non-empty lines ``blocks`` and then ``lines`` hold."""
    count = sum(1 for line in lines if line)
    for block in blocks:
        count += sum(1 for line in block.split("\n") if line)
    return count


# CPython refuses int() on strings of more than 4,300 digits; split them.
_INT_CHUNK = 4000


def parse_digits(digits: str) -> int:
    """``int(digits)`` for an ASCII-digit string of any length.

    Divide and conquer keeps this sub-quadratic, so a megabyte of digits is
    still cheap, and it never trips Python's integer-string limit.
    """
    if len(digits) <= _INT_CHUNK:
        return int(digits)
    low_len = len(digits) // 2
    high = parse_digits(digits[:-low_len])
    scale: int = 10**low_len
    return high * scale + parse_digits(digits[-low_len:])


def format_digits(value: int) -> str:
    """``str(value)`` for a non-negative int of any size (the inverse of :func:`parse_digits`)."""
    if value < 10**_INT_CHUNK:
        return str(value)
    low_len = value.bit_length() * 3 // 20  # about half its decimal digits
    high, low = divmod(value, 10**low_len)
    return format_digits(high) + format_digits(low).rjust(low_len, "0")


class SSEDecoder(DecoderShell[ServerSentEvent]):
    """Sans-IO SSE decoder: ``feed()`` bytes split anywhere, get :class:`ServerSentEvent` s.

    >>> dec = SSEDecoder()
    >>> dec.feed(b"id: 7\\ndata: hel")
    []
    >>> dec.feed(b"lo\\r\\n\\r\\n")
    [ServerSentEvent(event='message', data='hello', id='7', retry=None)]
    >>> dec.close(), dec.last_event_id
    ([], '7')

    ``last_event_id`` starts the decoder with the id an EventSource would
    carry over from an earlier connection.  ``limits`` (or the keywords
    ``max_line_size`` and ``max_event_size``, which override it) bound one
    line and one event's data, both in bytes; exceeding either raises
    :class:`~sseproto.LimitExceeded`.  After any error the decoder refuses
    further input; events completed before an error are returned first.
    """

    __slots__ = ("_data", "_data_size", "_event_type", "_id_buffer", "_lines",
                 "last_event_id", "max_event_size", "retry")

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        max_line_size: int | None = None,
        max_event_size: int | None = None,
        last_event_id: str | None = None,
    ) -> None:
        super().__init__()
        limits = resolve_limits(limits, max_line_size, max_event_size)
        self._lines = LineSplitter(limits.max_line_size)
        self._splitter = self._lines
        self.max_event_size = limits.max_event_size
        self._data: list[str] = []  # the data buffer, one item per data line
        self._data_size = 0  # its size in UTF-8 bytes, one LF per line included
        self._event_type = ""
        self._id_buffer: str | None = last_event_id
        #: The last event ID string, committed at each dispatch (empty line).
        #: This is what an EventSource sends as ``Last-Event-ID``.
        self.last_event_id: str | None = last_event_id
        #: The reconnection time in milliseconds, once a valid ``retry`` arrived.
        self.retry: int | None = None

    def __repr__(self) -> str:
        return f"<SSEDecoder state={self._state.value} last_event_id={self.last_event_id!r}>"

    def _feed(self, data: bytes, out: list[ServerSentEvent]) -> None:
        raw = self._lines.feed(data)
        if raw:
            self._interpret(raw.decode("utf-8", "replace"), out)
        if self._lines.error is not None:
            raise self._lines.error

    def _close(self, out: list[ServerSentEvent], ended: bool) -> None:
        # 9.2.5: an unterminated last block is discarded.
        self._lines.close()
        self._data = []

    def _interpret(self, text: str, out: list[ServerSentEvent]) -> None:
        # Splitting on LF LF gives one item per block, each dispatched at its
        # end.  Processing an item line by line and then dispatching is exact
        # for any item, including "" and items that start with LF (runs of
        # empty lines).  The common item, one "data: " line with nothing
        # pending, becomes an event without the line loop.
        # A second empty line in a row dispatches nothing (the buffers are
        # already empty) and commits the id the first one committed: runs of
        # empty lines are read as one, at regex speed.
        blocks = _EMPTY_LINES.split(text) if "\n\n\n" in text else text.split("\n\n")
        rest = blocks.pop()  # lines after the last empty line: "" or ending in LF
        if blocks:
            self._blocks(blocks, out)
        if rest:
            blocks.append(rest[:-1])
            self._lines_in(blocks, len(blocks) - 1, out, dispatch=False)

    def _blocks(self, blocks: list[str], out: list[ServerSentEvent]) -> None:
        """Interpret and dispatch each of ``blocks`` (each ended by an empty line)."""
        start = 0
        if self._data or self._event_type:
            self._lines_in(blocks, 0, out)
            start = 1
        new = _new_object
        set_event, set_data, set_id, set_retry = _SETTERS
        event_id, retry = self._id_buffer, self.retry
        # Any block of this many characters holds at most max_event_size
        # UTF-8 bytes of data (4 bytes per character at most); a longer one
        # is measured exactly on the line path.
        largest = self.max_event_size // 4 + 6
        for index in range(start, len(blocks)):
            block = blocks[index]
            if block.startswith("data: ") and "\n" not in block and len(block) <= largest:
                ev = new(ServerSentEvent)
                set_event(ev, "message")
                set_data(ev, block[6:])
                set_id(ev, event_id)
                set_retry(ev, retry)
                out.append(ev)
            elif block:  # an empty block only commits the id, done below
                if index > start:
                    self.last_event_id = event_id  # committed by the blocks before
                self._lines_in(blocks, index, out)
                event_id, retry = self._id_buffer, self.retry
        self.last_event_id = event_id

    def _lines_in(
        self, blocks: list[str], index: int, out: list[ServerSentEvent], dispatch: bool = True
    ) -> None:
        """Interpret the lines of ``blocks[index]``, then dispatch unless told not to."""
        lines = blocks[index].split("\n")
        if dispatch:
            lines.append("")
        data = self._data
        size = self._data_size  # the data buffer's UTF-8 size, one LF per line included
        limit = self.max_event_size + 1  # the dispatched data drops the last LF
        for line_no, line in enumerate(lines):
            if line[:1] == ":":
                continue  # a comment
            if not line:
                self._dispatch(out)
                data = self._data
                size = 0
                continue
            if line.startswith("data: "):
                value = line[6:]
            else:
                name, value = parse_field(line)
                if name != "data":
                    if name:  # an empty name is a comment
                        self._field(name, value)
                    continue
            size += (len(value) if value.isascii() else len(value.encode())) + 1
            if size > limit:
                self._event_too_large(_non_empty_lines(blocks[:index], lines[:line_no]), size - 1)
            data.append(value)
        self._data_size = size

    def _dispatch(self, out: list[ServerSentEvent]) -> None:
        """An empty line: commit the id, dispatch the data buffer (if any), reset."""
        self.last_event_id = self._id_buffer
        data = self._data
        if data:
            out.append(make_sse(self._event_type or "message",
                                data[0] if len(data) == 1 else "\n".join(data),
                                self._id_buffer, self.retry))
            self._data = []
            self._data_size = 0
        self._event_type = ""

    def _field(self, name: str, value: str) -> None:
        if name == "event":
            self._event_type = value
        elif name == "id":
            if "\x00" not in value:
                self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = parse_digits(value)

    def _event_too_large(self, line_index: int, size: int) -> None:
        offset = self._lines.non_empty_line_offset(line_index)
        raise LimitExceeded(
            f"event data reaches {size} bytes at the line starting at byte {offset},"
            f" over max_event_size={self.max_event_size}; pass"
            " limits=Limits(max_event_size=...) with a larger value if such events are"
            " expected",
            limit_name="max_event_size",
            limit=self.max_event_size,
            offset=offset,
        )
