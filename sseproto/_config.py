"""What both clients share and is not I/O: configuration, requests, the retry policy."""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from ._errors import is_secret_header, scrub
from ._http import URL, ResponseHead, check_headers, parse_url, retry_after
from ._limits import Limits
from ._timeouts import Timeouts
from ._version import __version__
from .drivers._proxy import Proxy, proxy_for

__all__ = ["MAX_DELAY", "ClientConfig", "Request", "clamp_delay"]

#: The longest wait a server can ask for (Retry-After, an SSE ``retry:``), in seconds.
MAX_DELAY = 60.0


def clamp_delay(seconds: float) -> float:
    """``seconds`` within [0, :data:`MAX_DELAY`]: a huge ``retry:`` never sleeps for years."""
    return min(max(float(seconds), 0.0), MAX_DELAY)


@dataclass(frozen=True, slots=True)
class Request:
    """One request, ready to send on any connection of the pool."""

    method: str
    target: str
    headers: list[tuple[str, str]] = field(repr=False)
    body: bytes | None = field(repr=False)


def _api_key(api_key: str | None) -> str | None:
    if api_key is not None:
        return api_key
    return os.environ.get("SSEPROTO_API_KEY") or os.environ.get("PREDICTIONGUARD_API_KEY")


class ClientConfig:
    """The settings of one client, and the requests it builds from them."""

    def __init__(self, base_url: str, api_key: str | None, *,
                 ssl_context: Any, timeout: float | Timeouts | None,
                 limits: Limits | None, max_connections: int, max_retries: int,
                 headers: Mapping[str, str] | None) -> None:
        self.url: URL = parse_url(base_url)
        self.api_key = _api_key(api_key)
        self.ssl_context = ssl_context
        self.timeouts = Timeouts.of(timeout)
        self.limits = limits or Limits()
        if type(max_connections) is not int or max_connections < 1:
            raise ValueError(f"max_connections must be an integer >= 1, not {max_connections!r}")
        if type(max_retries) is not int or max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, not {max_retries!r}")
        self.max_connections, self.max_retries = max_connections, max_retries
        self.headers = dict(headers or {})
        check_headers(self._fixed_headers())
        self.proxy: Proxy | None = proxy_for(self.url.scheme, self.url.host, self.url.port)

    def __repr__(self) -> str:
        return f"{self.url.origin}{self.url.path}"

    def _fixed_headers(self) -> list[tuple[str, str]]:
        headers = [("User-Agent", f"sseproto/{__version__}")]
        if self.api_key:
            headers.append(("Authorization", f"Bearer {self.api_key}"))
        headers.extend(self.headers.items())
        return headers

    @property
    def secrets(self) -> list[str]:
        """Every value this client sends that must never be shown."""
        values = [v for k, v in self._fixed_headers() if is_secret_header(k)]
        return values + ([self.api_key] if self.api_key else [])

    def scrubbed(self, exc: BaseException, request: Request | None = None) -> BaseException:
        """``exc`` with any secret of this client (or ``request``) rewritten out of its message."""
        text = str(exc)
        secrets = self.secrets
        if request is not None:
            secrets += [value for name, value in request.headers if is_secret_header(name)]
        clean = scrub(text, secrets)
        if clean != text:
            exc.args = (clean, *exc.args[1:])
        return exc

    def request(self, method: str, path: str, *, accept: str, json: Any = None,
                headers: Mapping[str, str] | None = None) -> Request:
        body = None if json is None else orjson.dumps(json)
        user_agent, *fixed = self._fixed_headers()
        all_headers = [user_agent, ("Accept", accept)]
        if body is not None:
            all_headers.append(("Content-Type", "application/json"))
        all_headers += fixed
        all_headers += list((headers or {}).items())
        return Request(method, self.url.join(path), all_headers, body)

    def retry_delay(self, attempt: int, head: ResponseHead | None) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None``: no retry.

        A connect error (``head`` is ``None``), a 429 or a 5xx are retried,
        ``max_retries`` times at most, with exponential backoff and jitter,
        or after the server's ``Retry-After`` (capped at :data:`MAX_DELAY`).
        """
        if attempt >= self.max_retries:
            return None
        if head is not None and head.status_code != 429 and head.status_code < 500:
            return None
        asked = retry_after(head.headers) if head is not None else None
        if asked is not None:
            return clamp_delay(asked)
        return clamp_delay(0.5 * 2**attempt * random.uniform(0.5, 1.0))

