"""I/O drivers: thin transports the clients run the sans-IO core over.

- :class:`SocketTransport` / :class:`TLSTransport`: blocking sockets.
- :class:`AsyncioTransport`: asyncio streams (TCP or TLS).
- :class:`MockTransport` / :class:`AsyncMockTransport`: canned bytes, for tests.

Any object with the :class:`Transport` (or :class:`AsyncTransport`) methods
can be passed to a client instead.
"""

from ._base import AsyncTransport, Transport
from .asyncio import AsyncioTransport
from .mock import AsyncMockTransport, MockTransport
from .socket import SocketTransport, TLSTransport, default_ssl_context

__all__ = [
    "AsyncMockTransport",
    "AsyncTransport",
    "AsyncioTransport",
    "MockTransport",
    "SocketTransport",
    "TLSTransport",
    "Transport",
    "default_ssl_context",
]
