"""Blocking TCP, with optional TLS: the default driver of :class:`sseproto.Client`."""

from __future__ import annotations

import socket
import ssl

from .._errors import ConnectError, Timeout, TLSError, TransportError
from ._proxy import connect_via_proxy

__all__ = ["SocketTransport", "TLSTransport"]


class SocketTransport:
    """Plain TCP.  ``proxy`` is an optional ``(host, port)`` for HTTP CONNECT tunnelling."""

    def __init__(self, *, proxy: tuple[str, int] | None = None) -> None:
        self.proxy = proxy
        self._sock: socket.socket | None = None
        self._host = ""

    def connect(self, host: str, port: int, timeout: float | None) -> None:
        self._host = host
        try:
            if self.proxy is not None:
                sock = socket.create_connection(self.proxy, timeout=timeout)
                connect_via_proxy(sock, host, port)
            else:
                sock = socket.create_connection((host, port), timeout=timeout)
        except TimeoutError:
            raise Timeout(f"connecting to {host}:{port} timed out after {timeout} s") from None
        except OSError as exc:
            raise ConnectError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = self._wrap(sock, host)

    def _wrap(self, sock: socket.socket, host: str) -> socket.socket:
        return sock

    def send(self, data: bytes) -> None:
        try:
            self._connected().sendall(data)
        except TimeoutError:
            raise Timeout(f"sending to {self._host} timed out") from None
        except OSError as exc:
            raise TransportError(f"sending to {self._host} failed: {exc}") from None

    def receive(self, max_bytes: int = 65536) -> bytes:
        try:
            return self._connected().recv(max_bytes)
        except TimeoutError:
            raise Timeout(f"no data from {self._host} within the read timeout") from None
        except ssl.SSLError as exc:
            raise TLSError(f"TLS error from {self._host}: {exc.reason or exc}") from None
        except OSError as exc:
            raise TransportError(f"receiving from {self._host} failed: {exc}") from None

    def close(self) -> None:
        if self._sock is not None:
            sock, self._sock = self._sock, None
            sock.close()

    def _connected(self) -> socket.socket:
        if self._sock is None:
            raise TransportError("the transport is not connected")
        return self._sock


class TLSTransport(SocketTransport):
    """TCP + TLS.  Certificates and host names are verified unless ``ssl_context`` says not."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, *,
                 proxy: tuple[str, int] | None = None) -> None:
        super().__init__(proxy=proxy)
        self.ssl_context = ssl_context or default_ssl_context()

    def _wrap(self, sock: socket.socket, host: str) -> socket.socket:
        try:
            return self.ssl_context.wrap_socket(sock, server_hostname=host)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise TLSError(
                f"the certificate of {host} was rejected: {exc.verify_message or exc.reason}"
            ) from None
        except TimeoutError:
            sock.close()
            raise Timeout(f"the TLS handshake with {host} timed out") from None
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            reason = getattr(exc, "reason", None) or exc
            raise TLSError(f"the TLS handshake with {host} failed: {reason}") from None


def default_ssl_context() -> ssl.SSLContext:
    """Verification on, system trust store, ALPN ``http/1.1``."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context
