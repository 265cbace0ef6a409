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

from .._events import ChatEvent, make_delta
from ._base import Dialect, shape_error

__all__ = ["OpenAIDialect", "content_parts"]


def _choice_delta(choice: dict[str, Any]) -> tuple[str | None, str | None, str | None, Any]:
    """A choice's content, reasoning, refusal and tool-call fragments."""
    delta = choice.get("delta")
    if delta is None:  # legacy completions: choices[].text
        content, reasoning, refusal, tool_calls = choice.get("text"), None, None, None
    else:
        if type(delta) is not dict:
            raise shape_error("choices[].delta", "an object", delta)
        content = delta.get("content")
        tool_calls = delta.get("tool_calls")
        reasoning, refusal = _side_texts(delta)
    if type(content) is list:
        content, parts_reasoning = content_parts(content)
        if reasoning is None:
            reasoning = parts_reasoning
    elif content is not None and type(content) is not str:
        raise shape_error("choices[].delta.content", "a string or a list of parts", content)
    return content, reasoning, refusal, tool_calls


def _side_texts(delta: dict[str, Any]) -> tuple[str | None, str | None]:
    """A delta's reasoning text (``reasoning_content``, else ``reasoning``) and refusal.

    Values that are not strings are left on the chunk rather than failing the
    stream: these fields are extensions, and servers vary in their shape.
    """
    reasoning = delta.get("reasoning_content")
    if reasoning is None:
        reasoning = delta.get("reasoning")
    refusal = delta.get("refusal")
    return (reasoning if type(reasoning) is str else None,
            refusal if type(refusal) is str else None)


def content_parts(parts: list[Any]) -> tuple[str | None, str | None]:
    """Mistral's content-part list: (joined ``text`` parts, joined ``thinking`` parts).

    ``[{"type": "thinking", "thinking": [{"type": "text", "text": "..."}]},
    {"type": "text", "text": "..."}]``: each side is ``None`` when it has no
    part.  Other part types (images, references) carry no text.
    """
    texts: list[str] = []
    thoughts: list[str] = []
    for part in parts:
        if type(part) is not dict:
            raise shape_error("choices[].delta.content[]", "an object", part)
        kind = part.get("type")
        if kind == "text":
            texts.append(_part_text(part.get("text"), "text"))
        elif kind == "thinking":
            thinking = part.get("thinking")
            if type(thinking) is list:
                thoughts += [_part_text(p.get("text"), "thinking[].text") for p in thinking
                             if type(p) is dict and p.get("type") == "text"]
            else:
                thoughts.append(_part_text(thinking, "thinking"))
    return ("".join(texts) if texts else None, "".join(thoughts) if thoughts else None)


def _part_text(text: Any, key: str) -> str:
    if type(text) is not str:
        raise shape_error(f"choices[].delta.content[].{key}", "a string", text)
    return text


class OpenAIDialect(Dialect):
    name = "openai"

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        kind = value.get("object")
        return "choices" in value or (isinstance(kind, str) and kind.startswith("chat.completion"))

    def __init__(self) -> None:
        super().__init__()
        self._warm = False  # a payload went through the general path

    def plain_run(self, values: list[dict[str, Any]], start: int, out: list[ChatEvent]) -> int:
        # The common chunk, once the stream is under way: one choice whose delta
        # is exactly {"content": "..."}, no finish reason, usage or error.
        # Anything else (a new delta field included) takes the general path.
        if not self._warm:
            return start
        states, append = self.result.choices, out.append
        for at in range(start, len(values)):
            value = values[at]
            choices = value.get("choices")
            if type(choices) is not list or len(choices) != 1:
                return at
            choice = choices[0]
            if type(choice) is not dict or len(choice) > 5:
                return at
            delta, index = choice.get("delta"), choice.get("index", 0)
            if type(delta) is not dict or len(delta) != 1 or type(index) is not int:
                return at
            content, state = delta.get("content"), states.get(index)
            if (type(content) is not str or state is None
                    or choice.get("finish_reason") is not None
                    or choice.get("generated_text") is not None or "error" in value
                    or "usage" in value or value.get("object") == "error"):
                return at
            if content:
                state.pieces.append(content)
            if state.finish_reason is None:
                state.chunk = value
            logprobs = choice.get("logprobs")
            if logprobs is not None:
                state.logprobs.append(logprobs)
            append(make_delta(index, content, None, None, None, value))
        return len(values)

    def payload(self, event: str, value: dict[str, Any]) -> list[ChatEvent]:
        self._warm = True
        if event == "ping":
            return []
        if value.get("error") is not None or value.get("object") == "error":
            return self.error(value)
        result = self.result
        if "usage" in value and value["usage"] is not None:
            result.usage = value["usage"]
        if result.id is None:
            result.id = value.get("id")
            result.model = value.get("model")
        choices = value.get("choices") or ()
        if type(choices) is not list and choices != ():
            raise shape_error("choices", "an array", choices)
        return [self._choice(choice, value) for choice in choices]

    def _choice(self, choice: Any, value: dict[str, Any]) -> ChatEvent:
        if type(choice) is not dict:
            raise shape_error("choices[]", "an object", choice)
        index = choice.get("index", 0)
        if type(index) is not int:
            raise shape_error("choices[].index", "an integer", index)
        state = self.result.choices.get(index) or self.choice(index)
        content, reasoning, refusal, tool_calls = _choice_delta(choice)
        event = self.delta(state, content, value, tool_calls, reasoning, refusal)
        reason = choice.get("finish_reason")
        if reason is not None:
            state.finish_reason = reason
            state.chunk = value
        if "generated_text" in choice and choice["generated_text"] is not None:
            state.generated_text = choice["generated_text"]
        logprobs = choice.get("logprobs")
        if logprobs is not None:
            state.logprobs.append(logprobs)
        return event
