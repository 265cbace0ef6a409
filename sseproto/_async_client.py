"""The asyncio client, :class:`AsyncClient`, and its pool and streams.

This code is written once, with async/await; ``scripts/unasync.py``
generates the blocking client from it.  Edit the async source, never
the generated file, then run ``python scripts/unasync.py``; CI runs it with
``--check``.

- :class:`AsyncConnectionPool`: at most ``max_connections`` connections,
  one per running stream; a connection goes back to the pool only after its
  response was read to the end, and an idle one that became readable (the
  server closed it) is dropped before a request is sent into it.  A request
  already written is never re-sent on another connection.
- :class:`AsyncStream`: one request's events; a context manager with
  ``.response`` and ``.close()``, also iterable without ``with``.
- The byte loop feeds one bounded step at a time to the sans-IO
  :class:`~sseproto._policy.Exchange`, with a checkpoint between the pieces
  of a big decompression, so no step blocks for long.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from ._backends import (
    AsyncSemaphore,
    async_checkpoint,
    async_current_loop,
    async_default_transport,
    async_sleep,
)
from ._config import MAX_DELAY, ClientConfig, Request, clamp_delay
from ._errors import ConnectError, IncompleteStream, LocalProtocolError, Timeout, TransportError
from ._events import ChatEvent, ServerSentEvent, StreamError
from ._http import HTTPConnection, ResponseHead
from ._policy import (
    Exchange,
    chat_decoder,
    fill_sdk_chunk,
    has_finish_reason,
    incomplete_chat,
    incomplete_payloads,
    payload_decoder,
    sdk_error,
    sse_decoder,
)
from .drivers import AsyncTransport

__all__ = ["AsyncClient", "AsyncConnection", "AsyncConnectionPool", "AsyncStream"]

T = TypeVar("T")

#: The bytes asked for by one read.
READ_SIZE = 65536


class AsyncConnection:
    """One transport and its HTTP/1.1 state."""

    def __init__(self, transport: AsyncTransport, http: HTTPConnection) -> None:
        self.transport = transport
        self.http = http
        # A transport written before ``receive`` took a timeout still works (no deadline).
        self.timed = "timeout" in inspect.signature(transport.receive).parameters
        self.loop = async_current_loop()

    async def receive(self, timeout: float) -> bytes:
        if self.timed:
            return await self.transport.receive(READ_SIZE, timeout)
        return await self.transport.receive(READ_SIZE)

    def stale(self) -> bool:
        """Has the idle connection something to read (the server closed it)?"""
        probe = getattr(self.transport, "is_readable", None)
        return bool(probe()) if probe is not None else False


class AsyncConnectionPool:
    """The connections of one client (one origin), at most ``max_connections``."""

    def __init__(self, config: ClientConfig,
                 factory: Callable[[], AsyncTransport], max_connections: int) -> None:
        self._config = config
        self._factory = factory
        self._slots = AsyncSemaphore(max_connections)
        self._idle: list[AsyncConnection] = []
        self.opened = 0  # connections opened so far

    async def acquire(self, timeout: float | None) -> AsyncConnection:
        """A connection for one request: an idle live one, or a new one."""
        if not await self._slots.acquire(timeout):
            raise Timeout(f"no connection of the pool became free within {timeout} s;"
                          " raise max_connections or close finished streams")
        try:
            return await self._take(timeout)
        except BaseException:
            self._slots.release()
            raise

    async def _take(self, timeout: float | None) -> AsyncConnection:
        while (connection := self._pop_idle()) is not None:
            if connection.loop is not async_current_loop():
                continue  # opened under an event loop that has ended: it cannot be used
            if not connection.stale():
                return connection
            await _close(connection)
        url = self._config.url
        transport = self._factory()
        await transport.connect(url.host, url.port, timeout)
        self.opened += 1
        return AsyncConnection(transport, HTTPConnection(url))

    def _pop_idle(self) -> AsyncConnection | None:
        try:
            return self._idle.pop()  # atomic: several threads may share the pool
        except IndexError:
            return None

    async def release(self, connection: AsyncConnection, reusable: bool) -> None:
        """Give back a connection: kept when its response was read to the end."""
        try:
            if reusable:
                connection.http.start_next_cycle()
                self._idle.append(connection)
            else:
                await _close(connection)
        finally:
            self._slots.release()

    async def aclose(self) -> None:
        """Close every idle connection (a running stream closes its own at its end)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            await _close(connection)


async def _close(connection: AsyncConnection) -> None:
    await connection.transport.close()


class AsyncStream(Generic[T]):
    """The events of one request.

    ``async with`` opens it (``.response`` is then the status and headers)
    and closes it; ``async for`` works with or without ``async with``, and
    the connection goes back to the pool at the end, on ``aclose()`` or
    when the stream is dropped.
    """

    def __init__(self, events: AsyncGenerator[Any, None]) -> None:
        self._events = events  # the head, then lists of events (batches are cheaper)
        self._response: ResponseHead | None = None
        self._batch: list[Any] = []
        self._next = 0

    @property
    def response(self) -> ResponseHead:
        """The response's status and headers; the stream must be open (entered or iterated)."""
        if self._response is None:
            raise LocalProtocolError("the stream is not open yet: enter its with block (or"
                                     " take its first event) before reading .response")
        return self._response

    async def _open(self) -> None:
        if self._response is None:
            head = await self._events.__anext__()
            assert isinstance(head, ResponseHead)
            self._response = head

    async def __aenter__(self) -> Self:
        await self._open()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        if self._next < len(self._batch):
            item: T = self._batch[self._next]
            self._next += 1
            return item
        await self._open()
        while True:
            batch = await self._events.__anext__()
            if batch:
                self._batch, self._next = batch, 1
                first: T = batch[0]
                return first

    async def aclose(self) -> None:
        """Stop reading; the connection is closed unless the response was read to the end."""
        await self._events.aclose()

    close = aclose  # unasync: drop


class _Deadline:
    """The ``total`` bound of one request, and each read's bound within it."""

    def __init__(self, config: ClientConfig) -> None:
        self.timeouts = config.timeouts
        total = self.timeouts.total
        self.end = None if total is None else time.monotonic() + total

    def bound(self, timeout: float | None) -> float:
        """The time left for one wait of at most ``timeout`` (``inf``: no bound)."""
        limit = float("inf") if timeout is None else timeout
        if self.end is None:
            return limit
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.expired()
        return min(limit, left)

    def limits(self, timeout: float | None) -> bool:
        """Is ``total``, rather than ``timeout``, what bounds the next wait?"""
        return self.end is not None and (timeout is None
                                         or self.end - time.monotonic() < timeout)

    def expired(self) -> Timeout:
        return Timeout(f"the request took longer than its total timeout"
                       f" ({self.timeouts.total} s); what arrived before was delivered")


class AsyncClient:
    """An asyncio client for streamed chat completions and SSE endpoints.

    One client serves many tasks at once: each stream gets its own
    connection from a pool of at most ``max_connections``.
    """

    def __init__(self, base_url: str, api_key: str | None = None, *,
                 ssl_context: Any = None, timeout: Any = 30.0, limits: Any = None,
                 max_connections: int = 10, max_retries: int = 0,
                 transport: AsyncTransport | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self._config = ClientConfig(
            base_url, api_key, ssl_context=ssl_context, timeout=timeout, limits=limits,
            max_connections=max_connections, max_retries=max_retries, headers=headers)
        self.url = self._config.url
        if transport is not None:  # one given transport: one connection at a time
            self._pool = AsyncConnectionPool(self._config, lambda: transport, 1)
        else:
            self._pool = AsyncConnectionPool(self._config, self._new_transport, max_connections)

    def _new_transport(self) -> AsyncTransport:
        config = self._config
        return async_default_transport(config.url, config.ssl_context, config.proxy)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._config!r}>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the idle kept-alive connections."""
        await self._pool.aclose()

    # --- public calls ---------------------------------------------------------------

    def stream_chat(self, payload: Mapping[str, Any] | None, path: str = "/chat/completions",
                    *, dialect: str = "auto", method: str = "POST") -> AsyncStream[ChatEvent]:
        """POST ``payload`` (or send ``method`` without a body) and stream its chat events.

        A :class:`~sseproto.StreamError` ends the stream; a body that ends
        before its end marker and any finish reason raises
        :class:`~sseproto.IncompleteStream` after every event was delivered.
        """
        body = None if payload is None else dict(payload)
        request = self._config.request(method, path, accept="text/event-stream", json=body)
        return AsyncStream(self._chat_events(request, dialect))

    def stream_sse(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                   *, json: Any = None, reconnect: bool = False,
                   max_attempts: int = 3) -> AsyncStream[ServerSentEvent]:
        """Stream the :class:`~sseproto.ServerSentEvent` s of one request.

        With ``reconnect=True`` it reconnects like an EventSource when the
        stream ends or breaks: it sends ``Last-Event-ID`` and waits the
        server's ``retry`` time (3 s when it sent none, at most 60 s), at
        most ``max_attempts`` times; a 204 answer stops it.
        """
        source = _EventSource(self._config, method, path, headers, json, reconnect,
                              max_attempts)
        return AsyncStream(self._sse_events(source))

    # --- one kind of stream each --------------------------------------------------

    async def _chat_events(self, request: Request, dialect: str) -> AsyncGenerator[Any, None]:
        chat = chat_decoder(dialect, self._config.limits)
        async with aclosing(self._send(request, lambda: Exchange("chat", chat))) as batches:
            async for batch in batches:
                if isinstance(batch, ResponseHead):
                    yield batch
                    continue
                for i, event in enumerate(batch):
                    if isinstance(event, StreamError):  # it ends the stream
                        yield batch[:i + 1]
                        return
                yield batch
        error = incomplete_chat(chat, False)
        if error is not None:
            raise error

    async def _sse_events(self, source: _EventSource) -> AsyncGenerator[Any, None]:
        first = True
        while True:
            failure: Exception | None = None
            try:
                async with aclosing(self._send(source.next_request(),
                                               source.new_exchange)) as batches:
                    async for batch in batches:
                        if isinstance(batch, ResponseHead) and not first:
                            continue
                        first = False
                        yield batch
            except (IncompleteStream, TransportError) as exc:
                failure = exc
            delay = source.wait_after(failure)
            if delay is None:
                return
            await async_sleep(delay)

    async def _sdk_events(self, request: Request) -> AsyncGenerator[Any, None]:
        limits = self._config.limits
        done = finished = False
        decoder = payload_decoder(limits)
        new_exchange = lambda: Exchange("payloads", decoder)  # noqa: E731
        async with aclosing(self._send(request, new_exchange)) as batches:
            async for batch in batches:
                if isinstance(batch, ResponseHead):
                    yield batch
                    continue
                chunks: list[Any] = []
                for event, payload in batch:
                    if done or payload is None:
                        done = True  # after [DONE]: read the response to its end
                        continue
                    error = sdk_error(event, payload)
                    if error is not None:
                        yield chunks  # every chunk before the error is delivered
                        raise error
                    finished = finished or has_finish_reason(payload)
                    chunks.append({"data": fill_sdk_chunk(payload)})
                yield chunks
        incomplete = incomplete_payloads(done, finished)
        if incomplete is not None:
            raise incomplete

    def _create_stream(self, path: str, params: dict[str, Any]) -> AsyncStream[Any]:
        request = self._config.request("POST", path, accept="text/event-stream", json=params)
        return AsyncStream(self._sdk_events(request))

    async def _create_json(self, path: str, params: dict[str, Any]) -> Any:
        request = self._config.request("POST", path, accept="application/json", json=params)
        async with AsyncStream[Any](self._send(request, lambda: Exchange("json"))) as stream:
            async for body in stream:
                return body
        raise IncompleteStream("the server sent no response body")

    # --- the byte loop --------------------------------------------------------------

    async def _send(self, request: Request,
                    new_exchange: Callable[[], Exchange]) -> AsyncGenerator[Any, None]:
        """Yield the response head, then lists of events of ``request``; retry as configured."""
        deadline = _Deadline(self._config)
        attempt = 0
        try:
            while True:
                delay = None
                tries = self._attempt(request, new_exchange(), deadline, attempt)
                async with aclosing(tries) as items:
                    async for item in items:
                        if isinstance(item, _Retry):
                            delay = item.delay
                        else:
                            yield item
                if delay is None:
                    return
                await async_sleep(min(delay, deadline.bound(None)))
                attempt += 1
        except Exception as exc:
            raise self._config.scrubbed(exc, request) from None

    async def _attempt(self, request: Request, exchange: Exchange, deadline: _Deadline,
                       attempt: int) -> AsyncGenerator[Any, None]:
        """One try: the head then the events, or a :class:`_Retry` saying how long to wait."""
        try:
            connection = await self._pool.acquire(deadline.bound(self._config.timeouts.connect))
        except ConnectError:
            delay = self._config.retry_delay(attempt, None)
            if delay is None:
                raise
            yield _Retry(delay)
            return
        try:
            await connection.transport.send(
                connection.http.request(request.method, request.target, request.headers,
                                        request.body))
            pending = await self._read_head(connection, exchange, deadline)
            assert exchange.head is not None
            delay = None if exchange.body_started else self._config.retry_delay(
                attempt, exchange.head)
            if delay is not None:
                yield _Retry(delay)
                return
            yield exchange.head
            yield pending
            async with aclosing(self._read_body(connection, exchange, deadline)) as batches:
                async for batch in batches:
                    yield batch
        finally:
            # Read to its end (even if the caller stops at the last event): reusable.
            await self._pool.release(connection, exchange.ended and exchange.reusable)

    async def _read_head(self, connection: AsyncConnection, exchange: Exchange,
                         deadline: _Deadline) -> list[Any]:
        """Read until the response head arrived; return the events read along with it."""
        pending: list[Any] = []
        while exchange.head is None:
            events = exchange.step(connection.http)
            if events is None:
                await self._receive(connection, exchange, deadline)
            else:
                pending.extend(events)
        return pending

    async def _read_body(self, connection: AsyncConnection, exchange: Exchange,
                         deadline: _Deadline) -> AsyncGenerator[Any, None]:
        http = connection.http
        while not exchange.ended:
            events = exchange.step(http)
            if events is None:
                await self._receive(connection, exchange, deadline)
                continue
            if events:
                yield events
            if http.backlog:
                await async_checkpoint()
        exchange.raise_pending()

    async def _receive(self, connection: AsyncConnection, exchange: Exchange,
                       deadline: _Deadline) -> None:
        read = self._config.timeouts.read
        bound = deadline.bound(read)
        try:
            data = await connection.receive(bound)
        except Timeout:
            if deadline.limits(read):
                raise deadline.expired() from None
            raise
        exchange.receive_data(connection.http, data)


class _Retry:
    """What :meth:`AsyncClient._attempt` yields instead of a response: try again after ``delay``."""

    def __init__(self, delay: float) -> None:
        self.delay = delay


class _EventSource:
    """EventSource reconnection bookkeeping for ``stream_sse``."""

    def __init__(self, config: ClientConfig, method: str, path: str,
                 headers: Mapping[str, str] | None, json: Any, reconnect: bool,
                 max_attempts: int) -> None:
        self.config = config
        self.method, self.path, self.json = method, path, json
        self.headers = dict(headers or {})
        self.reconnect, self.max_attempts = reconnect, max_attempts
        self.attempts = 0
        self.last_id: str | None = None
        self.retry_ms: int | None = None
        self.decoder = sse_decoder(config.limits)
        self.exchange = Exchange("sse", self.decoder)

    def next_request(self) -> Request:
        """The request of the next (re)connection."""
        extra = dict(self.headers)
        if self.last_id is not None:
            extra["Last-Event-ID"] = self.last_id
        return self.config.request(self.method, self.path, accept="text/event-stream",
                                   json=self.json, headers=extra)

    def new_exchange(self) -> Exchange:
        """A fresh decoder and exchange for one attempt."""
        self.decoder = sse_decoder(self.config.limits, self.last_id)
        self.exchange = Exchange("sse", self.decoder)
        return self.exchange

    def wait_after(self, failure: Exception | None) -> float | None:
        """Seconds to wait before reconnecting, or ``None`` when the stream is over.

        When it is over because of ``failure``, that error is raised instead.
        """
        self.last_id = self.decoder.last_event_id
        self.retry_ms = self.decoder.retry if self.decoder.retry is not None else self.retry_ms
        if not self.reconnect or self.attempts >= self.max_attempts or self.exchange.no_content:
            if failure is not None:
                raise failure
            return None
        self.attempts += 1
        retry_ms = self.retry_ms if self.retry_ms is not None else 3000
        return clamp_delay(min(retry_ms, int(MAX_DELAY * 1000)) / 1000)  # any number of digits

