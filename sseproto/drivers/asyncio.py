"""asyncio streams, with optional TLS: the default driver of :class:`sseproto.AsyncClient`."""

from __future__ import annotations

import asyncio
import ssl

from .._errors import ConnectError, Timeout, TLSError, TransportError
from ._proxy import connect_request, parse_connect_reply
from .socket import default_ssl_context

__all__ = ["AsyncioTransport"]


class AsyncioTransport:
    """TCP (``ssl_context=None`` and ``tls=False``) or TLS over asyncio streams."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, *, tls: bool = False,
                 proxy: tuple[str, int] | None = None) -> None:
        self.ssl_context = ssl_context or (default_ssl_context() if tls else None)
        self.proxy = proxy
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._timeout: float | None = None
        self._host = ""

    async def connect(self, host: str, port: int, timeout: float | None) -> None:
        self._host, self._timeout = host, timeout
        try:
            if self.proxy is None:
                opened = asyncio.open_connection(
                    host, port, ssl=self.ssl_context,
                    server_hostname=host if self.ssl_context else None,
                )
                self._reader, self._writer = await asyncio.wait_for(opened, timeout)
            else:
                await asyncio.wait_for(self._tunnel(host, port), timeout)
        except TimeoutError:
            raise Timeout(f"connecting to {host}:{port} timed out after {timeout} s") from None
        except ssl.SSLCertVerificationError as exc:
            raise TLSError(
                f"the certificate of {host} was rejected: {exc.verify_message or exc.reason}"
            ) from None
        except ssl.SSLError as exc:
            raise TLSError(f"the TLS handshake with {host} failed: {exc.reason or exc}") from None
        except OSError as exc:
            raise ConnectError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None

    async def _tunnel(self, host: str, port: int) -> None:
        assert self.proxy is not None
        reader, writer = await asyncio.open_connection(*self.proxy)
        writer.write(connect_request(host, port))
        try:
            reply = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            raise ConnectError(f"the proxy closed the tunnel to {host} before answering") from None
        parse_connect_reply(reply, host)
        if self.ssl_context is not None:
            await writer.start_tls(self.ssl_context, server_hostname=host)
        self._reader, self._writer = reader, writer

    async def send(self, data: bytes) -> None:
        writer = self._connected()[1]
        try:
            writer.write(data)
            await asyncio.wait_for(writer.drain(), self._timeout)
        except TimeoutError:
            raise Timeout(f"sending to {self._host} timed out") from None
        except OSError as exc:
            raise TransportError(f"sending to {self._host} failed: {exc}") from None

    async def receive(self, max_bytes: int = 65536) -> bytes:
        reader = self._connected()[0]
        try:
            return await asyncio.wait_for(reader.read(max_bytes), self._timeout)
        except TimeoutError:
            raise Timeout(f"no data from {self._host} within the read timeout") from None
        except ssl.SSLError as exc:
            raise TLSError(f"TLS error from {self._host}: {exc.reason or exc}") from None
        except OSError as exc:
            raise TransportError(f"receiving from {self._host} failed: {exc}") from None

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
