"""Proxies as curl reads them, and the HTTP CONNECT tunnel's two messages.

:func:`proxy_for` reads the environment the way curl does:

- ``https_proxy``/``HTTPS_PROXY`` for ``https://`` URLs; ``http_proxy`` for
  ``http://`` URLs (upper-case ``HTTP_PROXY`` too, except under CGI, where
  ``REQUEST_METHOD`` is set and a request's ``Proxy:`` header would
  become ``HTTP_PROXY``: "httpoxy"); ``all_proxy``/``ALL_PROXY`` for both.
- ``no_proxy``/``NO_PROXY``: ``*``, or entries separated by commas or
  spaces, compared case-insensitively: a host name (``example.com`` also
  matches ``api.example.com``; a leading dot is optional), optionally with
  ``:port``; an IPv4 or IPv6 address (``[::1]`` or ``::1``), optionally with
  a port; a CIDR block (``10.0.0.0/8``, ``fd00::/8``).
- Credentials in the proxy URL (``http://user:pass@proxy:3128``, percent
  decoded) are sent as ``Proxy-Authorization: Basic``; they never appear
  in a message or ``repr()``.
- An ``https://`` proxy gets TLS to the proxy itself.
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from .._errors import REDACTED, ConnectError

__all__ = ["Proxy", "connect_request", "parse_connect_reply", "proxy_for"]

#: The largest CONNECT reply head accepted.
MAX_REPLY = 16 * 1024


@dataclass(frozen=True, slots=True)
class Proxy:
    """Where to tunnel through.  ``authorization`` is hidden from ``repr()``."""

    scheme: str  # "http" or "https" (TLS to the proxy)
    host: str
    port: int
    authorization: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        auth = f", authorization={REDACTED!r}" if self.authorization else ""
        return f"Proxy({self.scheme}://{self.host}:{self.port}{auth})"


def proxy_for(scheme: str, host: str, port: int | None = None,
              environ: Mapping[str, str] | None = None) -> Proxy | None:
    """The proxy for ``scheme://host:port`` from the environment, or ``None``."""
    env = os.environ if environ is None else environ
    url = _proxy_url(scheme, env)
    if not url or _bypassed(host, port or (443 if scheme == "https" else 80), env):
        return None
    return parse_proxy(url)


def _proxy_url(scheme: str, env: Mapping[str, str]) -> str | None:
    names = [f"{scheme}_proxy"]
    if scheme == "https" or "REQUEST_METHOD" not in env:
        names.append(f"{scheme.upper()}_PROXY")  # HTTP_PROXY: never under CGI (httpoxy)
    names += ["all_proxy", "ALL_PROXY"]
    return next((env[name].strip() for name in names if env.get(name, "").strip()), None)


def parse_proxy(url: str) -> Proxy:
    """A proxy URL (``http://``, ``https://`` or a bare ``host:port``) as a :class:`Proxy`."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectError(f"unsupported proxy URL scheme {parts.scheme!r} (http:// or https://"
                           " proxies only)")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 1080)
    except ValueError:
        raise ConnectError("bad port in the proxy URL") from None
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return Proxy(parts.scheme, parts.hostname, port, authorization)


def _bypassed(host: str, port: int, env: Mapping[str, str]) -> bool:
    raw = env.get("no_proxy") or env.get("NO_PROXY") or ""
    host = host.lower().strip("[]").rstrip(".")
    entries = [e for e in raw.replace(" ", ",").split(",") if e.strip()]
    return any(_matches(entry.strip().lower(), host, port) for entry in entries)


def _matches(entry: str, host: str, port: int) -> bool:
    if entry == "*":
        return True
    name, entry_port = _split_port(entry)
    if entry_port is not None and entry_port != port:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = name.lstrip(".").rstrip(".")
        return bool(name) and (host == name or host.endswith("." + name))
    try:
        return address in ipaddress.ip_network(name, strict=False)
    except ValueError:
        return False


def _split_port(entry: str) -> tuple[str, int | None]:
    """``entry`` without its ``:port`` (``[::1]:8080``, ``host:80``; a bare IPv6 has none)."""
    if entry.startswith("["):
        address, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return address, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, int(port) if port.isdigit() else None
    return entry, None


def connect_request(host: str, port: int, proxy: Proxy) -> bytes:
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.authorization:
        lines.append(f"Proxy-Authorization: {proxy.authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_connect_reply(reply: bytes, host: str) -> None:
    """Raise :class:`ConnectError` unless ``reply`` (the head) is a 2xx."""
    status_line = reply.split(b"\r\n", 1)[0].decode("latin-1")[:200]
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].startswith("2"):
        hint = ""
        if len(parts) >= 2 and parts[1] == "407":
            hint = "; put the proxy's credentials in its URL (http://user:password@host:port)"
        raise ConnectError(f"the proxy refused the tunnel to {host}: {status_line!r}{hint}")
