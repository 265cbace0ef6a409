"""ChatStreamDecoder: raw bytes of a streamed chat completion to chat events.

Layers: a framer (:mod:`sseproto.framing`: SSE recovery, NDJSON, or a
binary framing) turns bytes into ``(event, value)`` frames; a dialect
(:mod:`sseproto.dialects`) turns each frame into :class:`Delta`,
:class:`Final`, :class:`Done` and :class:`StreamError` events.  Both
*return* what they produce, and :class:`~sseproto._decoder.DecoderShell`
gives the decoder its state, windowing and deferred errors.

The stream ends at the first ``Done`` or ``StreamError``: the frames after
it are never parsed, so the rest of the stream is ignored whatever it holds.

``dialect="auto"`` decides once: the framing from the first bytes (``0x00``
an event-stream, ``{`` newline-delimited JSON, anything else SSE), the
dialect from the first payload.  From then on the stream runs exactly the
path of an explicit dialect.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from ._decoder import DecoderShell
from ._errors import RemoteProtocolError, short_repr, snippet
from ._events import ChatEvent, Done, StreamError
from ._limits import Limits, resolve_limits
from ._lines import LineSplitter
from .dialects import (
    ChatResult,
    Dialect,
    ShapeError,
    candidates,
    dialect_names,
    error_event,
    first_error,
    lookup,
)
from .framing import (
    DONE,
    RUN,
    Frame,
    Framer,
    LineFramer,
    NDJSONFramer,
    Repairs,
    SSEFramer,
    framing_names,
    make_framer,
    single_frames,
)
from .framing._base import check_on_malformed

__all__ = ["ChatStreamDecoder", "PayloadDecoder"]

_BLANK = b" \t\n"


class ChatStreamDecoder(DecoderShell[ChatEvent]):
    """Sans-IO chat-stream decoder with the same ``feed()``/``close()`` shape as SSEDecoder.

    >>> chat = ChatStreamDecoder()
    >>> chat.feed(b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\\n\\n')
    [Delta(index=0, content='Hi', reasoning=None, refusal=None, tool_calls=None, chunk={...})]
    >>> chat.feed(b"data: [DONE]\\n\\n")[-1], chat.done
    (Done(), True)

    ``dialect`` is ``"auto"`` or a registered dialect name (see
    :func:`sseproto.register_dialect`).  ``limits`` (or the keywords
    ``max_line_size`` and ``max_event_size``, which override it) bound one
    line and one frame's payload, in bytes, however it was framed.
    ``on_malformed="skip"`` skips frames that are not JSON (or not of the
    dialect's shape) instead of raising; they are counted in :attr:`repairs`.
    """

    def __init__(
        self,
        dialect: str = "auto",
        *,
        limits: Limits | None = None,
        max_line_size: int | None = None,
        max_event_size: int | None = None,
        on_malformed: str = "raise",
    ) -> None:
        super().__init__()
        self._limits = resolve_limits(limits, max_line_size, max_event_size)
        check_on_malformed(on_malformed)
        self._on_malformed = on_malformed
        self._dialect: Dialect | None = None
        self._dialect_name: str | None = None
        self._framer: Framer | None = None
        self._framing = ""
        self._sniff_lines: LineSplitter | None = None
        self._sniff_ignored = 0  # non-empty blank lines before the first byte that counts
        self._frame_count = 0
        self._first: Frame = ("", None)  # the frame that chose the dialect (auto)
        self._sniffed = False  # auto has seen a byte
        #: ``True`` once the stream reached its protocol's normal end.
        self.done = False
        if dialect == "auto":
            # Parking waits for the first byte (0x00 would start a binary stream).
            self._sniff_lines = LineSplitter(self._limits.max_line_size)
        else:
            name, factory, cls = lookup(dialect)
            self._use_framing(cls.framing, make_framer(cls.framing, self._limits, on_malformed))
            self._dialect, self._dialect_name = factory(), name

    def __repr__(self) -> str:
        return (f"<ChatStreamDecoder dialect={self.dialect or 'auto'}"
                f" state={self._state.value} done={self.done}>")

    @property
    def dialect(self) -> str | None:
        """The dialect in use (``None`` while ``auto`` has not seen a payload)."""
        return self._dialect_name

    @property
    def repairs(self) -> Repairs:
        """What frame recovery repaired or skipped, by name (see :class:`Repairs`)."""
        return self._framer.repairs if self._framer is not None else Repairs()

    @property
    def result(self) -> ChatResult:
        """Everything accumulated so far: text, tool calls, finish reason per choice, usage."""
        return self._dialect.result if self._dialect is not None else ChatResult()

    # --- the shell's two hooks ------------------------------------------------------

    def _feed(self, data: bytes, out: list[ChatEvent]) -> None:
        framer = self._framer
        frames = framer.feed(data) if framer is not None else self._sniff(data)
        if frames and self._run(frames, out):
            self._end()
            if self.done and isinstance(self._framer, SSEFramer):
                self._framer.watch_end()

    def _after_end(self, data: bytes) -> None:
        if isinstance(self._framer, SSEFramer):
            self._framer.after_end(data)

    def _close(self, out: list[ChatEvent], ended: bool) -> None:
        if ended:
            if isinstance(self._framer, SSEFramer):
                self._framer.end_of_input()  # an end marker without its empty line
            return
        framer = self._framer
        frames = framer.close() if framer is not None else self._sniff_close()
        if self._run(frames, out):
            if self.done and isinstance(self._framer, SSEFramer):
                self._framer.ended_at_close()  # by a frame held back until close()
        elif self._dialect is not None:
            events = self._dialect.close()
            out += events
            # A protocol whose normal end is the end of the body (Gemini, Bedrock).
            self.done = bool(events) and type(events[-1]) is Done

    # --- frames to events -----------------------------------------------------------

    def _run(self, frames: Iterable[Frame], out: list[ChatEvent]) -> bool:
        """Turn frames into events on ``out``; True when the stream ended."""
        dialect = self._dialect
        if dialect is None:
            frames = single_frames(frames)
            dialect = self._choose_dialect(frames, out)
            if dialect is None:
                return bool(out) and type(out[-1]) in (Done, StreamError)
            frames = chain([self._first], frames)
            self._frame_count -= 1
        payload, plain_run = dialect.payload, dialect.plain_run
        for event, value in frames:
            if event is RUN:  # event-less objects: the dialect's fast path takes most
                taken = plain_run(value, 0, out)
                self._frame_count += taken
                if taken < len(value) and self._plain(dialect, value, taken, out):
                    return True
                continue
            if type(value) is not dict or event == "error":
                events = self._special(dialect, event, value)
            else:
                self._frame_count += 1
                try:
                    events = payload(event, value)
                except ShapeError as exc:
                    events = self._bad_shape(value, exc)
            if events and self._deliver(events, out):
                return True
        return False

    def _plain(self, dialect: Dialect, values: list[dict[str, Any]], at: int,
               out: list[ChatEvent]) -> bool:
        """The rest of a run of event-less payloads from ``at``, where the dialect's fast
        path stopped: the general path for that one, the fast path again after it."""
        end = len(values)
        while True:
            self._frame_count += 1
            try:
                events = dialect.payload("", values[at])
            except ShapeError as exc:
                events = self._bad_shape(values[at], exc)
            if events and self._deliver(events, out):
                return True
            at += 1
            if at >= end:
                return False
            taken = dialect.plain_run(values, at, out)
            self._frame_count += taken - at
            if taken >= end:
                return False
            at = taken

    def _deliver(self, events: list[ChatEvent], out: list[ChatEvent]) -> bool:
        """Add ``events`` to ``out``; True when the last one ends the stream."""
        out += events
        last = type(events[-1])
        if last is Done or last is StreamError:
            self.done = last is Done
            return True
        return False

    def _special(self, dialect: Dialect, event: str, value: Any) -> list[ChatEvent]:
        self._frame_count += 1
        if value is DONE:
            return dialect.end_marker()
        if event == "error":
            return dialect.error(value)
        return self._bad_payload(value, "a JSON object")

    def _bad_shape(self, value: Any, exc: ShapeError) -> list[ChatEvent]:
        if self._on_malformed == "skip":
            self.count_repair("skipped_malformed")
            return []
        raise ShapeError(f"frame {self._frame_count} is not of the {self._dialect_name}"
                         f" dialect's shape: {exc}: {snippet(short_repr(value))}",
                         field=exc.field)

    def _bad_payload(self, value: Any, expected: str) -> list[ChatEvent]:
        if self._on_malformed == "skip":
            self.count_repair("skipped_malformed")
            return []
        raise RemoteProtocolError(
            f"frame {self._frame_count} is not {expected}: {snippet(short_repr(value))}")

    def count_repair(self, key: str) -> None:
        if self._framer is not None:
            self._framer.count(key)

    # --- auto -----------------------------------------------------------------------

    def _choose_dialect(self, frames: Iterable[Frame], out: list[ChatEvent]) -> Dialect | None:
        """Read frames until one names the dialect; None if they ran out or ended the stream.

        The frame that chose it is left in ``self._first`` for the dialect.
        """
        for event, value in frames:
            self._frame_count += 1
            if value is DONE:
                out.append(Done())
                self.done = True
                return None
            if event == "error":
                out.append(first_error(value) or error_event(value))
                return None
            if type(value) is not dict:
                self._bad_payload(value, "a JSON object")
            elif event == "ping" or not value:  # a keep-alive before the first chunk
                self.count_repair("keep_alives")
            else:
                dialect = self._detect(value, out)
                if dialect is not None:
                    self._first = (event, value)
                    return dialect
                if out:
                    return None
        return None

    def _detect(self, value: dict[str, Any], out: list[ChatEvent]) -> Dialect | None:
        found = candidates()
        for name, factory, cls in found:
            if cls.detect(value):
                self._dialect, self._dialect_name = factory(), name
                return self._dialect
        error = first_error(value)
        if error is not None:
            out.append(error)
            return None
        names = ", ".join(name for name, _, _ in found)
        self._bad_payload(value, f"a payload of a known dialect ({names})"
                          "; pass dialect=... to choose one")
        return None

    def _use_framing(self, framing: str, framer: Framer) -> None:
        self._framing, self._framer = framing, framer
        self._splitter = framer.splitter if isinstance(framer, LineFramer) else None
        if self._dialect is None:
            found = candidates(framing)
            if framing != "sse" and len(found) == 1:
                name, factory, _ = found[0]
                self._dialect, self._dialect_name = factory(), name

    def _sniff(self, data: bytes) -> Iterable[Frame]:
        """``auto`` before the first non-blank byte: pick the framing, then step aside."""
        lines = self._sniff_lines
        assert lines is not None
        first, self._sniffed = not self._sniffed and bool(data), self._sniffed or bool(data)
        if first and data[0] == 0 and "eventstream" in framing_names():
            framer = make_framer("eventstream", self._limits, self._on_malformed)
            self._use_framing("eventstream", framer)
            return framer.feed(data)
        if self._sniffed:  # a line stream: parking may go by this splitter's room
            self._splitter = lines
        text = lines.feed(data)
        if not text.lstrip(_BLANK):
            self._sniff_ignored += sum(1 for line in text.split(b"\n")[:-1] if line)
            if lines.error is not None:
                raise lines.error
            return ()
        return self._line_framer(text).lines(text)

    def _sniff_close(self) -> Iterable[Frame]:
        lines = self._sniff_lines
        assert lines is not None
        tail = lines.close()
        return self._line_framer(tail).end(tail)

    def _line_framer(self, text: bytes) -> LineFramer:
        """The line framing the first non-blank byte of ``text`` calls for (SSE by default)."""
        framer: LineFramer
        if text.lstrip(_BLANK)[:1] == b"{":
            framer = NDJSONFramer(self._limits, self._on_malformed, self._sniff_lines)
            self._use_framing("ndjson", framer)
        else:
            framer = SSEFramer(self._limits, self._on_malformed, self._sniff_lines)
            for _ in range(self._sniff_ignored):
                framer.count("ignored_lines")
            self._use_framing("sse", framer)
        self._sniff_lines = None
        return framer


class PayloadDecoder(DecoderShell[tuple[str, Any]]):
    """The recovery layer alone: bytes to ``(event, payload)`` frames, ``[DONE]`` as ``None``.

    For callers that want every JSON chunk as sent (the SDK-shaped
    ``chat.completions.create(stream=True)``), including chunks that carry no
    delta.  Same recovery, limits and errors as :class:`ChatStreamDecoder`.
    """

    def __init__(self, *, limits: Limits | None = None, max_line_size: int | None = None,
                 max_event_size: int | None = None, on_malformed: str = "raise") -> None:
        super().__init__()
        self._framer = SSEFramer(resolve_limits(limits, max_line_size, max_event_size),
                                 on_malformed)
        self._splitter = self._framer.splitter
        #: ``True`` once ``[DONE]`` was read.
        self.done = False

    def _feed(self, data: bytes, out: list[tuple[str, Any]]) -> None:
        frames = self._framer.feed(data)
        if frames and self._take(frames, out):
            self._end()

    def _close(self, out: list[tuple[str, Any]], ended: bool) -> None:
        if not ended:
            self._take(self._framer.close(), out)

    def _take(self, frames: Iterable[Frame], out: list[tuple[str, Any]]) -> bool:
        for event, value in single_frames(frames):
            if value is DONE:
                self.done = True
                out.append((event, None))
                return True
            out.append((event, value))
        return False


def known_dialects() -> tuple[str, ...]:
    """``"auto"`` and every registered dialect name."""
    return ("auto", *dialect_names())
