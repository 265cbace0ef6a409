"""asyncio streams, with optional TLS: the default driver of :class:`sseproto.AsyncClient`."""

from __future__ import annotations

import asyncio
import math
import select
import ssl

from .._errors import ConnectError, TransportError
from ._errors import mapped
from ._proxy import MAX_REPLY, Proxy, connect_request, parse_connect_reply
from .socket import default_ssl_context

__all__ = ["AsyncioTransport"]


def _bound(timeout: float | None) -> float | None:
    return None if timeout is None or math.isinf(timeout) else timeout


class AsyncioTransport:
    """TCP (``ssl_context=None`` and ``tls=False``) or TLS over asyncio streams."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, *, tls: bool = False,
                 proxy: Proxy | None = None,
                 proxy_ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context or (default_ssl_context() if tls else None)
        self.proxy_ssl_context = proxy_ssl_context or ssl_context
        self.proxy = proxy
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._timeout: float | None = None
        self._host = ""

    async def connect(self, host: str, port: int, timeout: float | None) -> None:
        self._host, self._timeout = host, _bound(timeout)
        if self.proxy is None:
            with mapped("connect", f"{host}:{port}", timeout):
                opened = asyncio.open_connection(
                    host, port, ssl=self.ssl_context,
                    server_hostname=host if self.ssl_context else None,
                )
                self._reader, self._writer = await asyncio.wait_for(opened, self._timeout)
        else:
            with mapped("connect", f"{host}:{port} through the proxy", timeout):
                await asyncio.wait_for(self._tunnel(host, port), self._timeout)

    async def _tunnel(self, host: str, port: int) -> None:
        proxy = self.proxy
        assert proxy is not None
        where = f"the proxy {proxy.host}:{proxy.port}"
        context = None
        if proxy.scheme == "https":
            context = self.proxy_ssl_context or default_ssl_context()
        with mapped("connect", where, self._timeout):
            reader, writer = await asyncio.open_connection(
                proxy.host, proxy.port, ssl=context,
                server_hostname=proxy.host if context else None)
        try:
            with mapped("connect", where, self._timeout):
                writer.write(connect_request(host, port, proxy))
                try:
                    reply = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    raise ConnectError(
                        f"the proxy closed the tunnel to {host} before answering") from None
                if len(reply) > MAX_REPLY:
                    raise ConnectError(f"the proxy's answer for {host} is too long")
                parse_connect_reply(reply, host)
            if self.ssl_context is not None:
                with mapped("connect", host, self._timeout):
                    await writer.start_tls(self.ssl_context, server_hostname=host)
        except BaseException:
            writer.transport.abort()
            raise
        self._reader, self._writer = reader, writer

    async def send(self, data: bytes) -> None:
        writer = self._connected()[1]
        with mapped("send", self._host, self._timeout):
            writer.write(data)
            async with asyncio.timeout(self._timeout):
                await writer.drain()

    async def receive(self, max_bytes: int = 65536, timeout: float | None = None) -> bytes:
        """Some bytes; ``timeout`` (``math.inf``: none) replaces connect's for this read."""
        reader = self._connected()[0]
        bound = self._timeout if timeout is None else _bound(timeout)
        with mapped("receive", self._host, bound):
            async with asyncio.timeout(bound):  # no task per read, unlike wait_for
                return await reader.read(max_bytes)

    def is_readable(self) -> bool:
        """Has an idle connection something to read (its EOF, or stray bytes)?  Then it is stale."""
        if self._reader is None or self._writer is None:
            return True
        if self._reader.at_eof() or self._writer.transport.is_closing():
            return True
        sock = self._writer.get_extra_info("socket")
        if sock is None:
            return False
        try:
            return bool(select.select([sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    async def close(self) -> None:
        if self._writer is not None:
            writer, self._writer, self._reader = self._writer, None, None
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 0.5)
            except (OSError, TimeoutError, ssl.SSLError):
                # A peer that never answers the TLS close: drop the connection.
                writer.transport.abort()

    def _connected(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            raise TransportError("the transport is not connected")
        return self._reader, self._writer
