"""Clients: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio).

Both run the sans-IO core over a driver.  The protocol work of one request
lives in :class:`_Exchange`, shared by both clients, so each client is only
a loop that moves bytes:

- the request goes out as bytes from :class:`~sseproto._http.HTTPConnection`;
- a non-2xx response becomes :class:`~sseproto.HTTPStatusError` (its body read
  up to a bound and parsed); a 2xx stream whose Content-Type is not
  ``text/event-stream`` gets a clear error instead of a parse failure;
- body bytes go to the chat or SSE decoder and events come out as they are
  completed; a body cut short raises :class:`~sseproto.IncompleteStream`
  after every event already received was yielded.

Connections are kept alive and reused when a response ended cleanly.
``timeout`` applies to the connect and to each read, like httpx.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from types import TracebackType
from typing import Any

import orjson

from ._chat import ChatStreamDecoder, PayloadDecoder
from ._errors import IncompleteStream, RemoteProtocolError, TransportError, snippet
from ._events import ChatEvent, ServerSentEvent, StreamError
from ._http import (
    MAX_ERROR_BODY,
    URL,
    HTTPConnection,
    ResponseEnd,
    ResponseHead,
    parse_url,
    status_error,
)
from ._sse import SSEDecoder
from ._version import __version__
from .dialects import error_event
from .drivers import AsyncioTransport, AsyncTransport, SocketTransport, TLSTransport, Transport
from .drivers._proxy import proxy_for

__all__ = ["AsyncClient", "Client", "UnexpectedContentType"]

#: The largest non-streaming JSON response read by ``create(stream=False)``.
MAX_JSON_BODY = 64 * 1024 * 1024

#: Content types accepted for a stream ("" when the server sent none).
STREAM_TYPES = ("text/event-stream", "application/x-ndjson", "")


class UnexpectedContentType(RemoteProtocolError):
    """A 2xx response whose Content-Type is not what the call expects.

    ``body`` holds the parsed JSON (or text) the server sent instead, often
    an error object or a whole non-streamed completion.
    """

    def __init__(self, message: str, *, content_type: str, body: Any) -> None:
        super().__init__(message)
        self.content_type = content_type
        self.body = body


def _api_key(api_key: str | None) -> str | None:
    if api_key is not None:
        return api_key
    return os.environ.get("SSEPROTO_API_KEY") or os.environ.get("PREDICTIONGUARD_API_KEY")


class _Exchange:
    """One request and its response, sans-IO: bytes in, events out.

    ``kind`` is ``"chat"`` (chat events), ``"sse"`` (:class:`ServerSentEvent`),
    ``"payloads"`` (``(event, json)`` frames) or ``"json"`` (one JSON body).
    """

    def __init__(self, kind: str, decoder: Any = None) -> None:
        self.kind = kind
        self.decoder = decoder
        self.head: ResponseHead | None = None
        self.ended = False  # the body ended where its framing said
        self.reusable = False
        self.received_any = False
        self._error_body: bytearray | None = None

    def receive(self, http: HTTPConnection, data: bytes) -> list[Any]:
        """Feed received bytes (``b""`` at EOF); return events, raise typed errors."""
        if data:
            self.received_any = True
        out: list[Any] = []
        for event in http.receive(data):
            if isinstance(event, ResponseHead):
                self._start(event)
            elif isinstance(event, ResponseEnd):
                self.ended, self.reusable = True, event.reusable
                out.extend(self._finish())
            elif self._error_body is not None:
                if len(self._error_body) < self._body_limit():
                    self._error_body += event
            else:
                out.extend(self.decoder.feed(event))
        if not data and not self.ended:
            out.extend(self._finish())  # a close-delimited body that h11 accepted
            self.ended = True
        return out

    @property
    def no_content(self) -> bool:
        """A 204 answer: an EventSource stops reconnecting."""
        return self.head is not None and self.head.status_code == 204

    def _body_limit(self) -> int:
        return MAX_JSON_BODY if self.kind == "json" and self._is_ok() else MAX_ERROR_BODY

    def _is_ok(self) -> bool:
        return self.head is not None and 200 <= self.head.status_code < 300

    def _start(self, head: ResponseHead) -> None:
        self.head = head
        if not self._is_ok() or self.kind == "json" or head.content_type not in STREAM_TYPES:
            self._error_body = bytearray()

    def _finish(self) -> list[Any]:
        head = self.head
        if head is None:
            raise IncompleteStream("the server closed the connection without a response")
        if self._error_body is not None:
            body = bytes(self._error_body)
            if not self._is_ok():
                raise status_error(head, body)
            if self.kind == "json":
                try:
                    return [orjson.loads(body)]
                except orjson.JSONDecodeError:
                    raise RemoteProtocolError(
                        f"the response body is not JSON: {snippet(body.decode('utf-8', 'replace'))}"
                    ) from None
            raise wrong_content_type(head, body)
        return list(self.decoder.close())


def wrong_content_type(head: ResponseHead, body: bytes) -> UnexpectedContentType:
    """The error for a 2xx answer that is not a stream, saying what the body holds."""
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = body.decode("utf-8", "replace")
    detail = ""
    if isinstance(parsed, dict) and ("error" in parsed or parsed.get("object") == "error"):
        detail = f"; it reports an error: {error_event(parsed).message}"
    elif isinstance(parsed, dict) and "choices" in parsed:
        detail = "; it looks like a whole completion: was the request sent with stream=True?"
    return UnexpectedContentType(
        f"expected a text/event-stream response, got Content-Type"
        f" {head.headers.get('content-type', '')!r} with status {head.status_code}{detail}",
        content_type=head.content_type,
        body=parsed,
    )


def incomplete_chat(chat: ChatStreamDecoder, errored: bool) -> IncompleteStream | None:
    """The error for a chat stream that ended before its end marker and any finish_reason."""
    if chat.done or errored:
        return None
    if any(state.finish_reason is not None for state in chat.result.choices.values()):
        return None
    return IncompleteStream(
        "the stream ended before [DONE] and before any finish_reason; the text received"
        " so far was delivered"
    )


def _fill_sdk_chunk(chunk: Any) -> Any:
    """Give every delta a ``content`` string, as the seed's SDK loop expects."""
    if isinstance(chunk, dict):
        for choice in chunk.get("choices") or ():
            if isinstance(choice, dict):
                delta = choice.setdefault("delta", {})
                if isinstance(delta, dict) and delta.get("content") is None:
                    delta["content"] = ""
    return chunk


def _sdk_error(event: str, payload: Any) -> RemoteProtocolError | None:
    if event == "error" or (isinstance(payload, dict) and (
            payload.get("error") is not None or payload.get("object") == "error")):
        error = error_event(payload)
        exc = RemoteProtocolError(f"the stream reported an error ({error.type}): {error.message}")
        exc.stream_error = error  # type: ignore[attr-defined]
        return exc
    return None


class _EventSource:
    """EventSource reconnection bookkeeping, shared by both clients' ``stream_sse``."""

    def __init__(self, headers: Mapping[str, str] | None, reconnect: bool,
                 max_attempts: int) -> None:
        self.headers = dict(headers or {})
        self.reconnect, self.max_attempts = reconnect, max_attempts
        self.attempts = 0
        self.last_id: str | None = None
        self.retry_ms: int | None = None
        self.decoder = SSEDecoder()

    def next_request(self) -> tuple[_Exchange, dict[str, str]]:
        """The exchange and headers of the next (re)connection."""
        extra = dict(self.headers)
        if self.last_id is not None:
            extra["Last-Event-ID"] = self.last_id
        self.decoder = SSEDecoder(last_event_id=self.last_id)
        return _Exchange("sse", self.decoder), extra

    def wait_after(self, exchange: _Exchange, failure: Exception | None) -> float | None:
        """Seconds to wait before reconnecting, or ``None`` when the stream is over.

        When it is over because of ``failure``, that error is raised instead.
        """
        self.last_id = self.decoder.last_event_id
        self.retry_ms = self.decoder.retry or self.retry_ms
        if not self.reconnect or self.attempts >= self.max_attempts or exchange.no_content:
            if failure is not None:
                raise failure
            return None
        self.attempts += 1
        return (self.retry_ms if self.retry_ms is not None else 3000) / 1000


class _Base:
    """What both clients share: configuration and request building."""

    def __init__(self, base_url: str, api_key: str | None, ssl_context: ssl.SSLContext | None,
                 timeout: float | None, headers: Mapping[str, str] | None) -> None:
        self.url: URL = parse_url(base_url)
        self.api_key = _api_key(api_key)
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.proxy = proxy_for(self.url.scheme, self.url.host)
        self._http: HTTPConnection | None = None  # the kept-alive connection's protocol
        self._busy = False  # a response is being read on the connection
        self.chat = _Chat(self)

    def _request_headers(self, accept: str, body: bool,
                         extra: Mapping[str, str] | None) -> list[tuple[str, str]]:
        headers = [("User-Agent", f"sseproto/{__version__}"), ("Accept", accept)]
        if body:
            headers.append(("Content-Type", "application/json"))
        if self.api_key:
            headers.append(("Authorization", f"Bearer {self.api_key}"))
        headers.extend(self.headers.items())
        headers.extend((extra or {}).items())
        return headers


class Client(_Base):
    """A blocking client for streamed chat completions and SSE endpoints.

    >>> client = Client("https://api.example.com/v1")   # nothing connects yet
    >>> client.url.origin, client.url.path
    ('https://api.example.com', '/v1')
    """

    def __init__(self, base_url: str, api_key: str | None = None, *,
                 ssl_context: ssl.SSLContext | None = None, timeout: float | None = 30.0,
                 transport: Transport | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(base_url, api_key, ssl_context, timeout, headers)
        self._given_transport = transport
        self._transport: Transport | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the kept-alive connection, if any."""
        if self._transport is not None:
            transport, self._transport, self._http = self._transport, None, None
            transport.close()

    # --- public calls ---------------------------------------------------------------

    def stream_chat(self, payload: Mapping[str, Any], path: str = "/chat/completions",
                    *, dialect: str = "auto") -> Iterator[ChatEvent]:
        """POST ``payload`` and yield chat events; see DESIGN.md for the rules."""
        chat = ChatStreamDecoder(dialect)
        errored = False
        for event in self._exchange("POST", path, _Exchange("chat", chat), dict(payload)):
            yield event
            if isinstance(event, StreamError):
                errored = True
                return
        error = incomplete_chat(chat, errored)
        if error is not None:
            raise error

    def stream_sse(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                   *, json: Any = None, reconnect: bool = False,
                   max_attempts: int = 3) -> Iterator[ServerSentEvent]:
        """Yield the :class:`ServerSentEvent` s of one request.

        With ``reconnect=True`` it reconnects like an EventSource when the
        stream ends or breaks: it sends ``Last-Event-ID`` and waits the
        server's ``retry`` time (3 s when it sent none), at most
        ``max_attempts`` times; a 204 answer stops it.
        """
        source = _EventSource(headers, reconnect, max_attempts)
        while True:
            exchange, extra = source.next_request()
            failure: Exception | None = None
            try:
                yield from self._exchange(method, path, exchange, json, extra)
            except (IncompleteStream, TransportError) as exc:
                failure = exc
            delay = source.wait_after(exchange, failure)
            if delay is None:
                return
            time.sleep(delay)

    # --- the byte loop --------------------------------------------------------------

    def _exchange(self, method: str, path: str, exchange: _Exchange, body: Any,
                  headers: Mapping[str, str] | None = None) -> Iterator[Any]:
        accept = "application/json" if exchange.kind == "json" else "text/event-stream"
        data = None if body is None else orjson.dumps(body)
        request_headers = self._request_headers(accept, data is not None, headers)
        if self._busy:
            self.close()  # an earlier stream was abandoned mid-response
        reused = self._http is not None
        transport, http = self._connection()
        self._busy = True
        clean = False
        try:
            try:
                transport.send(http.request(method, path, request_headers, data))
                received = transport.receive()
            except TransportError:
                if not reused:
                    raise
                received = b""
            if reused and not received:
                # The kept-alive connection had been closed by the server: retry once.
                self.close()
                transport, http = self._connection()
                transport.send(http.request(method, path, request_headers, data))
                received = transport.receive()
            while True:
                yield from exchange.receive(http, received)
                if exchange.ended or not received:
                    break
                received = transport.receive()
            clean = exchange.ended and exchange.reusable
        finally:
            if http is self._http:  # else a later request already replaced it
                self._busy = False
                if clean:
                    http.start_next_cycle()
                else:
                    self.close()

    def _connection(self) -> tuple[Transport, HTTPConnection]:
        if self._transport is None or self._http is None:
            transport = self._given_transport or self._default_transport()
            transport.connect(self.url.host, self.url.port, self.timeout)
            self._transport, self._http = transport, HTTPConnection(self.url)
        return self._transport, self._http

    def _default_transport(self) -> Transport:
        if self.url.scheme == "https":
            return TLSTransport(self.ssl_context, proxy=self.proxy)
        return SocketTransport(proxy=self.proxy)


class _Chat:
    def __init__(self, client: _Base) -> None:
        self.completions = _Completions(client)


class _Completions:
    """``client.chat.completions.create(...)``, the shape of the vendor SDKs."""

    def __init__(self, client: _Base) -> None:
        self._client = client

    def create(self, *, path: str = "/chat/completions", **params: Any) -> Any:
        """``stream=True``: an iterator of ``{"data": chunk}``; otherwise the response dict.

        Every chunk reaches the caller, and a delta without content gets
        ``"content": ""``.  An error sent inside the stream raises
        :class:`~sseproto.RemoteProtocolError` (its ``stream_error`` attribute
        holds the :class:`~sseproto.StreamError`).
        """
        if isinstance(self._client, AsyncClient):
            return self._client._create(path, params)
        assert isinstance(self._client, Client)
        return self._client_create(self._client, path, params)

    @staticmethod
    def _client_create(client: Client, path: str, params: dict[str, Any]) -> Any:
        if not params.get("stream"):
            return next(iter(client._exchange("POST", path, _Exchange("json"), params)))
        return _sync_sdk_stream(client, path, params)


def _sync_sdk_stream(client: Client, path: str, params: dict[str, Any]) -> Iterator[Any]:
    exchange = _Exchange("payloads", PayloadDecoder())
    for event, payload in client._exchange("POST", path, exchange, params):
        if payload is None:
            return
        error = _sdk_error(event, payload)
        if error is not None:
            raise error
        yield {"data": _fill_sdk_chunk(payload)}


class _AwaitableStream:
    """An async iterator that may also be awaited first, as the openai SDK's is.

    ``async for res in client.chat.completions.create(..., stream=True)`` and
    ``async for res in await client.chat.completions.create(...)`` both work.
    """

    def __init__(self, stream: AsyncIterator[Any]) -> None:
        self._stream = stream

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._stream

    def __await__(self) -> Generator[Any, None, _AwaitableStream]:
        return self._itself().__await__()

    async def _itself(self) -> _AwaitableStream:
        return self

    async def aclose(self) -> None:
        await self._stream.aclose()  # type: ignore[attr-defined]


class AsyncClient(_Base):
    """The asyncio twin of :class:`Client`: the same methods, as async iterators."""

    def __init__(self, base_url: str, api_key: str | None = None, *,
                 ssl_context: ssl.SSLContext | None = None, timeout: float | None = 30.0,
                 transport: AsyncTransport | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(base_url, api_key, ssl_context, timeout, headers)
        self._given_transport = transport
        self._transport: AsyncTransport | None = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the kept-alive connection, if any."""
        if self._transport is not None:
            transport, self._transport, self._http = self._transport, None, None
            await transport.close()

    close = aclose

    async def stream_chat(self, payload: Mapping[str, Any], path: str = "/chat/completions",
                          *, dialect: str = "auto") -> AsyncIterator[ChatEvent]:
        """POST ``payload`` and yield chat events (see :meth:`Client.stream_chat`)."""
        chat = ChatStreamDecoder(dialect)
        errored = False
        async for event in self._exchange("POST", path, _Exchange("chat", chat), dict(payload)):
            yield event
            if isinstance(event, StreamError):
                errored = True
                return
        error = incomplete_chat(chat, errored)
        if error is not None:
            raise error

    async def stream_sse(self, method: str, path: str,
                         headers: Mapping[str, str] | None = None, *, json: Any = None,
                         reconnect: bool = False,
                         max_attempts: int = 3) -> AsyncIterator[ServerSentEvent]:
        """Yield the events of one request (see :meth:`Client.stream_sse`)."""
        source = _EventSource(headers, reconnect, max_attempts)
        while True:
            exchange, extra = source.next_request()
            failure: Exception | None = None
            try:
                async for event in self._exchange(method, path, exchange, json, extra):
                    yield event
            except (IncompleteStream, TransportError) as exc:
                failure = exc
            delay = source.wait_after(exchange, failure)
            if delay is None:
                return
            await asyncio.sleep(delay)

    def _create(self, path: str, params: dict[str, Any]) -> Any:
        if not params.get("stream"):
            return self._create_json(path, params)
        return _AwaitableStream(self._sdk_stream(path, params))

    async def _create_json(self, path: str, params: dict[str, Any]) -> Any:
        async for body in self._exchange("POST", path, _Exchange("json"), params):
            return body
        raise IncompleteStream("the server sent no response body")

    async def _sdk_stream(self, path: str, params: dict[str, Any]) -> AsyncIterator[Any]:
        exchange = _Exchange("payloads", PayloadDecoder())
        async for event, payload in self._exchange("POST", path, exchange, params):
            if payload is None:
                return
            error = _sdk_error(event, payload)
            if error is not None:
                raise error
            yield {"data": _fill_sdk_chunk(payload)}

    async def _exchange(self, method: str, path: str, exchange: _Exchange, body: Any,
                        headers: Mapping[str, str] | None = None) -> AsyncIterator[Any]:
        accept = "application/json" if exchange.kind == "json" else "text/event-stream"
        data = None if body is None else orjson.dumps(body)
        request_headers = self._request_headers(accept, data is not None, headers)
        if self._busy:
            await self.aclose()  # an earlier stream was abandoned mid-response
        reused = self._http is not None
        transport, http = await self._connection()
        self._busy = True
        clean = False
        try:
            try:
                await transport.send(http.request(method, path, request_headers, data))
                received = await transport.receive()
            except TransportError:
                if not reused:
                    raise
                received = b""
            if reused and not received:
                await self.aclose()
                transport, http = await self._connection()
                await transport.send(http.request(method, path, request_headers, data))
                received = await transport.receive()
            while True:
                for event in exchange.receive(http, received):
                    yield event
                if exchange.ended or not received:
                    break
                received = await transport.receive()
            clean = exchange.ended and exchange.reusable
        finally:
            if http is self._http:  # else a later request already replaced it
                self._busy = False
                if clean:
                    http.start_next_cycle()
                else:
                    await self.aclose()

    async def _connection(self) -> tuple[AsyncTransport, HTTPConnection]:
        if self._transport is None or self._http is None:
            transport = self._given_transport or AsyncioTransport(
                self.ssl_context, tls=self.url.scheme == "https", proxy=self.proxy)
            await transport.connect(self.url.host, self.url.port, self.timeout)
            self._transport, self._http = transport, HTTPConnection(self.url)
        return self._transport, self._http

