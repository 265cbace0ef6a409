"""Layer 3, framing: the bytes of a response body to ``(event, value)`` frames.

See :mod:`sseproto.framing._base` for the :class:`Framer` contract.  The
framings are registered here by name; a dialect names the one its wire
format uses (``Dialect.framing``):

- ``"sse"``: SSE with frame recovery (:mod:`sseproto.framing.sse`);
- ``"ndjson"``: newline-delimited JSON (:mod:`sseproto.framing.ndjson`);
- ``"eventstream"``: AWS's binary event-stream (:mod:`sseproto.framing.eventstream`).

``auto`` picks a framing from the first bytes: a first byte ``0x00`` is the
``"eventstream"`` framing, a first non-blank byte
``{`` is ``"ndjson"``, anything else ``"sse"``.
"""

from __future__ import annotations

from collections.abc import Callable

from .._limits import Limits
from ._base import DONE, RUN, Frame, Framer, LineFramer, Repairs, single_frames
from .eventstream import EventStreamFraming
from .ndjson import NDJSONFramer
from .sse import SSEFramer

__all__ = ["DONE", "RUN", "Frame", "Framer", "FramerFactory", "LineFramer", "NDJSONFramer",
           "Repairs", "SSEFramer", "framing_names", "make_framer", "register_framing",
           "single_frames"]

#: Builds a framer: ``factory(limits, on_malformed)``.
FramerFactory = Callable[[Limits, str], Framer]

_FRAMINGS: dict[str, FramerFactory] = {"sse": SSEFramer, "ndjson": NDJSONFramer,
                                        "eventstream": EventStreamFraming}


def register_framing(name: str, factory: FramerFactory) -> None:
    """Make the framing ``name`` available to dialects (``Dialect.framing = name``)."""
    _FRAMINGS[name] = factory


def framing_names() -> tuple[str, ...]:
    """The names of the registered framings."""
    return tuple(_FRAMINGS)


def make_framer(name: str, limits: Limits, on_malformed: str) -> Framer:
    """A new framer of the framing ``name`` (a :class:`ValueError` names an unknown one)."""
    try:
        factory = _FRAMINGS[name]
    except KeyError:
        raise ValueError(f"unknown framing {name!r}; known: {', '.join(_FRAMINGS)}") from None
    return factory(limits, on_malformed)
