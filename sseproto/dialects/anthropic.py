"""Anthropic Messages streaming (``POST /v1/messages`` with ``"stream": true``).

Wire format (``spec/dialects/anthropic.md``): named SSE events whose JSON
repeats the name in ``type``: ``message_start`` (the message shell: ``id``,
``model``, ``usage``), then per content block ``content_block_start``,
``content_block_delta``\\* and ``content_block_stop``, then ``message_delta``
(``delta.stop_reason`` and ``usage``) and ``message_stop``.  ``ping`` events
may come anywhere; ``error`` events carry ``{"type": "error", "error":
{"type", "message"}}``.

Mapping: content-block indexes are not choices, so everything is choice 0.
``text_delta`` is visible text and ``thinking_delta`` reasoning;
``input_json_delta`` (tool input), ``signature_delta`` and others give a
Delta with neither (the payload stays on ``Delta.chunk``).  Tool calls are
accumulated per content block: ``id`` and ``name`` from a ``tool_use``
block's start, ``arguments`` the joined ``partial_json`` pieces.  ``usage``
is ``message_start``'s, updated by each ``message_delta``'s as the SDK
merges them (:func:`merge_usage`).  ``message_stop`` is the normal end.
"""

from __future__ import annotations

from typing import Any

from .._events import ChatEvent
from ._base import Dialect, shape_error

__all__ = ["EVENT_TYPES", "AnthropicDialect", "merge_usage"]

#: The event types of a Messages stream (``error`` aside), for ``auto``.
EVENT_TYPES = frozenset({
    "message_start", "content_block_start", "content_block_delta", "content_block_stop",
    "message_delta", "message_stop", "ping",
})

#: Content blocks that may start with text, and the key holding it.
_TEXT_BLOCKS = {"text": "text", "thinking": "thinking"}


def merge_usage(usage: dict[str, Any] | None, update: Any) -> dict[str, Any]:
    """``usage`` updated by a ``message_delta``'s usage, as the Anthropic SDK merges them.

    The SDK's ``accumulate_event`` sets ``output_tokens`` from every
    ``message_delta`` and every other field only when it is not null, so
    ``message_start``'s ``input_tokens`` survives a delta that does not
    repeat it.  The result is a new dict: the payloads stay as sent.
    """
    if type(update) is not dict:
        raise shape_error("usage", "an object", update)
    merged = dict(usage) if usage is not None else {}
    for key, count in update.items():
        if count is not None or key == "output_tokens":
            merged[key] = count
    return merged


def _string(value: dict[str, Any], key: str, field: str) -> str:
    text = value.get(key)
    if type(text) is not str:
        raise shape_error(field, "a string", text)
    return text


class AnthropicDialect(Dialect):
    name = "anthropic"

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        kind = value.get("type")
        return type(kind) is str and kind in EVENT_TYPES

    def payload(self, event: str, value: dict[str, Any]) -> list[ChatEvent]:
        kind = value.get("type") or event
        if not kind or type(kind) is not str:
            raise shape_error("type", "a non-empty string", kind)
        if kind == "content_block_delta":
            return [self._block_delta(value)]
        if kind == "message_start":
            message = _object(value, "message")
            result = self.result
            result.id = message.get("id")
            result.model = message.get("model")
            if message.get("usage") is not None:
                result.usage = merge_usage(None, message["usage"])
            self.choice(0).chunk = value
        elif kind == "content_block_start":
            return self._block_start(value)
        elif kind == "message_delta":
            if value.get("usage") is not None:
                self.result.usage = merge_usage(self.result.usage, value["usage"])
            delta = value.get("delta") or {}
            if type(delta) is not dict:
                raise shape_error("delta", "an object", delta)
            self.finish(self.choice(0), delta.get("stop_reason"), value)
        elif kind == "message_stop":
            self.choice(0)
            return self.done()
        elif kind == "error" or value.get("error") is not None:
            return self.error(value)
        # ping, content_block_stop and event types added later: nothing to do.
        return []

    def _block_delta(self, value: dict[str, Any]) -> ChatEvent:
        delta = _object(value, "delta")
        kind = delta.get("type")
        state = self.choice(0)
        content = reasoning = None
        if kind == "text_delta":
            content = _string(delta, "text", "delta.text")
        elif kind == "thinking_delta":
            reasoning = _string(delta, "thinking", "delta.thinking")
        elif kind == "input_json_delta":
            piece = delta.get("partial_json")
            if piece:
                if type(piece) is not str:
                    raise shape_error("delta.partial_json", "a string", piece)
                call = state.tool_calls.get(self._block_index(value))
                if call is not None:
                    call["function"]["arguments"] += piece
        return self.delta(state, content, value, reasoning=reasoning)

    def _block_start(self, value: dict[str, Any]) -> list[ChatEvent]:
        block = _object(value, "content_block")
        kind = block.get("type")
        if kind == "tool_use":
            state = self.choice(0)
            state.tool_calls[self._block_index(value)] = {
                "id": block.get("id"), "type": "function",
                "function": {"name": block.get("name") or "", "arguments": ""},
            }
        elif type(kind) is str and kind in _TEXT_BLOCKS and block.get(_TEXT_BLOCKS[kind]):
            # Blocks start empty; should one not, its text counts as a delta's.
            key = _TEXT_BLOCKS[kind]
            text = _string(block, key, f"content_block.{key}")
            if kind == "text":
                return [self.delta(self.choice(0), text, value)]
            return [self.delta(self.choice(0), None, value, reasoning=text)]
        return []

    @staticmethod
    def _block_index(value: dict[str, Any]) -> int:
        index = value.get("index", 0)
        if type(index) is not int:
            raise shape_error("index", "an integer", index)
        return index


def _object(value: dict[str, Any], key: str) -> dict[str, Any]:
    """``value[key]``, which must be a JSON object."""
    found = value.get(key)
    if type(found) is not dict:
        raise shape_error(key, "an object", found)
    return found
