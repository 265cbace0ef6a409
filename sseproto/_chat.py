"""ChatStreamDecoder: raw bytes of a streamed chat completion to chat events.

Layers: :class:`~sseproto._lines.LineSplitter` (bytes, BOM, UTF-8, line
ends, line limit) feeds :class:`~sseproto._recovery.FrameDecoder` (JSON
frames out of conforming or broken SSE) or, for newline-delimited JSON,
:class:`~sseproto._ndjson.NDJSONDecoder`, whose frames go to a dialect
(:mod:`sseproto.dialects`) that emits :class:`Delta`, :class:`Final`,
:class:`Done` and :class:`StreamError`.

After ``[DONE]`` (or the dialect's own end) or a :class:`StreamError`, the
rest of the stream is ignored.
"""

from __future__ import annotations

from typing import Any, Protocol

from ._errors import (
    LimitExceeded,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    short_repr,
    snippet,
)
from ._events import ChatEvent, Done
from ._lines import DEFAULT_MAX_LINE_SIZE, WINDOW, LineSplitter, in_windows
from ._ndjson import NDJSONDecoder
from ._recovery import DONE, FrameDecoder, Repairs
from ._sse import DEFAULT_MAX_EVENT_SIZE
from .dialects import (
    ALIASES,
    DIALECTS,
    NDJSON_DIALECTS,
    ChatResult,
    Dialect,
    error_event,
    first_error,
)

__all__ = ["ChatStreamDecoder", "PayloadDecoder"]

_OPEN, _CLOSED, _ERROR = "open", "closed", "error"


class Framer(Protocol):
    """What turns the line splitter's lines into frames: SSE recovery or NDJSON."""

    stopped: bool
    on_malformed: str

    @property
    def repairs(self) -> Repairs: ...

    def count(self, key: str) -> None: ...

    def feed(self, text: bytes, final: bool = False) -> None: ...

    def close(self, tail: bytes) -> None: ...


class ChatStreamDecoder:
    """Sans-IO chat-stream decoder with the same ``feed()``/``close()`` shape as SSEDecoder.

    >>> chat = ChatStreamDecoder()
    >>> chat.feed(b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\\n\\n')
    [Delta(index=0, content='Hi', reasoning=None, refusal=None, tool_calls=None, chunk={...})]
    >>> chat.feed(b"data: [DONE]\\n\\n")[-1], chat.done
    (Done(), True)

    ``dialect`` is ``"auto"`` or a name from :data:`sseproto.dialects.DIALECTS`.
    With ``"auto"``, a stream whose first non-blank byte is ``{`` is read as
    newline-delimited JSON (Ollama); any other is SSE, and the dialect is
    chosen from its first JSON payload.  ``"ollama"`` always reads
    newline-delimited JSON, every other dialect SSE.  ``max_line_size`` bounds one
    line in bytes; ``max_event_size`` bounds one frame's payload in
    bytes, however it was framed.  ``on_malformed="skip"`` skips frames
    that are not JSON (or not of the dialect's shape) instead of raising;
    they are counted in :attr:`repairs`.
    """

    def __init__(
        self,
        dialect: str = "auto",
        *,
        max_line_size: int = DEFAULT_MAX_LINE_SIZE,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        on_malformed: str = "raise",
    ) -> None:
        name = ALIASES.get(dialect, dialect)
        if name != "auto" and name not in DIALECTS:
            known = ", ".join(["auto", *DIALECTS, *ALIASES])
            raise ValueError(f"unknown dialect {dialect!r}; known: {known}")
        if max_event_size < 1:
            raise ValueError("max_event_size must be at least 1")
        self._lines = LineSplitter(max_line_size)
        self._frames: Framer
        if name == "auto":
            # The framing is chosen at the first non-blank byte (see _Sniffer).
            self._frames = _Sniffer(self, max_event_size, on_malformed)
        elif name in NDJSON_DIALECTS:
            self._frames = NDJSONDecoder(self._lines, self._on_frame, max_event_size,
                                         on_malformed)
        else:
            self._frames = FrameDecoder(self._lines, self._on_frame, max_event_size,
                                        on_malformed)
        self._out: list[ChatEvent] = []  # where _on_frame puts events during a call
        self._dialect: Dialect | None = None if name == "auto" else DIALECTS[name]()
        self._state = _OPEN
        self._error: ProtocolError | None = None
        self._frame_count = 0
        #: ``True`` once the stream reached its protocol's normal end.
        self.done = False

    @property
    def dialect(self) -> str | None:
        """The dialect in use (``None`` while ``auto`` has not seen a payload)."""
        return self._dialect.name if self._dialect is not None else None

    @property
    def repairs(self) -> Repairs:
        """What frame recovery repaired or skipped, by name (see :class:`Repairs`)."""
        return self._frames.repairs

    @property
    def result(self) -> ChatResult:
        """Everything accumulated so far: text, tool calls, finish reason per choice, usage."""
        return self._dialect.result if self._dialect is not None else ChatResult()

    def feed(self, data: bytes) -> list[ChatEvent]:
        """Feed the next bytes; return the chat events they complete."""
        if self._state is not _OPEN:
            self._refuse()
        if len(data) > WINDOW or type(data) is not bytes:
            return in_windows(self.feed, bytes(data))
        out = self._out = []
        frames = self._frames
        if frames.stopped:
            return out
        try:
            text = self._lines.feed(data)
            if text:
                frames.feed(text)
            if self._lines.error is not None and not frames.stopped:
                raise self._lines.error
        except LimitExceeded as exc:
            if exc.limit_name != "max_line_size" or not self._ends_before_long_line():
                self._fail(exc)
                raise
        except ProtocolError as exc:
            self._fail(exc)
            raise
        return out

    def _ends_before_long_line(self) -> bool:
        """A line over the limit: no line after it will be read, so a frame held
        back for the next block is read now.  Does it end the stream first?"""
        frames = self._frames
        try:
            frames.feed(b"", final=True)
        except ProtocolError as exc:
            self._fail(exc)
            raise
        return frames.stopped

    def close(self) -> list[ChatEvent]:
        """End of stream: use a complete unterminated last frame; emit Finals if due."""
        if self._state is not _OPEN:
            self._refuse()
        self._state = _CLOSED
        out = self._out = []
        try:
            self._frames.close(self._lines.close())
            if not self._frames.stopped and self._dialect is not None:
                self._dialect.close(out)
                self.done = self._dialect.completed
        except ProtocolError as exc:
            self._fail(exc)
            raise
        return out

    # --- internals ------------------------------------------------------------------

    def _on_frame(self, event: str, value: Any) -> None:
        out = self._out
        self._frame_count += 1
        dialect = self._dialect
        if value is DONE:
            if dialect is not None:
                dialect.done(out)
            else:
                out.append(Done())
            self.done = True
            return
        if event == "error":
            if dialect is not None:
                dialect.error(value, out)
            else:
                out.append(first_error(value) or error_event(value))
            self._frames.stopped = True
            return
        if type(value) is not dict:
            self._bad_payload(value, "a JSON object")
            return
        if dialect is None:
            if event == "ping" or not value:  # a keep-alive before the first chunk
                self._frames.count("keep_alives")
                return
            dialect = self._detect(value, out)
            if dialect is None:
                return
        try:
            dialect.payload(event, value, out)
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            self._bad_payload(value, f"the {dialect.name} dialect's shape ({exc})")
        if dialect.ended:
            self._frames.stopped = True
            self.done = dialect.completed

    def _detect(self, value: dict[str, Any], out: list[ChatEvent]) -> Dialect | None:
        for cls in DIALECTS.values():
            if cls.detect(value):
                self._dialect = cls()
                return self._dialect
        error = first_error(value)
        if error is not None:
            out.append(error)
            self._frames.stopped = True
            return None
        self._bad_payload(value, f"a payload of a known dialect ({', '.join(DIALECTS)})"
                          "; pass dialect=... to choose one")
        return None

    def _bad_payload(self, value: Any, expected: str) -> None:
        if self._frames.on_malformed == "skip":
            self._frames.count("skipped_malformed")
            return
        raise RemoteProtocolError(
            f"frame {self._frame_count} is not {expected}: {snippet(short_repr(value))}"
        )

    def _fail(self, exc: ProtocolError) -> None:
        self._state = _ERROR
        self._error = exc

    def _refuse(self) -> None:
        if self._state is _CLOSED:
            raise LocalProtocolError("ChatStreamDecoder.feed() or close() called after close()")
        raise LocalProtocolError(
            f"ChatStreamDecoder cannot continue after an earlier error: {self._error}"
        )


_WHITESPACE = b" \t\n"


class _Sniffer:
    """``dialect="auto"`` before the first non-blank byte: picks the framing, then steps aside.

    A stream whose first non-blank byte is ``{`` is newline-delimited JSON
    (Ollama); anything else is SSE.  The lines seen until then are blank
    (or spaces and tabs only), which both framings ignore; SSE counts the
    non-empty ones as ``ignored_lines``, so they are counted here for it.
    Once chosen, the framer replaces this object in the decoder, so the
    per-frame path is exactly that of an explicit dialect.
    """

    __slots__ = ("_chat", "_chosen", "_ignored", "max_event_size", "on_malformed")

    def __init__(self, chat: ChatStreamDecoder, max_event_size: int, on_malformed: str) -> None:
        if on_malformed not in ("raise", "skip"):
            raise ValueError(f'on_malformed must be "raise" or "skip", not {on_malformed!r}')
        self._chat = chat
        self._chosen: Framer | None = None
        self._ignored = 0
        self.max_event_size = max_event_size
        self.on_malformed = on_malformed

    @property
    def stopped(self) -> bool:
        return self._chosen is not None and self._chosen.stopped

    @stopped.setter
    def stopped(self, value: bool) -> None:
        if self._chosen is not None:
            self._chosen.stopped = value

    @property
    def repairs(self) -> Repairs:
        if self._chosen is not None:
            return self._chosen.repairs
        return Repairs()

    def count(self, key: str) -> None:
        if self._chosen is not None:
            self._chosen.count(key)

    def feed(self, text: bytes, final: bool = False) -> None:
        framer = self._choose(text)
        if framer is not None:
            framer.feed(text, final)
        else:  # blank lines only: count those with spaces or tabs
            self._ignored += sum(1 for line in text.split(b"\n")[:-1] if line)

    def close(self, tail: bytes) -> None:
        # A stream of blank lines only is SSE, as it would have been before.
        framer = self._choose(tail, default=True)
        if framer is not None:
            framer.close(tail)

    def _choose(self, text: bytes, default: bool = False) -> Framer | None:
        stripped = text.lstrip(_WHITESPACE)
        if not stripped and not default:
            return None
        chat = self._chat
        framer: Framer
        if stripped[:1] == b"{":
            framer = NDJSONDecoder(chat._lines, chat._on_frame, self.max_event_size,
                                   self.on_malformed)
            chat._dialect = DIALECTS["ollama"]()
        else:
            framer = FrameDecoder(chat._lines, chat._on_frame, self.max_event_size,
                                  self.on_malformed)
            for _ in range(self._ignored):
                framer.count("ignored_lines")
        self._chosen = chat._frames = framer
        return framer


class PayloadDecoder:
    """The recovery layer alone: bytes to ``(event, payload)`` frames, ``[DONE]`` as ``None``.

    For callers that want every JSON chunk as sent (the SDK-shaped
    ``chat.completions.create(stream=True)``), including chunks that carry no
    delta.  Same recovery, limits and errors as :class:`ChatStreamDecoder`.
    """

    def __init__(self, *, max_line_size: int = DEFAULT_MAX_LINE_SIZE,
                 max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
                 on_malformed: str = "raise") -> None:
        self._lines = LineSplitter(max_line_size)
        self._frames = FrameDecoder(self._lines, self._on_frame, max_event_size, on_malformed)
        self._out: list[tuple[str, Any]] = []
        self.done = False

    def _on_frame(self, event: str, value: Any) -> None:
        if value is DONE:
            self.done = True
            value = None
        self._out.append((event, value))

    def feed(self, data: bytes) -> list[tuple[str, Any]]:
        if len(data) > WINDOW or type(data) is not bytes:
            return in_windows(self.feed, bytes(data))
        out = self._out = []
        if not self._frames.stopped:
            text = self._lines.feed(data)
            if text:
                self._frames.feed(text)
            if self._lines.error is not None and not self._frames.stopped:
                raise self._lines.error
        return out

    def close(self) -> list[tuple[str, Any]]:
        out = self._out = []
        self._frames.close(self._lines.close())
        return out
