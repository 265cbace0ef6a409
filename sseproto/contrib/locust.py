"""Locust users that stream chat completions through sseproto (extra ``sseproto[locust]``).

A subclass of :class:`ChatStreamUser` sets ``host`` (or Locust's ``--host``)
and ``payload``; each iteration of its default task streams ``payload`` once
and reports, as Locust request events of type ``chat``:

- ``ttft``: time to first content (the first delta with content, reasoning,
  a refusal or a tool call), in milliseconds;
- ``stream``: the whole stream, with the content characters received as
  the response length;
- ``itl``: the stream's mean inter-token latency (the gaps between content
  deltas), with the number of gaps as the response length;
- ``stall``: one event per gap longer than ``stall_threshold`` seconds.

An in-stream error, a stream cut before its end, a non-2xx answer or a
transport failure makes ``stream`` a Locust failure whose message says why.

It works under Locust's gevent workers, distributed or not: Locust
monkey-patches ``socket``, ``ssl`` and ``select`` before this module loads,
and sseproto's socket driver reaches them through those modules, so a
stream waiting for bytes yields to the other users.

>>> class Chat(ChatStreamUser):                            # doctest: +SKIP
...     host = "http://127.0.0.1:8000"
...     payload = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
"""

from __future__ import annotations

import itertools
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from locust import User, task
from locust.env import Environment

import sseproto

__all__ = ["ChatStreamUser", "StreamFailure", "StreamStats"]

#: Locust's request type for every event this module fires.
REQUEST_TYPE = "chat"


class StreamFailure(Exception):
    """Why a stream counts as a failure in Locust's statistics."""


@dataclass
class StreamStats:
    """What one stream measured (times in seconds from the request)."""

    ttft: float | None = None  # the first content
    total: float = 0.0
    content_chars: int = 0
    token_times: list[float] = field(default_factory=list)
    error: Exception | None = None

    @property
    def gaps(self) -> list[float]:
        """The gaps between consecutive content deltas."""
        times = self.token_times
        return [later - earlier for earlier, later in itertools.pairwise(times)]


class ChatStreamUser(User):
    """A Locust user that streams ``payload`` to ``host`` + ``path`` once per iteration."""

    abstract = True
    #: The request path, joined to ``host``.
    path: ClassVar[str] = "/v1/chat/completions"
    #: The JSON body; ``"stream": true`` is added.
    payload: ClassVar[Mapping[str, Any]] = {
        "model": "default", "messages": [{"role": "user", "content": "Hello!"}]}
    #: Sent as ``Authorization: Bearer``; None reads ``SSEPROTO_API_KEY`` as the client does.
    api_key: ClassVar[str | None] = None
    #: Seconds: connect and read timeout of the client.
    timeout: ClassVar[float] = 60.0
    #: For ``https://`` hosts: the TLS context (None: verified against the system's CAs).
    ssl_context: ClassVar[ssl.SSLContext | None] = None
    #: Seconds between two content deltas that count as a stall.
    stall_threshold: ClassVar[float] = 1.0

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        if not self.host:
            raise ValueError(f"{type(self).__name__} needs a host: set `host` on the class or"
                             " pass --host to locust")
        self.client = sseproto.Client(self.host, api_key=self.api_key, timeout=self.timeout,
                                      ssl_context=self.ssl_context)

    def on_stop(self) -> None:
        self.client.close()

    @task
    def stream(self) -> None:
        """The default task: stream ``payload`` once."""
        self.stream_chat(self.payload)

    def stream_chat(self, payload: Mapping[str, Any], path: str | None = None) -> StreamStats:
        """Stream ``payload``, fire the Locust events, return what was measured."""
        stats = StreamStats()
        started = time.perf_counter()
        try:
            with self.client.stream_chat({**payload, "stream": True}, path or self.path) as stream:
                for event in stream:
                    _observe(event, stats, time.perf_counter() - started)
        except sseproto.Error as exc:
            stats.error = StreamFailure(_reason(exc))
        stats.total = time.perf_counter() - started
        self._report(stats)
        return stats

    def _report(self, stats: StreamStats) -> None:
        fire = self.environment.events.request.fire
        if stats.ttft is not None:
            fire(request_type=REQUEST_TYPE, name="ttft", response_time=stats.ttft * 1000,
                 response_length=0, exception=None, context={})
        fire(request_type=REQUEST_TYPE, name="stream", response_time=stats.total * 1000,
             response_length=stats.content_chars, exception=stats.error, context={})
        gaps = stats.gaps
        if gaps:
            fire(request_type=REQUEST_TYPE, name="itl", response_time=sum(gaps) / len(gaps) * 1000,
                 response_length=len(gaps), exception=None, context={})
        for gap in gaps:
            if gap > self.stall_threshold:
                fire(request_type=REQUEST_TYPE, name="stall", response_time=gap * 1000,
                     response_length=0, exception=None, context={})


def _observe(event: sseproto.ChatEvent, stats: StreamStats, now: float) -> None:
    if isinstance(event, sseproto.StreamError):
        stats.error = StreamFailure(f"in-stream error: {event.message}"[:300])
    elif isinstance(event, sseproto.Delta) and (event.content or event.reasoning
                                                or event.refusal or event.tool_calls):
        if stats.ttft is None:
            stats.ttft = now
        stats.token_times.append(now)
        stats.content_chars += len(event.content or "")


def _reason(exc: sseproto.Error) -> str:
    """A failure message Locust can group: the kind of failure first."""
    if isinstance(exc, sseproto.HTTPStatusError):
        message = str(exc)[:200]
        prefix = f"HTTP {exc.status_code}"
        return message if message.startswith(prefix) else f"{prefix}: {message}"
    if isinstance(exc, sseproto.IncompleteStream):
        return f"cut: {str(exc)[:200]}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"
