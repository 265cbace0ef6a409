"""What every dialect shares: per-choice accumulation and the end-of-stream rules.

A dialect maps one JSON payload at a time onto :class:`~sseproto.Delta` and,
through the helpers here, :class:`~sseproto.Final`, :class:`~sseproto.Done`
and :class:`~sseproto.StreamError`.  The chat event rules (the "Chat
streams" guide of the documentation) live here once, so each dialect module
only says where its wire format keeps the text, the finish reason and the
errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .._errors import short_repr
from .._events import ChatEvent, Done, Final, StreamError, make_delta

__all__ = ["ChatResult", "ChoiceState", "Dialect", "error_event"]


class ChoiceState:
    """What has been accumulated for one choice."""

    __slots__ = ("chunk", "finish_reason", "generated_text", "index", "logprobs", "pieces",
                 "tool_calls")

    def __init__(self, index: int) -> None:
        self.index = index
        self.pieces: list[str] = []
        self.finish_reason: str | None = None
        self.generated_text: str | None = None  # the server's own full text, if sent
        self.chunk: dict[str, Any] | None = None  # the finish_reason chunk, else the last
        self.tool_calls: dict[int, dict[str, Any]] = {}
        self.logprobs: list[Any] = []

    @property
    def text(self) -> str:
        if self.generated_text is not None:
            return self.generated_text
        return "".join(self.pieces)

    def add_tool_calls(self, fragments: list[dict[str, Any]]) -> None:
        """Merge OpenAI-style tool-call fragments: strings concatenate per call index."""
        for fragment in fragments:
            number = fragment.get("index", len(self.tool_calls))
            if type(number) is not int:
                raise TypeError(f"a tool call index must be an integer, not {short_repr(number)}")
            call = self.tool_calls.get(number)
            if call is None:
                call = {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
                self.tool_calls[number] = call
            if fragment.get("id"):
                call["id"] = fragment["id"]
            if fragment.get("type"):
                call["type"] = fragment["type"]
            function = fragment.get("function") or {}
            for key in ("name", "arguments"):
                piece = function.get(key)
                if piece:
                    if type(piece) is not str:
                        raise TypeError(f"tool call {key} must be a string")
                    call["function"][key] += piece

    def final_tool_calls(self) -> list[dict[str, Any]] | None:
        if not self.tool_calls:
            return None
        return [self.tool_calls[number] for number in sorted(self.tool_calls)]


@dataclass(slots=True, kw_only=True)
class ChatResult:
    """The whole message, accumulated: what a non-streaming call would have returned."""

    id: str | None = None
    model: str | None = None
    usage: dict[str, Any] | None = None
    choices: dict[int, ChoiceState] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The text of choice 0 (``""`` when there is none)."""
        choice = self.choices.get(0)
        return choice.text if choice is not None else ""


def error_event(value: Any) -> StreamError:
    """Build a :class:`StreamError` from any error payload shape seen in the wild.

    ``{"error": {"message", "type", "code"}}`` (OpenAI), ``{"object": "error",
    "message", "type", "code"}`` (vLLM), ``{"error": "...", "error_type": ...}``
    (TGI), ``{"type": "error", "error": {...}}`` (Anthropic), or plain text.
    """
    if not isinstance(value, dict):
        return StreamError(message=_text(value), type="error", code=None, payload=value)
    error = value.get("error", value)
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or error
        kind = error.get("type") or value.get("error_type") or "error"
        code = error.get("code")
    else:
        message = error
        kind = value.get("error_type") or "error"
        code = value.get("code")
    if not isinstance(code, str | int) or isinstance(code, bool):
        code = None
    return StreamError(message=_text(message), type=_text(kind), code=code, payload=value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else short_repr(value)


class Dialect:
    """Base class: subclasses implement :meth:`payload` and :meth:`detect`."""

    name: ClassVar[str] = ""

    def __init__(self) -> None:
        self.result = ChatResult()
        self.ended = False  # a Done or StreamError was emitted: ignore the rest
        self.completed = False  # the protocol's normal end was reached

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        """Does this first payload belong to this dialect?"""
        raise NotImplementedError

    def payload(self, event: str, value: Any, out: list[ChatEvent]) -> None:
        """Map one payload (``event`` is its SSE event type, or "") onto events."""
        raise NotImplementedError

    # --- shared helpers -------------------------------------------------------------

    def choice(self, index: int) -> ChoiceState:
        state = self.result.choices.get(index)
        if state is None:
            state = self.result.choices[index] = ChoiceState(index)
        return state

    def delta(self, state: ChoiceState, content: str | None, chunk: dict[str, Any],
              tool_calls: list[dict[str, Any]] | None, out: list[ChatEvent]) -> None:
        if content:
            state.pieces.append(content)
        if tool_calls:
            state.add_tool_calls(tool_calls)
        if state.finish_reason is None:
            state.chunk = chunk
        out.append(make_delta(state.index, content, None, None, tool_calls, chunk))

    def finish(self, state: ChoiceState, reason: str | None, chunk: dict[str, Any]) -> None:
        if reason is not None:
            state.finish_reason = reason
        state.chunk = chunk

    def error(self, value: Any, out: list[ChatEvent]) -> None:
        out.append(error_event(value))
        self.ended = True

    def done(self, out: list[ChatEvent]) -> None:
        """The protocol's normal end: a Final per choice, then Done."""
        self._finals(out)
        out.append(Done())
        self.ended = self.completed = True

    def close(self, out: list[ChatEvent]) -> None:
        """End of input without the end marker: a Final for each choice that finished."""
        if not self.ended:
            self._finals(out, only_finished=True)
        self.ended = True

    def _finals(self, out: list[ChatEvent], only_finished: bool = False) -> None:
        usage = self.result.usage
        for index in sorted(self.result.choices):
            state = self.result.choices[index]
            if only_finished and state.finish_reason is None:
                continue
            out.append(Final(index=index, generated_text=state.text,
                             finish_reason=state.finish_reason, usage=usage, chunk=state.chunk,
                             tool_calls=state.final_tool_calls()))
