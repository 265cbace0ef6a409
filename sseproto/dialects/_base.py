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

import orjson

from .._errors import RemoteProtocolError, short_repr
from .._events import ChatEvent, Done, Final, StreamError, make_delta

__all__ = ["ChatResult", "ChoiceState", "Dialect", "ShapeError", "error_event", "json_text",
           "shape_error"]


class ChoiceState:
    """What has been accumulated for one choice."""

    __slots__ = ("chunk", "finish_reason", "generated_text", "index", "logprobs", "pieces",
                 "reasoning_pieces", "refusal_pieces", "tool_calls")

    def __init__(self, index: int) -> None:
        self.index = index
        self.pieces: list[str] = []
        self.reasoning_pieces: list[str] = []
        self.refusal_pieces: list[str] = []
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

    @property
    def reasoning(self) -> str | None:
        """The joined reasoning deltas, ``None`` when there were none."""
        return "".join(self.reasoning_pieces) or None

    @property
    def refusal(self) -> str | None:
        """The joined refusal deltas, ``None`` when there were none."""
        return "".join(self.refusal_pieces) or None

    def add_tool_calls(self, fragments: list[dict[str, Any]]) -> None:
        """Merge OpenAI-style tool-call fragments: strings concatenate per call index."""
        if type(fragments) is not list:
            raise shape_error("tool_calls", "an array", fragments)
        for fragment in fragments:
            if type(fragment) is not dict:
                raise shape_error("tool_calls[]", "an object", fragment)
            number = fragment.get("index", len(self.tool_calls))
            if type(number) is not int:
                raise shape_error("tool_calls[].index", "an integer", number)
            call = self.tool_calls.get(number)
            if call is None:
                call = {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
                self.tool_calls[number] = call
            if fragment.get("id"):
                call["id"] = fragment["id"]
            if fragment.get("type"):
                call["type"] = fragment["type"]
            function = fragment.get("function") or {}
            if type(function) is not dict:
                raise shape_error("tool_calls[].function", "an object", function)
            for key in ("name", "arguments"):
                piece = function.get(key)
                if piece:
                    if type(piece) is not str:
                        raise shape_error(f"tool_calls[].function.{key}", "a string", piece)
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


class ShapeError(RemoteProtocolError):
    """A payload is valid JSON but not of the shape the dialect knows (a peer's fault).

    Dialects raise it, never ``KeyError`` or ``TypeError``, for data they
    cannot use: an exception of any other type escaping a dialect is a bug
    in the dialect and is left to surface as one.  The chat decoder adds
    which frame it was and, with ``on_malformed="skip"``, skips the frame
    instead.  ``field`` names the field that was not what the dialect
    expected (``"choices[].delta.content"``), or is ``None``.
    """

    def __init__(self, message: str, *, field: str | None = None,
                 offset: int | None = None) -> None:
        super().__init__(message, offset=offset)
        self.field = field


def json_text(value: Any, field: str) -> str:
    """``value`` (tool-call arguments sent as an object) as JSON text, for the chat shape.

    orjson refuses to write what it read when it is nested over 254 levels:
    that is data the dialect cannot use, so a :class:`ShapeError`.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        raise shape_error(field, "JSON of at most 254 levels", "a deeper value") from None


def shape_error(field: str, expected: str, got: Any) -> ShapeError:
    """A :class:`ShapeError` saying that ``field`` should be ``expected`` but was ``got``."""
    return ShapeError(f"{field} must be {expected}, not {short_repr(got)}", field=field)


class Dialect:
    """A chat dialect: one JSON payload at a time to chat events.

    Subclass it, set :attr:`name` (and :attr:`framing` when the wire is not
    SSE), implement :meth:`payload` (and :meth:`detect` to take part in
    ``dialect="auto"``), then register it with
    :func:`sseproto.register_dialect`.  One instance decodes one stream;
    :attr:`result` accumulates the whole message.

    The decoder calls :meth:`payload` once per JSON object payload, in
    stream order, and delivers the events it *returns*.  The stream ends at
    the first :class:`~sseproto.Done` or :class:`~sseproto.StreamError`
    returned: the rest is ignored.  It calls :meth:`end_marker` for the
    framing's end marker (``data: [DONE]``), :meth:`error` for an
    ``event: error`` frame and :meth:`close` at the end of the input when the
    stream has not ended.  The helpers (:meth:`choice`, :meth:`delta`,
    :meth:`finish`, :meth:`done`) apply the chat event rules, so a dialect
    only says where its wire format keeps the text, the finish reason and the
    errors.

    Data the dialect cannot use raises :class:`ShapeError` (see
    :func:`shape_error`); any other exception is a bug and surfaces as one.
    """

    #: The name ``dialect=`` takes and :attr:`ChatStreamDecoder.dialect` reports.
    name: ClassVar[str] = ""
    #: The wire framing: ``"sse"``, ``"ndjson"`` (or ``"eventstream"``).
    framing: ClassVar[str] = "sse"

    def __init__(self) -> None:
        self.result = ChatResult()

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        """Does this first payload belong to this dialect?  (``auto`` asks.)"""
        return False

    def payload(self, event: str, value: dict[str, Any]) -> list[ChatEvent]:
        """Map one payload (``event`` is its SSE event type, or "") to events."""
        raise NotImplementedError

    def plain_run(self, values: list[dict[str, Any]], start: int, out: list[ChatEvent]) -> int:
        """Optional fast path for a run of JSON-object payloads without an event type.

        Map as many of ``values[start:]`` as it can, in order, exactly as
        :meth:`payload` would, appending their events to ``out``; return the
        index of the first one it did not take (``len(values)`` when it took
        them all).  The decoder sends that one to :meth:`payload` and carries
        on.  It must not end the stream.  The default takes none.
        """
        return start

    def end_marker(self) -> list[ChatEvent]:
        """The framing's end marker (``[DONE]``): the protocol's normal end."""
        return self.done()

    def error(self, value: Any) -> list[ChatEvent]:
        """An ``event: error`` frame (``value`` is its JSON, or its text)."""
        return [error_event(value)]

    def close(self) -> list[ChatEvent]:
        """End of input without the end marker: a Final for each choice that finished."""
        return self._finals(only_finished=True)

    # --- shared helpers -------------------------------------------------------------

    def choice(self, index: int) -> ChoiceState:
        """The accumulated state of choice ``index``, created on first use."""
        state = self.result.choices.get(index)
        if state is None:
            state = self.result.choices[index] = ChoiceState(index)
        return state

    def delta(self, state: ChoiceState, content: str | None, chunk: dict[str, Any],
              tool_calls: list[dict[str, Any]] | None = None, reasoning: str | None = None,
              refusal: str | None = None) -> ChatEvent:
        """Accumulate one delta of ``state``'s choice and return its :class:`Delta`."""
        if content:
            state.pieces.append(content)
        if reasoning:
            state.reasoning_pieces.append(reasoning)
        if refusal:
            state.refusal_pieces.append(refusal)
        if tool_calls:
            state.add_tool_calls(tool_calls)
        if state.finish_reason is None:
            state.chunk = chunk
        return make_delta(state.index, content, reasoning, refusal, tool_calls, chunk)

    def finish(self, state: ChoiceState, reason: str | None, chunk: dict[str, Any]) -> None:
        """Record a finish reason (``None`` keeps the last one) and its chunk."""
        if reason is not None:
            state.finish_reason = reason
        state.chunk = chunk

    def done(self) -> list[ChatEvent]:
        """The protocol's normal end: a Final per choice, then Done."""
        out = self._finals()
        out.append(Done())
        return out

    def _finals(self, only_finished: bool = False) -> list[ChatEvent]:
        usage = self.result.usage
        out: list[ChatEvent] = []
        for index in sorted(self.result.choices):
            state = self.result.choices[index]
            if only_finished and state.finish_reason is None:
                continue
            out.append(Final(index=index, generated_text=state.text, reasoning=state.reasoning,
                             refusal=state.refusal, finish_reason=state.finish_reason,
                             usage=usage, chunk=state.chunk,
                             tool_calls=state.final_tool_calls()))
        return out
