"""The OpenAI chat-completions dialect (also Prediction Guard, vLLM and other compatibles).

Wire format (``spec/dialects/openai.md``): each payload is a
``chat.completion.chunk`` with ``choices[].delta`` (``role``, ``content``,
``tool_calls`` fragments), ``choices[].finish_reason``, and optionally a
``usage`` object (on a last chunk with empty ``choices``, or on every chunk
with vLLM's ``continuous_usage_stats``).  Prediction Guard adds
``choices[].generated_text`` (the full text, on the last chunk) and numeric
``logprobs``.  Errors arrive as ``{"error": {...}}`` or vLLM's
``{"object": "error", ...}`` payloads, or as ``event: error`` frames.  The
end marker is ``[DONE]``, handled by the chat decoder.
"""

from __future__ import annotations

from typing import Any

from .._errors import short_repr
from .._events import ChatEvent, make_delta
from ._base import Dialect

__all__ = ["OpenAIDialect"]


class OpenAIDialect(Dialect):
    name = "openai"

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        kind = value.get("object")
        return "choices" in value or (isinstance(kind, str) and kind.startswith("chat.completion"))

    def payload(self, event: str, value: Any, out: list[ChatEvent]) -> None:
        if event == "ping":
            return
        if ("error" in value and value["error"] is not None) or value.get("object") == "error":
            self.error(value, out)
            return
        result = self.result
        if "usage" in value and value["usage"] is not None:
            result.usage = value["usage"]
        if result.id is None:
            result.id = value.get("id")
            result.model = value.get("model")
        choices = value.get("choices") or ()
        states = result.choices
        for choice in choices:
            index = choice.get("index", 0)
            if type(index) is not int:
                raise TypeError(f"a choice index must be an integer, not {short_repr(index)}")
            state = states.get(index) or self.choice(index)
            delta = choice.get("delta")
            if delta is not None:
                content = delta.get("content")
                tool_calls = delta.get("tool_calls")
            else:  # legacy completions: choices[].text
                content, tool_calls = choice.get("text"), None
            if content:
                if type(content) is not str:
                    raise TypeError(f"delta content must be a string, not {type(content).__name__}")
                state.pieces.append(content)
            elif content is not None and content != "":
                raise TypeError(f"delta content must be a string, not {type(content).__name__}")
            if tool_calls:
                state.add_tool_calls(tool_calls)
            reason = choice.get("finish_reason")
            if reason is not None:
                state.finish_reason = reason
                state.chunk = value
            elif state.finish_reason is None:
                state.chunk = value
            out.append(make_delta(index, content, None, None, tool_calls, value))
            if "generated_text" in choice and choice["generated_text"] is not None:
                state.generated_text = choice["generated_text"]
            logprobs = choice.get("logprobs")
            if logprobs is not None:
                state.logprobs.append(logprobs)
