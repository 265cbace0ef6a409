"""ChatStreamDecoder: raw bytes of a streamed chat completion to chat events.

Layers: :class:`~sseproto._lines.LineSplitter` (bytes, BOM, UTF-8, line
ends, line limit) feeds :class:`~sseproto._recovery.FrameDecoder` (JSON
frames out of conforming or broken SSE), whose frames go to a dialect
(:mod:`sseproto.dialects`) that emits :class:`Delta`, :class:`Final`,
:class:`Done` and :class:`StreamError`.

After ``[DONE]`` (or the dialect's own end) or a :class:`StreamError`, the
rest of the stream is ignored.
"""

from __future__ import annotations

from typing import Any

from ._errors import (
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    short_repr,
    snippet,
)
from ._events import ChatEvent, Done
from ._lines import DEFAULT_MAX_LINE_SIZE, WINDOW, LineSplitter
from ._recovery import DONE, FrameDecoder, Repairs
from ._sse import DEFAULT_MAX_EVENT_SIZE
from .dialects import ALIASES, DIALECTS, ChatResult, Dialect, error_event

__all__ = ["ChatStreamDecoder", "PayloadDecoder"]

_OPEN, _CLOSED, _ERROR = "open", "closed", "error"


class ChatStreamDecoder:
    """Sans-IO chat-stream decoder with the same ``feed()``/``close()`` shape as SSEDecoder.

    >>> chat = ChatStreamDecoder()
    >>> chat.feed(b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\\n\\n')
    [Delta(index=0, content='Hi', chunk={...}, tool_calls=None)]
    >>> chat.feed(b"data: [DONE]\\n\\n")[-1], chat.done
    (Done(), True)

    ``dialect`` is ``"auto"`` (chosen from the first JSON payload) or a name
    from :data:`sseproto.dialects.DIALECTS`.  ``max_line_size`` bounds one
    line in bytes; ``max_event_size`` bounds one frame's payload in
    characters, however it was framed.  ``on_malformed="skip"`` skips frames
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
        self._frames = FrameDecoder(self._lines, self._on_frame, max_event_size, on_malformed)
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
            return self._feed_large(bytes(data))
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
        except ProtocolError as exc:
            self._fail(exc)
            raise
        return out

    def _feed_large(self, data: bytes) -> list[ChatEvent]:
        # Windows bound the text alive at once.
        out: list[ChatEvent] = []
        for start in range(0, len(data), WINDOW):
            out += self.feed(data[start : start + WINDOW])
        return out

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
            out.append(error_event(value))
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
        if value.get("error") is not None or value.get("object") == "error":
            out.append(error_event(value))
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
        out = self._out = []
        if not self._frames.stopped:
            for start in range(0, len(data), WINDOW):
                text = self._lines.feed(bytes(data[start : start + WINDOW]))
                if text:
                    self._frames.feed(text)
                if self._lines.error is not None and not self._frames.stopped:
                    raise self._lines.error
        return out

    def close(self) -> list[tuple[str, Any]]:
        out = self._out = []
        self._frames.close(self._lines.close())
        return out
