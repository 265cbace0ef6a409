"""Blocking TCP, with optional TLS: the default driver of :class:`sseproto.Client`."""

from __future__ import annotations

import math
import select
import socket
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

from .._errors import ConnectError, TransportError
from ._errors import mapped
from ._proxy import MAX_REPLY, Proxy, connect_request, parse_connect_reply

__all__ = ["SocketTransport", "TLSTransport", "TunnelledTLS", "default_ssl_context"]

T = TypeVar("T")


def default_ssl_context() -> ssl.SSLContext:
    """Verification on, system trust store, TLS 1.2 at least, ALPN ``http/1.1``."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    return context


def _socket_timeout(timeout: float | None) -> float | None:
    return None if timeout is None or math.isinf(timeout) else timeout


class SocketTransport:
    """Plain TCP.  ``proxy`` is an optional :class:`~sseproto.drivers._proxy.Proxy`
    to tunnel through with HTTP CONNECT."""

    def __init__(self, *, proxy: Proxy | None = None,
                 proxy_ssl_context: ssl.SSLContext | None = None) -> None:
        self.proxy = proxy
        self.proxy_ssl_context = proxy_ssl_context
        self._sock: socket.socket | None = None
        self._host = ""
        self._timeout: float | None = None

    def connect(self, host: str, port: int, timeout: float | None) -> None:
        self._host, self._timeout = host, _socket_timeout(timeout)
        if self.proxy is None:
            with mapped("connect", f"{host}:{port}", timeout):
                sock = socket.create_connection((host, port), timeout=self._timeout)
        else:
            sock = self._tunnel(host, port)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = self._wrap(sock, host)

    def _tunnel(self, host: str, port: int) -> socket.socket:
        proxy = self.proxy
        assert proxy is not None
        where = f"the proxy {proxy.host}:{proxy.port}"
        with mapped("connect", where, self._timeout):
            sock = socket.create_connection((proxy.host, proxy.port), timeout=self._timeout)
        try:
            if proxy.scheme == "https":
                context = self.proxy_ssl_context or default_ssl_context()
                with mapped("connect", where, self._timeout):
                    sock = context.wrap_socket(sock, server_hostname=proxy.host)
            with mapped("connect", where, self._timeout):
                sock.sendall(connect_request(host, port, proxy))
                parse_connect_reply(_read_head(sock, host), host)
        except BaseException:
            sock.close()
            raise
        return sock

    def _wrap(self, sock: socket.socket, host: str) -> socket.socket:
        return sock

    def send(self, data: bytes) -> None:
        sock = self._connected()
        with mapped("send", self._host, self._timeout):
            sock.settimeout(self._timeout)
            sock.sendall(data)

    def receive(self, max_bytes: int = 65536, timeout: float | None = None) -> bytes:
        """Some bytes; ``timeout`` (``math.inf``: none) replaces connect's for this read."""
        sock = self._connected()
        bound = self._timeout if timeout is None else _socket_timeout(timeout)
        with mapped("receive", self._host, bound):
            sock.settimeout(bound)
            return sock.recv(max_bytes)

    def is_readable(self) -> bool:
        """Has an idle connection something to read (its EOF, or stray bytes)?  Then it is stale."""
        sock = self._sock
        if sock is None:
            return True
        if isinstance(sock, ssl.SSLSocket | TunnelledTLS) and sock.pending():
            return True
        try:
            return bool(select.select([sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        if self._sock is not None:
            sock, self._sock = self._sock, None
            sock.close()

    def _connected(self) -> socket.socket:
        if self._sock is None:
            raise TransportError("the transport is not connected")
        return self._sock


def _read_head(sock: socket.socket, host: str) -> bytes:
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = sock.recv(4096)
        if not chunk or len(reply) > MAX_REPLY:
            raise ConnectError(f"the proxy closed the tunnel to {host} before answering")
        reply += chunk
    return reply


class TLSTransport(SocketTransport):
    """TCP + TLS.  Certificates and host names are verified unless ``ssl_context`` says not."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, *,
                 proxy: Proxy | None = None) -> None:
        super().__init__(proxy=proxy, proxy_ssl_context=ssl_context)
        self.ssl_context = ssl_context or default_ssl_context()

    def _wrap(self, sock: socket.socket, host: str) -> socket.socket:
        try:
            with mapped("connect", host, self._timeout):
                if isinstance(sock, ssl.SSLSocket):  # through an https:// proxy
                    return TunnelledTLS(sock, self.ssl_context, host)  # type: ignore[return-value]
                return self.ssl_context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise


class TunnelledTLS:
    """TLS to the target inside the TLS connection to an ``https://`` proxy (blocking).

    An :class:`ssl.SSLSocket` cannot be wrapped again, so the inner TLS runs
    on an :class:`ssl.SSLObject` over memory buffers, moving its records
    through the outer socket.  It offers the few socket methods
    :class:`SocketTransport` uses.
    """

    def __init__(self, outer: ssl.SSLSocket, context: ssl.SSLContext, host: str) -> None:
        self._outer = outer
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=host)
        self._run(self._tls.do_handshake)

    def _run(self, operation: Callable[..., T], *args: Any) -> T:
        """Run one TLS operation, feeding it records from the outer socket until it can finish."""
        while True:
            try:
                result = operation(*args)
            except ssl.SSLWantReadError:
                self._flush()
                data = self._outer.recv(65536)
                if data:
                    self._incoming.write(data)
                else:
                    self._incoming.write_eof()
                continue
            self._flush()
            return result

    def _flush(self) -> None:
        data = self._outgoing.read()
        if data:
            self._outer.sendall(data)

    def recv(self, max_bytes: int) -> bytes:
        try:
            return self._run(self._tls.read, max_bytes)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return b""

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self._run(self._tls.write, view):]

    def pending(self) -> int:
        return self._tls.pending() + self._outer.pending()

    def settimeout(self, timeout: float | None) -> None:
        self._outer.settimeout(timeout)

    def setsockopt(self, *args: Any) -> None:
        self._outer.setsockopt(*args)

    def fileno(self) -> int:
        return self._outer.fileno()

    def close(self) -> None:
        self._outer.close()
