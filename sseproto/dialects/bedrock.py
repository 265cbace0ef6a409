"""AWS Bedrock: ``ConverseStream`` and ``InvokeModelWithResponseStream``.

Wire format (``spec/dialects/bedrock.md``): AWS event-stream messages
(framing: :mod:`sseproto.framing.eventstream`), each naming its event in
the ``:event-type`` header with a JSON payload.

- ``ConverseStream``: ``messageStart``, then per content block
  ``contentBlockStart`` (tool uses), ``contentBlockDelta`` (``delta.text``,
  ``delta.reasoningContent.text``, ``delta.toolUse.input``) and
  ``contentBlockStop``, then ``messageStop`` (``stopReason``) and
  ``metadata`` (``usage``).  Content-block indexes are not choices: all
  is choice 0.  The normal end is the end of the body after
  ``messageStop``; ``metadata``, the last event Bedrock sends, carries the
  usage, so the Final and Done come there (or at ``close()`` without it).
- ``InvokeModelWithResponseStream``: ``chunk`` events whose ``bytes`` is
  the base64 of one JSON object in the model's own format.  Those go to
  the dialect that recognises the first one (Anthropic Claude's Messages
  events, OpenAI-compatible chunks), or, for Amazon Nova, whose objects
  are ConverseStream events keyed by name, to the ConverseStream rules.
  Amazon Titan, Meta Llama and Mistral send their own text chunks
  (``outputText``, ``generation``, ``outputs[0].text``) with a stop reason
  (lower-cased) and ``amazon-bedrock-invocationMetrics`` (the usage) on the
  last; the stream ends with the body.
- Exceptions (``:message-type`` ``exception`` or ``error``) are
  StreamErrors typed by ``:exception-type`` (or ``:error-code``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import orjson

from .._events import ChatEvent, StreamError
from ._base import ChoiceState, Dialect, ShapeError, error_event, shape_error

__all__ = ["CONVERSE_EVENTS", "BedrockDialect"]


class BedrockDialect(Dialect):
    name = "bedrock"
    framing = "eventstream"

    def __init__(self) -> None:
        super().__init__()
        self._stopped = False  # messageStop was seen
        self._inner: Dialect | None = None  # the model's dialect (InvokeModelWithResponseStream)
        self._nova = False  # InvokeModelWithResponseStream chunks in ConverseStream's shape
        self._native: tuple[str, str] | None = None  # a model's own text chunks: (text, reason)

    def payload(self, event: str, value: dict[str, Any]) -> list[ChatEvent]:
        if event == "chunk":
            return self._chunk(value)
        handler = _HANDLERS.get(event)
        return handler(self, value) if handler is not None else []

    def error(self, value: Any) -> list[ChatEvent]:
        """An exception message: the framing gives a :class:`StreamError` already typed."""
        if isinstance(value, StreamError):
            return [value]
        return [error_event(value)]

    def close(self) -> list[ChatEvent]:
        if self._inner is not None:
            return self._inner.close()
        return self.done() if self._stopped else []

    # --- ConverseStream -------------------------------------------------------------

    def _block_start(self, value: dict[str, Any]) -> list[ChatEvent]:
        start = _member(value, "start")
        tool = start.get("toolUse")
        if tool is not None:
            if type(tool) is not dict:
                raise shape_error("start.toolUse", "an object", tool)
            name = tool.get("name")
            if type(name) is not str:
                raise shape_error("start.toolUse.name", "a string", name)
            self.choice(0).tool_calls[_block_index(value)] = {
                "id": tool.get("toolUseId"), "type": "function",
                "function": {"name": name, "arguments": ""}}
        return []

    def _block_delta(self, value: dict[str, Any]) -> list[ChatEvent]:
        delta = _member(value, "delta")
        state = self.choice(0)
        content = _text(delta, "text", "delta.text")
        reasoning = None
        thought = delta.get("reasoningContent")
        if thought is not None:
            if type(thought) is not dict:
                raise shape_error("delta.reasoningContent", "an object", thought)
            reasoning = _text(thought, "text", "delta.reasoningContent.text")
        tool = delta.get("toolUse")
        if tool is not None:
            self._tool_input(state, _block_index(value), tool)
        return [self.delta(state, content, value, reasoning=reasoning)]

    def _tool_input(self, state: ChoiceState, index: int, tool: Any) -> None:
        if type(tool) is not dict:
            raise shape_error("delta.toolUse", "an object", tool)
        piece = _text(tool, "input", "delta.toolUse.input")
        call = state.tool_calls.get(index)
        if call is None:  # a delta without its start: keep the arguments anyway
            call = state.tool_calls[index] = {
                "id": None, "type": "function", "function": {"name": "", "arguments": ""}}
        if piece:
            call["function"]["arguments"] += piece

    def _message_stop(self, value: dict[str, Any]) -> list[ChatEvent]:
        reason = value.get("stopReason")
        if reason is not None and type(reason) is not str:
            raise shape_error("stopReason", "a string", reason)
        self.finish(self.choice(0), reason, value)
        self._stopped = True
        return []

    def _metadata(self, value: dict[str, Any]) -> list[ChatEvent]:
        usage = value.get("usage")
        if usage is not None:
            if type(usage) is not dict:
                raise shape_error("usage", "an object", usage)
            self.result.usage = usage
        return self.done() if self._stopped else []

    def _message_start(self, value: dict[str, Any]) -> list[ChatEvent]:
        self.choice(0).chunk = value
        return []

    # --- InvokeModelWithResponseStream ----------------------------------------------

    def _chunk(self, value: dict[str, Any]) -> list[ChatEvent]:
        inner = _decode_bytes(value)
        if self._inner is None and not self._nova and self._native is None:
            self._nova = len(inner) == 1 and next(iter(inner)) in _HANDLERS
            self._native = next((keys for keys in _NATIVE if keys[0] in inner), None)
            if not self._nova and self._native is None:
                return self._first_inner(inner)
        if self._inner is not None:
            return self._inner.payload("", inner)
        if self._native is not None:
            return self._native_chunk(inner, *self._native)
        if len(inner) != 1:
            raise shape_error("bytes", "one ConverseStream event", inner)
        [(event, body)] = inner.items()
        if type(body) is not dict:
            raise shape_error(f"bytes.{event}", "an object", body)
        return self.payload(event, body) if event != "chunk" else []

    def _native_chunk(self, inner: dict[str, Any], text_key: str,
                      reason_key: str) -> list[ChatEvent]:
        """A chunk of a model's own text format (Titan, Llama, Mistral): text and a reason."""
        if text_key == "outputs":  # Mistral: {"outputs": [{"text", "stop_reason"}]}
            outputs = inner.get("outputs")
            if type(outputs) is not list or not outputs or type(outputs[0]) is not dict:
                raise shape_error("bytes.outputs", "an array of objects", outputs)
            inner = outputs[0]
            text_key = "text"
        state = self.choice(0)
        reason = inner.get(reason_key)
        if reason is not None:
            if type(reason) is not str:
                raise shape_error(f"bytes.{reason_key}", "a string", reason)
            self.finish(state, reason.lower(), inner)
            self._stopped = True
        metrics = inner.get("amazon-bedrock-invocationMetrics")
        if type(metrics) is dict:
            self.result.usage = metrics
        return [self.delta(state, _text(inner, text_key, f"bytes.{text_key}"), inner)]

    def _first_inner(self, inner: dict[str, Any]) -> list[ChatEvent]:
        """The first decoded object picks the model's dialect, as ``auto`` picks one for SSE."""
        from . import candidates, first_error  # the registry imports this module

        for _, factory, cls in candidates("sse"):
            if cls.detect(inner):
                self._inner = factory()
                self.result = self._inner.result
                return self._inner.payload("", inner)
        error = first_error(inner)
        if error is not None:
            return [error]
        raise ShapeError(f"bytes decodes to no payload of a known model format: keys"
                         f" {sorted(inner)[:8]}", field="bytes")


def _decode_bytes(value: dict[str, Any]) -> dict[str, Any]:
    """The JSON object in a ``chunk`` event's base64 ``bytes``."""
    raw = value.get("bytes")
    if type(raw) is not str:
        raise shape_error("bytes", "a base64 string", raw)
    try:
        inner = orjson.loads(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError):
        raise shape_error("bytes", "the base64 of a JSON object", raw) from None
    if type(inner) is not dict:
        raise shape_error("bytes", "the base64 of a JSON object", inner)
    return inner


def _member(value: dict[str, Any], key: str) -> dict[str, Any]:
    member = value.get(key)
    if type(member) is not dict:
        raise shape_error(key, "an object", member)
    return member


def _text(value: dict[str, Any], key: str, field: str) -> str | None:
    text = value.get(key)
    if text is not None and type(text) is not str:
        raise shape_error(field, "a string", text)
    return text


def _block_index(value: dict[str, Any]) -> int:
    index = value.get("contentBlockIndex", 0)
    if type(index) is not int:
        raise shape_error("contentBlockIndex", "an integer", index)
    return index


#: Models whose InvokeModelWithResponseStream chunks are their own text format:
#: (the key holding the text, the key holding the stop reason).
_NATIVE = (
    ("outputText", "completionReason"),  # Amazon Titan Text: FINISH, LENGTH, ...
    ("generation", "stop_reason"),  # Meta Llama: stop, length
    ("outputs", "stop_reason"),  # Mistral: stop, length
)

_Handler = Callable[[BedrockDialect, dict[str, Any]], list[ChatEvent]]

#: ConverseStream's events (``contentBlockStop`` carries nothing to report).
_HANDLERS: dict[str, _Handler] = {
    "messageStart": BedrockDialect._message_start,
    "contentBlockStart": BedrockDialect._block_start,
    "contentBlockDelta": BedrockDialect._block_delta,
    "contentBlockStop": lambda dialect, value: [],
    "messageStop": BedrockDialect._message_stop,
    "metadata": BedrockDialect._metadata,
}
CONVERSE_EVENTS = frozenset(_HANDLERS)
