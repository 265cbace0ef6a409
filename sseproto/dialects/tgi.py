"""Hugging Face text-generation-inference ``/generate_stream``.

Wire format (``spec/dialects/tgi.md``): one payload per token,
``{"index", "token": {"id", "text", "logprob", "special"}, "generated_text",
"details"}``.  There is no ``[DONE]``: the payload whose ``generated_text``
is not null is the last one, and its ``details.finish_reason`` is the finish
reason.  Special tokens are not visible text, so their ``Delta.content`` is
``None``.  Errors look like ``{"error": "...", "error_type": "..."}``.
"""

from __future__ import annotations

from typing import Any

from .._events import ChatEvent
from ._base import Dialect, shape_error

__all__ = ["TGIDialect"]


class TGIDialect(Dialect):
    name = "tgi"

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        return "token" in value

    def payload(self, event: str, value: dict[str, Any]) -> list[ChatEvent]:
        if value.get("error") is not None:
            return self.error(value)
        state = self.choice(0)
        token = value.get("token") or {}
        if type(token) is not dict:
            raise shape_error("token", "an object", token)
        content = None if token.get("special") else token.get("text")
        if content is not None and not isinstance(content, str):
            raise shape_error("token.text", "a string", content)
        out = [self.delta(state, content, value)]
        logprob = token.get("logprob")
        if logprob is not None:
            state.logprobs.append(logprob)
        text = value.get("generated_text")
        if text is not None:
            state.generated_text = text
            details = value.get("details") or {}
            if type(details) is not dict:
                raise shape_error("details", "an object", details)
            self.finish(state, details.get("finish_reason"), value)
            out += self.done()
        return out
