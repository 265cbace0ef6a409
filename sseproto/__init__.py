"""sseproto: sans-IO, WHATWG-exact Server-Sent Events for streamed LLM responses.

The core turns raw bytes, split at any point, into typed events without doing
any I/O.  See ``DESIGN.md`` for the layers and the public contract.
"""

from __future__ import annotations

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
    Timeout,
    TLSError,
    TransportError,
)
from ._events import ChatEvent, Delta, Done, Final, ServerSentEvent, StreamError
from ._limits import Limits
from ._sse import SSEDecoder
from ._version import __version__
from .client import AsyncClient, Client, UnexpectedContentType
from .dialects import ChatResult, register_dialect
from .framing import Repairs

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
    "TLSError",
    "Timeout",
    "TransportError",
    "UnexpectedContentType",
    "__version__",
    "encode",
    "encode_comment",
    "register_dialect",
]
