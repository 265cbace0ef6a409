"""What the async client code needs from its runtime, with the blocking twin of each.

The async client is written once; ``scripts/unasync.py`` rewrites its
source into the blocking client, turning ``AsyncSemaphore`` into
:class:`Semaphore`, ``async_sleep`` into :func:`sleep`, and so on.  So the
only asyncio- or threading-specific code of the clients lives here.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time

from ._http import URL
from .drivers import AsyncioTransport, AsyncTransport, SocketTransport, TLSTransport, Transport
from .drivers._proxy import Proxy

__all__ = [
    "AsyncSemaphore",
    "Semaphore",
    "async_checkpoint",
    "async_current_loop",
    "async_default_transport",
    "async_sleep",
    "checkpoint",
    "current_loop",
    "default_transport",
    "sleep",
]


class AsyncSemaphore:
    """An :class:`asyncio.Semaphore` whose ``acquire`` takes a timeout."""

    def __init__(self, value: int) -> None:
        self._semaphore = asyncio.Semaphore(value)

    async def acquire(self, timeout: float | None) -> bool:
        """Take a slot; ``False`` when none came free within ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._semaphore.acquire(), timeout)
        except TimeoutError:
            return False
        return True

    def release(self) -> None:
        self._semaphore.release()


class Semaphore:
    """A :class:`threading.Semaphore` with :class:`AsyncSemaphore`'s methods."""

    def __init__(self, value: int) -> None:
        self._semaphore = threading.Semaphore(value)

    def acquire(self, timeout: float | None) -> bool:
        return self._semaphore.acquire(timeout=timeout)

    def release(self) -> None:
        self._semaphore.release()


async def async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def async_checkpoint() -> None:
    """Let the event loop run other tasks (between two pieces of a big decompression)."""
    await asyncio.sleep(0)


def checkpoint() -> None:
    """Nothing to yield to in blocking code."""


def async_current_loop() -> object:
    """What an idle connection belongs to: the running event loop."""
    return asyncio.get_running_loop()


def current_loop() -> object:
    """Blocking connections belong to no loop: any thread may reuse them."""
    return None


def async_default_transport(url: URL, ssl_context: ssl.SSLContext | None,
                            proxy: Proxy | None) -> AsyncTransport:
    tls = url.scheme == "https"
    return AsyncioTransport(ssl_context if tls else None, tls=tls, proxy=proxy,
                            proxy_ssl_context=ssl_context)


def default_transport(url: URL, ssl_context: ssl.SSLContext | None,
                      proxy: Proxy | None) -> Transport:
    if url.scheme == "https":
        return TLSTransport(ssl_context, proxy=proxy)
    return SocketTransport(proxy=proxy, proxy_ssl_context=ssl_context)
