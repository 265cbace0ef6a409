"""HTTP CONNECT tunnelling, and the proxy settings from the environment."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

from .._errors import ConnectError

__all__ = ["connect_request", "connect_via_proxy", "parse_connect_reply", "proxy_for"]

_MAX_REPLY = 16 * 1024


def proxy_for(scheme: str, host: str) -> tuple[str, int] | None:
    """The proxy ``(host, port)`` for ``scheme://host`` from ``HTTPS_PROXY``/``HTTP_PROXY``.

    ``NO_PROXY`` (comma-separated host suffixes, or ``*``) turns it off.
    """
    env = {key.lower(): value for key, value in os.environ.items()}
    url = env.get(f"{scheme}_proxy") or (env.get("https_proxy") if scheme == "https" else None)
    if not url:
        return None
    for entry in env.get("no_proxy", "").split(","):
        entry = entry.strip().lstrip(".")
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return None
    parts = urlsplit(url if "://" in url else "http://" + url)
    if not parts.hostname:
        return None
    return parts.hostname, parts.port or 80


def connect_request(host: str, port: int) -> bytes:
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode()


def parse_connect_reply(reply: bytes, host: str) -> None:
    """Raise :class:`ConnectError` unless ``reply`` (the head) is a 2xx."""
    status_line = reply.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].startswith("2"):
        raise ConnectError(f"the proxy refused the tunnel to {host}: {status_line!r}")


def connect_via_proxy(sock: socket.socket, host: str, port: int) -> None:
    """Open a CONNECT tunnel to ``host:port`` over ``sock`` (already connected to a proxy)."""
    sock.sendall(connect_request(host, port))
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = sock.recv(4096)
        if not chunk or len(reply) > _MAX_REPLY:
            sock.close()
            raise ConnectError(f"the proxy closed the tunnel to {host} before answering")
        reply += chunk
    parse_connect_reply(reply, host)
