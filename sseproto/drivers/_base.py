"""The transport protocols: the only thing a client needs from a driver.

A transport is one connection at a time: ``connect``, ``send``, ``receive``
some bytes (``b""`` at end of stream), ``close``.  Drivers raise
:class:`~sseproto.TransportError` subclasses: :class:`~sseproto.ConnectError`,
:class:`~sseproto.TLSError` and :class:`~sseproto.Timeout`.

A transport may also offer ``is_readable() -> bool``: an idle kept-alive
connection that has something to read (the server's close) is stale, and
the client opens a new one instead of sending a request into it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["AsyncTransport", "Transport"]


@runtime_checkable
class Transport(Protocol):
    """A blocking byte stream to one host."""

    def connect(self, host: str, port: int, timeout: float | None) -> None:
        """Open the connection; ``timeout`` also applies to each later send and receive."""

    def send(self, data: bytes) -> None:
        """Send all of ``data``."""

    def receive(self, max_bytes: int = 65536, timeout: float | None = None) -> bytes:
        """Return some bytes (at most ``max_bytes``), or ``b""`` at end of stream.

        ``timeout`` replaces connect's for this read (``math.inf``: none).
        """

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""


@runtime_checkable
class AsyncTransport(Protocol):
    """An asyncio byte stream to one host."""

    async def connect(self, host: str, port: int, timeout: float | None) -> None:
        """Open the connection; ``timeout`` also applies to each later send and receive."""

    async def send(self, data: bytes) -> None:
        """Send all of ``data``."""

    async def receive(self, max_bytes: int = 65536, timeout: float | None = None) -> bytes:
        """Return some bytes (at most ``max_bytes``), or ``b""`` at end of stream.

        ``timeout`` replaces connect's for this read (``math.inf``: none).
        """

    async def close(self) -> None:
        """Close the connection; closing twice is harmless."""
