"""The one decoder shell: state, windowing, refusal after close or error, deferred errors.

:class:`~sseproto.SSEDecoder`, :class:`~sseproto.ChatStreamDecoder` and the
clients' payload decoder differ only in what they do with bytes.  What they
share lives here once:

- **State** is a :class:`State`.  ``OPEN`` takes input; ``ENDED`` means the
  stream reached its protocol's end (``[DONE]``, a stream error), so input is
  ignored; ``FAILED`` refuses input after an error; ``CLOSED`` refuses it
  after :meth:`close`.
- **Windowing.**  A read larger than :data:`~sseproto._lines.WINDOW` is fed
  in windows, so the text and lists alive at once stay bounded whatever
  the caller passes.
- **No event is lost to an error.**  When the bytes of one call complete
  events and then hit an error, the call returns those events and the
  error is raised by the next :meth:`feed` or :meth:`close`.  So the events
  delivered before an error, and the error, do not depend on the split.

- **Parking.**  A read that holds no CR or LF cannot complete a line, so a
  line-based decoder has nothing to do with it but keep it.  The shell keeps
  such reads in a list, at the cost of a membership test, and hands them on
  joined with the next read that can complete something.  The decoder's
  line splitter (``_splitter``) says how much may be parked (its ``room``:
  what still fits in its line limit), so limit errors come at the same read
  as without parking.

Subclasses implement ``_feed(data, out)`` and ``_close(out, ended)``: they
append the events they complete to ``out`` (a list this shell owns, so
nothing appended before an error is lost) and raise :class:`ProtocolError`
on bad input.
"""

from __future__ import annotations

import enum
from typing import Generic, TypeVar

from ._errors import LocalProtocolError, ProtocolError
from ._lines import WINDOW, LineSplitter

__all__ = ["DecoderShell", "State"]

T = TypeVar("T")


class State(enum.Enum):
    """Where a decoder is in its life."""

    OPEN = "open"  #: taking input
    ENDED = "ended"  #: the stream's protocol ended it: input is ignored until close()
    FAILED = "failed"  #: an error was found: the decoder refuses input
    CLOSED = "closed"  #: close() was called


_OPEN, _ENDED, _FAILED, _CLOSED = State.OPEN, State.ENDED, State.FAILED, State.CLOSED


class DecoderShell(Generic[T]):
    """Base of every decoder: ``feed(bytes) -> list[T]`` and ``close() -> list[T]``."""

    __slots__ = ("_error", "_park", "_park_left", "_parked", "_pending", "_splitter", "_state")

    def __init__(self) -> None:
        self._state = _OPEN
        self._error: ProtocolError | None = None
        self._pending = False  # _error was found but not raised yet
        self._parked: list[bytes] = []  # reads without CR or LF, not handed on yet
        self._park = self._parked.append
        # One more than the bytes that may still be parked; 0 (or 1): no parking.
        self._park_left = 0
        #: The line splitter whose ``room`` bounds parking (None: no parking).
        self._splitter: LineSplitter | None = None

    @property
    def state(self) -> State:
        """The decoder's :class:`State`."""
        return self._state

    def feed(self, data: bytes) -> list[T]:
        """Feed the next bytes of the stream (split anywhere); return the events they complete."""
        if type(data) is not bytes:
            data = bytes(data)  # a bytearray or memoryview the caller may reuse
        if 10 not in data and 13 not in data:
            left = self._park_left - len(data)
            if left > 0:  # never true unless OPEN
                self._park_left = left
                self._park(data)
                return []
        if self._state is not _OPEN:
            if self._state is _ENDED:
                self._after_end(data)
            return self._not_open()
        parked = self._parked
        if parked:  # these reads and this one, as one read
            parked.append(data)
            data = b"".join(parked)
            parked.clear()
        if len(data) > WINDOW:
            return self._in_windows(data)
        out: list[T] = []
        try:
            self._feed(data, out)
        except ProtocolError as exc:
            self._fail(exc, out)
        else:
            splitter = self._splitter
            self._park_left = (splitter.room + 1 if splitter is not None and self._state is _OPEN
                               else 0)
        return out

    def close(self) -> list[T]:
        """Signal the end of the stream; return the events it completes.

        If those events are followed by an error, they are returned and the
        error is raised by the next call (a second ``close()`` raises it).
        """
        state = self._state
        if state is not _OPEN and state is not _ENDED:
            return self._not_open()
        self._state = _CLOSED
        self._park_left = 0
        out: list[T] = []
        try:
            if self._parked:
                self._feed(self._unpark(b""), out)
            self._close(out, state is _ENDED)
        except ProtocolError as exc:
            self._fail(exc, out)
        return out

    def _feed(self, data: bytes, out: list[T]) -> None:
        raise NotImplementedError

    def _close(self, out: list[T], ended: bool) -> None:
        raise NotImplementedError

    def _after_end(self, data: bytes) -> None:
        """Bytes fed after the stream ended; they produce nothing (a subclass may look)."""

    def _unpark(self, data: bytes) -> bytes:
        parked = self._parked
        parked.append(data)
        data = b"".join(parked)
        parked.clear()
        return data

    def _end(self) -> None:
        """The stream's protocol ended it: ignore further input."""
        self._state = _ENDED
        self._park_left = 0
        self._parked.clear()

    def _in_windows(self, data: bytes) -> list[T]:
        out: list[T] = []
        try:
            for start in range(0, len(data), WINDOW):
                self._feed(data[start : start + WINDOW], out)
                if self._state is not _OPEN:
                    if self._state is _ENDED:
                        self._after_end(data[start + WINDOW :])
                    break  # ended: the rest is ignored
        except ProtocolError as exc:
            self._fail(exc, out)
        else:
            splitter = self._splitter
            self._park_left = (splitter.room + 1 if splitter is not None and self._state is _OPEN
                               else 0)
        return out

    def raise_pending(self) -> None:
        """Raise the error held back because the same call returned events first, if any.

        A caller that stops after :meth:`close` calls this so that an error
        found after the last events is not lost.
        """
        if self._state is _FAILED and self._pending:
            self._not_open()

    def _fail(self, exc: ProtocolError, out: list[T]) -> None:
        self._state = _FAILED
        self._park_left = 0
        self._error = exc
        if out:
            self._pending = True  # the next call raises it; these events are delivered
            return
        raise exc

    def _not_open(self) -> list[T]:
        state, name = self._state, type(self).__name__
        if state is _ENDED:
            return []
        if state is _FAILED and self._pending:
            self._pending = False
            assert self._error is not None
            raise self._error
        if state is _FAILED:
            raise LocalProtocolError(
                f"{name} cannot continue after an earlier error: {self._error}")
        raise LocalProtocolError(f"{name}.feed() or close() called after close()")
