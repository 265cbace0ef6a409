"""Anthropic Messages streaming (``POST /v1/messages`` with ``"stream": true``).

Wire format (``spec/dialects/anthropic.md``): named SSE events whose JSON
repeats the name in ``type``: ``message_start`` (the message shell: ``id``,
``model``, ``usage``), then per content block ``content_block_start``,
``content_block_delta``\\* and ``content_block_stop``, then ``message_delta``
(``delta.stop_reason`` and ``usage``) and ``message_stop``.  ``ping`` events
may come anywhere; ``error`` events carry ``{"type": "error", "error":
{"type", "message"}}``.

Mapping: content-block indexes are not choices, so everything is choice 0.
``text_delta`` is visible text; ``input_json_delta`` (tool input),
``thinking_delta``, ``signature_delta`` and others give a Delta whose
content is ``None`` (the payload stays on ``Delta.chunk``).  Tool calls are
accumulated per content block: ``id`` and ``name`` from a ``tool_use``
block's start, ``arguments`` the joined ``partial_json`` pieces.  ``usage``
is the last non-null object as sent (``message_start``'s, then each
``message_delta``'s replaces it).  ``message_stop`` is the normal end.
"""

from __future__ import annotations

from typing import Any

from .._events import ChatEvent, make_delta
from ._base import Dialect, shape_error

__all__ = ["EVENT_TYPES", "AnthropicDialect"]

#: The event types of a Messages stream (``error`` aside), for ``auto``.
EVENT_TYPES = frozenset({
    "message_start", "content_block_start", "content_block_delta", "content_block_stop",
    "message_delta", "message_stop", "ping",
})


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
                result.usage = message["usage"]
            self.choice(0).chunk = value
        elif kind == "content_block_start":
            return self._block_start(value)
        elif kind == "message_delta":
            if value.get("usage") is not None:
                self.result.usage = value["usage"]
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
        content = None
        if kind == "text_delta":
            content = delta.get("text")
            if type(content) is not str:
                raise shape_error("delta.text", "a string", content)
            if content:
                state.pieces.append(content)
        elif kind == "input_json_delta":
            piece = delta.get("partial_json")
            if piece:
                if type(piece) is not str:
                    raise shape_error("delta.partial_json", "a string", piece)
                call = state.tool_calls.get(self._block_index(value))
                if call is not None:
                    call["function"]["arguments"] += piece
        if state.finish_reason is None:
            state.chunk = value
        return make_delta(0, content, None, None, None, value)

    def _block_start(self, value: dict[str, Any]) -> list[ChatEvent]:
        block = _object(value, "content_block")
        kind = block.get("type")
        if kind == "tool_use":
            state = self.choice(0)
            state.tool_calls[self._block_index(value)] = {
                "id": block.get("id"), "type": "function",
                "function": {"name": block.get("name") or "", "arguments": ""},
            }
        elif kind == "text" and block.get("text"):
            # Blocks start empty; should one not, its text is visible text too.
            text = block["text"]
            if type(text) is not str:
                raise shape_error("content_block.text", "a string", text)
            return [self.delta(self.choice(0), text, value)]
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
