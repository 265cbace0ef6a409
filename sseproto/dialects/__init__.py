"""Dialects: JSON payloads to chat events.  Adding one is one small module.

A dialect subclasses :class:`Dialect`, sets ``name``, and implements
``detect(first_payload)`` and ``payload(event, value, out)``; then it is
listed in :data:`DIALECTS` below (``auto`` tries them in that order).
"""

from __future__ import annotations

from .._events import StreamError
from ._base import ChatResult, ChoiceState, Dialect, error_event
from .anthropic import AnthropicDialect
from .gemini import GeminiDialect, gemini_error
from .ollama import OllamaDialect
from .openai import OpenAIDialect
from .responses import ResponsesDialect, is_responses_error, responses_error
from .tgi import TGIDialect

__all__ = ["ALIASES", "DIALECTS", "NDJSON_DIALECTS", "ChatResult", "ChoiceState", "Dialect",
           "error_event", "first_error"]

#: Dialects by name, in the order ``auto`` tries them.
DIALECTS: dict[str, type[Dialect]] = {
    OpenAIDialect.name: OpenAIDialect,
    TGIDialect.name: TGIDialect,
    AnthropicDialect.name: AnthropicDialect,
    ResponsesDialect.name: ResponsesDialect,
    GeminiDialect.name: GeminiDialect,
    OllamaDialect.name: OllamaDialect,
}

#: Dialects whose wire format is newline-delimited JSON rather than SSE.
NDJSON_DIALECTS = frozenset({OllamaDialect.name})

#: Other names accepted for a dialect.
ALIASES = {"predictionguard": "openai", "openai-chat": "openai"}


def first_error(value: object) -> StreamError | None:
    """The StreamError of an error payload that came before any dialect was chosen, or None.

    Covers every dialect's error shape: a top-level ``error`` (OpenAI, TGI,
    Anthropic, Ollama, Responses with a nested object), vLLM's ``"object":
    "error"``, the flat Responses ``{"type": "error", "code", "message"}``,
    and Google's ``{"error": {"code", "message", "status"}}``.
    """
    if not isinstance(value, dict):
        return error_event(value)
    if is_responses_error(value):
        return responses_error(value)
    error = value.get("error")
    if isinstance(error, dict) and "status" in error and "type" not in error:
        return gemini_error(value)  # Google's {"code", "message", "status"}
    if value.get("error") is not None or value.get("object") == "error":
        return error_event(value)
    return None
