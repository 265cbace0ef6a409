"""Event types: what the decoders return.

Events are frozen, slotted, keyword-only dataclasses, compared with ``==``
and meant to be dispatched with ``match``::

    match ev:
        case Delta(content=text): ...
        case Final(generated_text=text): ...
        case Done(): ...
        case StreamError(message=msg): ...

The decoders build events on their hot path through :func:`_builder`, which
sets the slots directly: a frozen dataclass ``__init__`` costs several times
more, and a chat stream creates one event per token.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, TypeVar

__all__ = ["ChatEvent", "Delta", "Done", "Final", "ServerSentEvent", "StreamError"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSentEvent:
    """One dispatched SSE event (WHATWG HTML 9.2.6, "dispatch the event").

    - ``event``: the event type, ``"message"`` when the block set none.
    - ``data``: the data buffer without its last LF.
    - ``id``: the last event ID at dispatch: ``None`` if no ``id`` field was
      ever accepted, ``""`` after a reset by an empty ``id``.
    - ``retry``: the reconnection time (ms) in force at dispatch, or ``None``.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


# The chunk in an event's repr(): its first keys and short values, never all of it.
_CHUNK = reprlib.Repr()
_CHUNK.maxlevel, _CHUNK.maxdict, _CHUNK.maxlist, _CHUNK.maxstring = 2, 4, 2, 30


def _repr_with_chunk(event: Any) -> str:
    """``Name(field=value, ...)`` with the ``chunk`` field summarised."""
    parts = []
    for item in fields(event):
        value = getattr(event, item.name)
        text = _CHUNK.repr(value) if item.name == "chunk" else repr(value)
        parts.append(f"{item.name}={text}")
    return f"{type(event).__name__}({', '.join(parts)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Delta:
    """One choice delta of a chat stream, in arrival order.

    ``content`` is the visible text of the delta; ``None`` when the delta
    carries none (a role-only or tool-call delta, or an empty ``{}``).
    ``reasoning`` is the delta's visible reasoning or thinking text, and
    ``refusal`` its refusal text (OpenAI's ``delta.refusal``), ``None`` when
    absent.  ``tool_calls`` holds the delta's raw tool-call fragments, if any.
    ``chunk`` is the whole JSON payload the delta came from.
    """

    index: int = 0
    content: str | None = None
    reasoning: str | None = None
    refusal: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    chunk: dict[str, Any]

    __repr__ = _repr_with_chunk


@dataclass(frozen=True, slots=True, kw_only=True)
class Final:
    """The end of one choice, emitted once per choice when the stream ends normally.

    ``generated_text`` is the server's own full text when it sent one (e.g.
    Prediction Guard's ``generated_text``), else the joined deltas.
    ``finish_reason`` is the last non-null one, ``usage`` the last non-null
    ``usage`` object exactly as sent, ``tool_calls`` the tool calls assembled
    from their fragments (``None`` when there were none), and ``chunk`` the
    payload that carried the ``finish_reason`` (or the last one seen).
    ``reasoning`` and ``refusal`` are the joined reasoning and refusal
    deltas, ``None`` when there were none.
    """

    index: int = 0
    generated_text: str
    reasoning: str | None = None
    refusal: str | None = None
    finish_reason: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    usage: dict[str, Any] | None = None
    chunk: dict[str, Any] | None = None

    __repr__ = _repr_with_chunk


@dataclass(frozen=True, slots=True, kw_only=True)
class Done:
    """The stream reached its protocol's normal end (``[DONE]`` or equivalent)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamError:
    """The server reported an error inside the stream; the stream stops here.

    ``type`` is the provider's error type (``"error"`` when it gave none),
    ``code`` its code if any, and ``payload`` the whole error payload.
    """

    message: str
    type: str = "error"
    code: str | int | None = None
    payload: Any = None


ChatEvent = Delta | Final | Done | StreamError

_T = TypeVar("_T")


def _builder(cls: type[_T]) -> Callable[..., _T]:
    """Return a positional constructor for ``cls`` that bypasses ``__init__``.

    Arguments follow the field order.  Used by the decoders only: the values
    are trusted, so no defaults or validation are applied.
    """
    setters = tuple(getattr(cls, f.name).__set__ for f in fields(cls))  # type: ignore[arg-type]
    if len(setters) == 4:
        return _build4(cls, *setters)
    if len(setters) == 6:
        return _build6(cls, *setters)

    def build(*values: Any) -> _T:
        obj = _new(cls)
        for setter, value in zip(setters, values, strict=True):
            setter(obj, value)
        return obj

    return build


_new = object.__new__
_Set = Callable[[Any, Any], None]


def _build4(cls: type[_T], s0: _Set, s1: _Set, s2: _Set, s3: _Set) -> Callable[..., _T]:
    def build4(a: Any, b: Any, c: Any, d: Any) -> _T:
        obj = _new(cls)
        s0(obj, a)
        s1(obj, b)
        s2(obj, c)
        s3(obj, d)
        return obj

    return build4


def _build6(cls: type[_T], s0: _Set, s1: _Set, s2: _Set, s3: _Set, s4: _Set,
            s5: _Set) -> Callable[..., _T]:
    def build6(a: Any, b: Any, c: Any, d: Any, e: Any, f: Any) -> _T:
        obj = _new(cls)
        s0(obj, a)
        s1(obj, b)
        s2(obj, c)
        s3(obj, d)
        s4(obj, e)
        s5(obj, f)
        return obj

    return build6


make_sse = _builder(ServerSentEvent)
make_delta = _builder(Delta)
