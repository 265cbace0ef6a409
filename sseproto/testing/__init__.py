"""Helpers for testing SSE and chat-stream clients.

- The server part (:func:`serve`, :func:`replay_server`,
  :class:`ServedStream`) serves a captured stream on loopback, with faults,
  and records the requests it received.  It needs nothing beyond sseproto.
- The hypothesis strategies (:func:`chat_streams`, :func:`splittings`,
  :func:`malformed_chat_streams`, ...) need hypothesis: install
  ``sseproto[testing]``.  They load on first use, so importing this package
  (or the pytest plugin) never imports hypothesis.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .server import ServedStream, replay_server, serve

if TYPE_CHECKING:
    from ._strategies import (
        WIRE_FORMS,
        ChatStreamCase,
        chat_streams,
        malformed_chat_streams,
        pretty_json,
        render_chat_stream,
        splittings,
    )

__all__ = [
    "WIRE_FORMS",
    "ChatStreamCase",
    "ServedStream",
    "chat_streams",
    "malformed_chat_streams",
    "pretty_json",
    "render_chat_stream",
    "replay_server",
    "serve",
    "splittings",
]

_STRATEGIES = {"WIRE_FORMS", "ChatStreamCase", "chat_streams", "malformed_chat_streams",
               "pretty_json", "render_chat_stream", "splittings"}


def __getattr__(name: str) -> Any:
    if name in _STRATEGIES:
        return getattr(importlib.import_module("._strategies", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
