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

from .._events import ChatEvent
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
        if value.get("error") is not None or value.get("object") == "error":
            self.error(value, out)
            return
        result = self.result
        usage = value.get("usage")
        if usage is not None:
            result.usage = usage
        if result.id is None:
            result.id = value.get("id")
            result.model = value.get("model")
        for choice in value.get("choices") or ():
            state = self.choice(choice.get("index", 0))
            delta = choice.get("delta")
            if delta is not None:
                content = delta.get("content")
                tool_calls = delta.get("tool_calls")
            else:  # legacy completions: choices[].text
                content, tool_calls = choice.get("text"), None
            if content is not None and not isinstance(content, str):
                raise TypeError(f"delta content must be a string, not {type(content).__name__}")
            self.delta(state, content, value, tool_calls, out)
            reason = choice.get("finish_reason")
            if reason is not None:
                self.finish(state, reason, value)
            text = choice.get("generated_text")
            if text is not None:
                state.generated_text = text
            logprobs = choice.get("logprobs")
            if logprobs is not None:
                state.logprobs.append(logprobs)
