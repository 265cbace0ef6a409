"""Dialects: JSON payloads to chat events, and the registry ``dialect=`` names come from.

A dialect subclasses :class:`Dialect` (see its docstring), and
:func:`register_dialect` makes it available by name to
:class:`~sseproto.ChatStreamDecoder`, the clients and the CLI.  ``auto``
tries the registered dialects' :meth:`Dialect.detect` in registration
order, built-in dialects first.

>>> from typing import Any
>>> import sseproto
>>> class Shout(sseproto.dialects.Dialect):
...     name = "shout"
...     def payload(self, event: str, value: dict[str, Any]) -> list[sseproto.ChatEvent]:
...         if value.get("end"):
...             return self.done()
...         return [self.delta(self.choice(0), value["say"].upper(), value)]
>>> sseproto.register_dialect("shout", Shout)
>>> chat = sseproto.ChatStreamDecoder("shout")
>>> [ev.content for ev in chat.feed(b'data: {"say": "hi"}\\n\\ndata: {"end": 1}\\n\\n')[:1]]
['HI']
"""

from __future__ import annotations

from collections.abc import Callable

from .._events import StreamError
from ._base import ChatResult, ChoiceState, Dialect, ShapeError, error_event, shape_error
from .anthropic import AnthropicDialect
from .bedrock import BedrockDialect
from .gemini import GeminiDialect, gemini_error
from .ollama import OllamaDialect
from .openai import OpenAIDialect
from .responses import ResponsesDialect, is_responses_error, responses_error
from .tgi import TGIDialect

__all__ = ["ChatResult", "ChoiceState", "Dialect", "DialectFactory", "ShapeError", "candidates",
           "dialect_names", "error_event", "first_error", "lookup", "register_dialect",
           "shape_error"]

#: Makes a fresh dialect for one stream (a :class:`Dialect` subclass is one).
DialectFactory = Callable[[], Dialect]


class _Entry:
    """A registered dialect: how to make it, and its class (for ``detect`` and ``framing``)."""

    __slots__ = ("cls", "factory")

    def __init__(self, factory: DialectFactory, cls: type[Dialect]) -> None:
        self.factory, self.cls = factory, cls


_REGISTRY: dict[str, _Entry] = {}
_ALIASES = {"predictionguard": "openai", "openai-chat": "openai"}


def register_dialect(name: str, factory: DialectFactory) -> None:
    """Make the dialect ``factory()`` builds available as ``dialect=name``.

    ``factory`` is called with no arguments once per stream (a
    :class:`Dialect` subclass is such a factory); it is called once here
    too, to check that it builds a :class:`Dialect` and to learn its class
    (for ``detect`` and ``framing``).  Registering a name again replaces
    the earlier dialect, keeping its place in ``auto``'s order.
    """
    if not isinstance(name, str) or not name or name == "auto":
        raise ValueError(
            f"a dialect name must be a non-empty string other than 'auto', not {name!r}")
    probe = factory()
    if not isinstance(probe, Dialect):
        raise ValueError(f"the factory for {name!r} must build a sseproto.dialects.Dialect,"
                         f" not {type(probe).__name__}")
    _REGISTRY[_ALIASES.get(name, name)] = _Entry(factory, type(probe))


def dialect_names() -> tuple[str, ...]:
    """The registered dialect names, in ``auto``'s order, then the aliases."""
    return (*_REGISTRY, *_ALIASES)


def lookup(name: str) -> tuple[str, DialectFactory, type[Dialect]]:
    """The dialect registered as ``name`` (or an alias): ``(name, factory, class)``.

    An unknown name raises :class:`ValueError` listing the known ones.
    """
    canonical = _ALIASES.get(name, name)
    entry = _REGISTRY.get(canonical)
    if entry is None:
        known = ", ".join(["auto", *dialect_names()])
        raise ValueError(f"unknown dialect {name!r}; known: {known}")
    return canonical, entry.factory, entry.cls


def candidates(framing: str | None = None) -> list[tuple[str, DialectFactory, type[Dialect]]]:
    """The registered dialects (of one framing), in ``auto``'s order: ``(name, factory, class)``."""
    return [(name, entry.factory, entry.cls) for name, entry in _REGISTRY.items()
            if framing is None or entry.cls.framing == framing]


for _cls in (OpenAIDialect, TGIDialect, AnthropicDialect, ResponsesDialect, OllamaDialect,
             GeminiDialect, BedrockDialect):
    register_dialect(_cls.name, _cls)


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
