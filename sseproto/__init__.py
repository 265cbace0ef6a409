"""sseproto: sans-IO, WHATWG-exact Server-Sent Events for streamed LLM responses.

The core turns raw bytes, split at any point, into typed events without doing
any I/O.  The guides and the API reference are at
https://sseproto.github.io/sseproto/ (built from ``docs/`` in the repository).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import dialects as dialects
from ._chat import ChatStreamDecoder
from ._encode import encode, encode_comment
from ._errors import (
    ConnectError,
    Error,
    HTTPStatusError,
    IncompleteStream,
    LimitExceeded,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    StreamErrorRaised,
    Timeout,
    TLSError,
    TransportError,
    UnexpectedContentType,
)
from ._events import ChatEvent, Delta, Done, Final, ServerSentEvent, StreamError
from ._limits import Limits
from ._sse import SSEDecoder
from ._timeouts import Timeouts
from ._version import __version__
from .dialects import ChatResult, register_dialect
from .framing import Repairs

if TYPE_CHECKING:
    from .client import AsyncClient, Client

#: Names loaded on first use, so ``import sseproto`` imports no I/O module
#: (socket, ssl, asyncio, threading) and no h11: a decoder-only user pays
#: for none of them.
_LAZY = {"AsyncClient": "sseproto.client", "Client": "sseproto.client"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sseproto' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AsyncClient",
    "ChatEvent",
    "ChatResult",
    "ChatStreamDecoder",
    "Client",
    "ConnectError",
    "Delta",
    "Done",
    "Error",
    "Final",
    "HTTPStatusError",
    "IncompleteStream",
    "LimitExceeded",
    "Limits",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "Repairs",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamError",
    "StreamErrorRaised",
    "TLSError",
    "Timeout",
    "Timeouts",
    "TransportError",
    "UnexpectedContentType",
    "__version__",
    "encode",
    "encode_comment",
    "register_dialect",
]
