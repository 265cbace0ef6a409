"""Clients: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio).

Both run the sans-IO core over a driver.  Their code is written once, in
``_async_client.py``; ``_sync_client.py`` is generated from it by
``scripts/unasync.py``.  This module adds what differs in shape between
the two: ``client.chat.completions.create()``, whose async stream may also
be awaited first, as the openai SDK's is.

- Each stream gets its own connection from a pool of ``max_connections``;
  a connection is reused only after its response was read to the end.
- ``timeout`` is a number (connect and read) or :class:`~sseproto.Timeouts`
  (``connect``, ``read``, ``total``).
- A non-2xx response raises :class:`~sseproto.HTTPStatusError`; with
  ``max_retries``, connect errors, 429 and 5xx are retried first.
- Streams are context managers with ``.response`` and ``.close()``.
"""

from __future__ import annotations

import ssl
from collections.abc import Coroutine, Generator, Mapping
from typing import Any, Literal, overload

from ._async_client import AsyncClient as _AsyncClientBase
from ._async_client import AsyncStream
from ._errors import UnexpectedContentType
from ._limits import Limits
from ._sync_client import Client as _ClientBase
from ._sync_client import Stream
from ._timeouts import Timeouts
from .drivers import AsyncTransport, Transport

__all__ = ["AsyncClient", "AsyncStream", "AwaitableStream", "Client", "Stream",
           "UnexpectedContentType"]

#: What a completion chunk or a non-streamed completion is: the server's JSON.
JSON = Any


class Client(_ClientBase):
    """A blocking client for streamed chat completions and SSE endpoints.

    One client serves several threads; each stream has its own connection.

    >>> client = Client("https://api.example.com/v1?api-version=2024-10-01")
    >>> client.url.join("chat/completions")
    '/v1/chat/completions?api-version=2024-10-01'
    """

    def __init__(self, base_url: str, api_key: str | None = None, *,
                 ssl_context: ssl.SSLContext | None = None,
                 timeout: float | Timeouts | None = 30.0, limits: Limits | None = None,
                 max_connections: int = 10, max_retries: int = 0,
                 transport: Transport | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(base_url, api_key, ssl_context=ssl_context, timeout=timeout,
                         limits=limits, max_connections=max_connections,
                         max_retries=max_retries, transport=transport, headers=headers)
        self.chat = _Chat(self)

    def close(self) -> None:
        """Close the idle kept-alive connections."""
        super().close()


class AsyncClient(_AsyncClientBase):
    """The asyncio twin of :class:`Client`: the same calls, with async iterators.

    One client serves several tasks; each stream has its own connection.
    """

    def __init__(self, base_url: str, api_key: str | None = None, *,
                 ssl_context: ssl.SSLContext | None = None,
                 timeout: float | Timeouts | None = 30.0, limits: Limits | None = None,
                 max_connections: int = 10, max_retries: int = 0,
                 transport: AsyncTransport | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(base_url, api_key, ssl_context=ssl_context, timeout=timeout,
                         limits=limits, max_connections=max_connections,
                         max_retries=max_retries, transport=transport, headers=headers)
        self.chat = _AsyncChat(self)

    async def close(self) -> None:
        """The same as :meth:`aclose`."""
        await self.aclose()


class AwaitableStream(AsyncStream[JSON]):
    """An async stream that may also be awaited first, as the openai SDK's is.

    ``async for res in client.chat.completions.create(..., stream=True)`` and
    ``async for res in await client.chat.completions.create(...)`` both work.
    """

    def __await__(self) -> Generator[Any, None, AwaitableStream]:
        return self._itself().__await__()

    async def _itself(self) -> AwaitableStream:
        return self


class _Chat:
    def __init__(self, client: Client) -> None:
        self.completions = _Completions(client)


class _Completions:
    """``client.chat.completions.create(...)``, the shape of the vendor SDKs."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @overload
    def create(self, *, stream: Literal[True], path: str = ..., **params: Any
               ) -> Stream[JSON]: ...

    @overload
    def create(self, *, stream: Literal[False] = ..., path: str = ..., **params: Any
               ) -> JSON: ...

    def create(self, *, stream: bool = False, path: str = "/chat/completions",
               **params: Any) -> Any:
        """``stream=True``: a stream of ``{"data": chunk}``; otherwise the response dict.

        Every chunk reaches the caller, and a delta without content gets
        ``"content": ""``.  An error sent inside the stream raises
        :class:`~sseproto.StreamErrorRaised`; a stream cut before ``[DONE]``
        and any finish reason raises :class:`~sseproto.IncompleteStream`.
        """
        if stream:
            return self._client._create_stream(path, {**params, "stream": True})
        return self._client._create_json(path, params)


class _AsyncChat:
    def __init__(self, client: AsyncClient) -> None:
        self.completions = _AsyncCompletions(client)


class _AsyncCompletions:
    """The asyncio twin of ``client.chat.completions``."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @overload
    def create(self, *, stream: Literal[True], path: str = ..., **params: Any
               ) -> AwaitableStream: ...

    @overload
    def create(self, *, stream: Literal[False] = ..., path: str = ..., **params: Any
               ) -> Coroutine[Any, Any, JSON]: ...

    def create(self, *, stream: bool = False, path: str = "/chat/completions",
               **params: Any) -> Any:
        """``stream=True``: an async stream (also awaitable); otherwise a coroutine of the dict."""
        if stream:
            client = self._client
            request = client._config.request("POST", path, accept="text/event-stream",
                                             json={**params, "stream": True})
            return AwaitableStream(client._sdk_events(request))
        return self._client._create_json(path, params)
