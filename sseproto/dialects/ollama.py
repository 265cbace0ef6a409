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

import orjson

from .._errors import short_repr
from .._events import ChatEvent
from ._base import ChoiceState, Dialect

__all__ = ["OllamaDialect"]


def _message_parts(value: dict[str, Any], message: Any) -> tuple[str | None, str | None, Any]:
    """The text, thinking text and tool calls of one line (``/api/chat`` or ``/api/generate``)."""
    if message is None:
        content, reasoning, tool_calls = value["response"], value.get("thinking"), None
    else:
        content, reasoning = message.get("content"), message.get("thinking")
        tool_calls = message.get("tool_calls") or None
    for text in (content, reasoning):
        if text is not None and type(text) is not str:
            raise TypeError(f"the content must be a string, not {type(text).__name__}")
    return content, reasoning, tool_calls


class OllamaDialect(Dialect):
    name = "ollama"

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        return "done" in value and ("message" in value or "response" in value
                                    or "model" in value)

    def payload(self, event: str, value: Any, out: list[ChatEvent]) -> None:
        if value.get("error") is not None:
            self.error(value, out)
            return
        result = self.result
        if result.model is None:
            result.model = value.get("model")
        state = self.choice(0)
        message = value.get("message")
        has_text = message is not None or "response" in value
        if not has_text and "done" not in value:
            raise ValueError("no message, response, done or error key")
        if has_text:
            content, reasoning, tool_calls = _message_parts(value, message)
            if tool_calls:
                self._add_tool_calls(state, tool_calls)
            out.append(self.emit(state, value, content, reasoning, tool_calls=tool_calls))
        if value.get("done") is True:
            self.finish(state, value.get("done_reason"), value)
            self.done(out)

    @staticmethod
    def _add_tool_calls(state: ChoiceState, tool_calls: list[Any]) -> None:
        for call in tool_calls:
            function = call.get("function") or {}
            arguments = function.get("arguments")
            if not isinstance(arguments, str):
                arguments = "" if arguments is None else orjson.dumps(arguments).decode()
            name = function.get("name") or ""
            if type(name) is not str:
                raise TypeError(f"a tool name must be a string, not {short_repr(name)}")
            state.tool_calls[len(state.tool_calls)] = {
                "id": call.get("id"), "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
