"""Ollama's native streaming API: ``/api/chat`` and ``/api/generate``.

Wire format (``spec/dialects/ollama.md``): newline-delimited JSON, not SSE
(framing: :mod:`sseproto._ndjson`).  Each line is one object with ``model``,
``created_at`` and ``done``; the text is in ``message.content`` (chat) or
``response`` (generate).  The last line has ``"done": true``, a
``done_reason`` and timing and token counts at the top level (no ``usage``
object).  Errors are ``{"error": "message"}``.

Mapping: one Delta per line that has ``message`` or ``response``;
``message.thinking`` (``thinking`` with ``/api/generate``) is its reasoning,
tool calls are not visible text.  Tool calls
arrive whole in ``message.tool_calls`` (``arguments`` is an object) and are
accumulated in the chat-completions shape, ``arguments`` as JSON text.
``"done": true`` gives the Final (``finish_reason`` = ``done_reason``,
``usage`` ``None``, text = the joined deltas) and Done.
"""

from __future__ import annotations

from typing import Any

from .._events import ChatEvent, make_delta
from ._base import ChoiceState, Dialect, ShapeError, json_text, shape_error

__all__ = ["OllamaDialect"]


def _message_parts(value: dict[str, Any], message: Any) -> tuple[str | None, str | None, Any]:
    """The text, thinking text and tool calls of one line (``/api/chat`` or ``/api/generate``)."""
    if message is None:
        content, reasoning, tool_calls = value["response"], value.get("thinking"), None
    else:
        if type(message) is not dict:
            raise shape_error("message", "an object", message)
        content, reasoning = message.get("content"), message.get("thinking")
        tool_calls = message.get("tool_calls") or None
    for key, text in (("content", content), ("thinking", reasoning)):
        if text is not None and type(text) is not str:
            raise shape_error(f"message.{key}", "a string", text)
    return content, reasoning, tool_calls


class OllamaDialect(Dialect):
    name = "ollama"
    framing = "ndjson"

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        return "done" in value and ("message" in value or "response" in value
                                    or "model" in value)

    def payload(self, event: str, value: dict[str, Any]) -> list[ChatEvent]:
        if value.get("error") is not None:
            return self.error(value)
        result = self.result
        if result.model is None:
            result.model = value.get("model")
        state = self.choice(0)
        message = value.get("message")
        has_text = message is not None or "response" in value
        if not has_text and "done" not in value:
            raise ShapeError("no message, response, done or error key", field="message")
        out: list[ChatEvent] = []
        if has_text:
            content, reasoning, tool_calls = _message_parts(value, message)
            if tool_calls:
                self._add_tool_calls(state, tool_calls)
            if reasoning:
                state.reasoning_pieces.append(reasoning)
            if content:
                state.pieces.append(content)
            if state.finish_reason is None:
                state.chunk = value
            out.append(make_delta(0, content, reasoning, None, tool_calls, value))
        if value.get("done") is True:
            self.finish(state, value.get("done_reason"), value)
            out += self.done()
        return out

    @staticmethod
    def _add_tool_calls(state: ChoiceState, tool_calls: Any) -> None:
        if type(tool_calls) is not list:
            raise shape_error("message.tool_calls", "an array", tool_calls)
        for call in tool_calls:
            if type(call) is not dict:
                raise shape_error("message.tool_calls[]", "an object", call)
            function = call.get("function") or {}
            if type(function) is not dict:
                raise shape_error("message.tool_calls[].function", "an object", function)
            arguments = function.get("arguments")
            if not isinstance(arguments, str):
                arguments = "" if arguments is None else json_text(
                    arguments, "message.tool_calls[].function.arguments")
            name = function.get("name") or ""
            if type(name) is not str:
                raise shape_error("message.tool_calls[].function.name", "a string", name)
            state.tool_calls[len(state.tool_calls)] = {
                "id": call.get("id"), "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
