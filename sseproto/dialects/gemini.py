"""Google Gemini ``streamGenerateContent?alt=sse`` (Gemini API and Vertex AI).

Wire format (``spec/dialects/gemini.md``): conforming SSE, one
``GenerateContentResponse`` per ``data:`` line, no event names and no end
marker.  ``candidates[].content.parts[]`` hold the new text (``{"text"}``,
thought summaries ``{"text", "thought": true}``, whole ``functionCall``
parts), ``candidates[].finishReason`` ends a candidate, ``usageMetadata``
holds running token counts, ``promptFeedback.blockReason`` says the prompt
itself was refused.  Errors are ``{"error": {"code", "message", "status"}}``.

Mapping: one Delta per candidate entry, indexed by candidate; the Finals
and Done come at the clean end of the stream after a ``finishReason``.
"""

from __future__ import annotations

from typing import Any

from .._errors import short_repr
from .._events import ChatEvent, StreamError
from ._base import Dialect, json_text, shape_error

__all__ = ["GeminiDialect", "finish_reason", "gemini_error"]

#: Gemini finish reasons with an OpenAI name; any other is lower-cased.
_REASONS = {
    "STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter",
    "RECITATION": "content_filter", "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter",
}


def finish_reason(reason: Any) -> str:
    """A Gemini ``finishReason`` (or ``blockReason``) in OpenAI's words."""
    if type(reason) is not str:
        raise shape_error("candidates[].finishReason", "a string", reason)
    return _REASONS.get(reason, reason.lower())


def gemini_error(value: Any) -> StreamError:
    """The StreamError of ``{"error": {"code", "message", "status"}}``, typed by ``status``."""
    error = value.get("error") if isinstance(value, dict) else None
    if not isinstance(error, dict):
        return StreamError(message=short_repr(value), type="error", code=None, payload=value)
    message, status, code = error.get("message"), error.get("status"), error.get("code")
    return StreamError(
        message=message if isinstance(message, str) else short_repr(error),
        type=status if isinstance(status, str) and status else "error",
        code=code if isinstance(code, str | int) and not isinstance(code, bool) else None,
        payload=value)


class GeminiDialect(Dialect):
    name = "gemini"

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        return "candidates" in value or "usageMetadata" in value or "promptFeedback" in value

    def __init__(self) -> None:
        super().__init__()
        self._finished = False  # a finishReason (or a blocked prompt) was seen

    def payload(self, event: str, value: dict[str, Any]) -> list[ChatEvent]:
        if value.get("error") is not None:
            return self.error(value)
        result = self.result
        if value.get("usageMetadata") is not None:
            result.usage = value["usageMetadata"]
        if result.id is None:
            result.id = value.get("responseId")
            result.model = value.get("modelVersion")
        candidates = value.get("candidates")
        if candidates is None:
            self._maybe_blocked(value)
            return []
        if type(candidates) is not list:
            raise shape_error("candidates", "an array", candidates)
        return [self._candidate(position, candidate, value)
                for position, candidate in enumerate(candidates)]

    def error(self, value: Any) -> list[ChatEvent]:
        return [gemini_error(value)]

    def close(self) -> list[ChatEvent]:
        """The clean end of the stream: the normal end once a candidate finished."""
        return self.done() if self._finished else []

    # --- internals ------------------------------------------------------------------

    def _candidate(self, position: int, candidate: Any, value: dict[str, Any]) -> ChatEvent:
        if type(candidate) is not dict:
            raise shape_error("candidates[]", "an object", candidate)
        index = candidate.get("index", position)
        if type(index) is not int:
            raise shape_error("candidates[].index", "an integer", index)
        state = self.choice(index)
        content, reasoning, calls = _parts(candidate.get("content"), len(state.tool_calls))
        reason = candidate.get("finishReason")
        if reason is not None:
            self.finish(state, finish_reason(reason), value)
            self._finished = True
        # The calls are whole, in the fragment shape: merging them adds each once.
        return self.delta(state, content, value, calls or None, reasoning)

    def _maybe_blocked(self, value: dict[str, Any]) -> None:
        """A blocked prompt: candidate 0 ends with ``content_filter`` and no text."""
        feedback = value.get("promptFeedback")
        if isinstance(feedback, dict) and feedback.get("blockReason") is not None:
            self.finish(self.choice(0), "content_filter", value)
            self._finished = True


def _parts(content: Any, calls_so_far: int) -> tuple[str | None, str | None, list[Any]]:
    """A candidate content's (text, thought text, function calls as tool-call fragments)."""
    if content is None:
        return None, None, []
    if type(content) is not dict:
        raise shape_error("candidates[].content", "an object", content)
    parts = content.get("parts") or []
    if type(parts) is not list:
        raise shape_error("candidates[].content.parts", "an array", parts)
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in parts:
        if type(part) is not dict:
            raise shape_error("candidates[].content.parts[]", "an object", part)
        text = part.get("text")
        if text is not None:
            if type(text) is not str:
                raise shape_error("candidates[].content.parts[].text", "a string", text)
            (thoughts if part.get("thought") is True else texts).append(text)
        elif part.get("functionCall") is not None:
            calls.append(_tool_call(part["functionCall"], calls_so_far + len(calls)))
    return ("".join(texts) if texts else None, "".join(thoughts) if thoughts else None, calls)


def _tool_call(call: Any, index: int) -> dict[str, Any]:
    """A whole ``functionCall`` in the chat-completions shape, ``args`` as JSON text."""
    if type(call) is not dict or type(call.get("name")) is not str:
        raise shape_error("candidates[].content.parts[].functionCall",
                          "an object with a name", call)
    args = call.get("args")
    arguments = "" if args is None else json_text(
        args, "candidates[].content.parts[].functionCall.args")
    return {"index": index, "id": call.get("id"), "type": "function",
            "function": {"name": call["name"], "arguments": arguments}}

