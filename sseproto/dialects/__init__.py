"""Dialects: JSON payloads to chat events.  Adding one is one small module.

A dialect subclasses :class:`Dialect`, sets ``name``, and implements
``detect(first_payload)`` and ``payload(event, value, out)``; then it is
listed in :data:`DIALECTS` below (``auto`` tries them in that order).
"""

from __future__ import annotations

from ._base import ChatResult, ChoiceState, Dialect, error_event
from .openai import OpenAIDialect
from .tgi import TGIDialect

__all__ = ["ALIASES", "DIALECTS", "ChatResult", "ChoiceState", "Dialect", "error_event"]

#: Dialects by name, in the order ``auto`` tries them.
DIALECTS: dict[str, type[Dialect]] = {
    OpenAIDialect.name: OpenAIDialect,
    TGIDialect.name: TGIDialect,
}

#: Other names accepted for a dialect.
ALIASES = {"predictionguard": "openai", "openai-chat": "openai"}
