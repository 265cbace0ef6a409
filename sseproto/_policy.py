"""Response policy shared by the clients and the adapters (sans-IO, below both).

- which responses are streams (status and Content-Type), and the errors for
  those that are not (:func:`status_error`, :func:`wrong_content_type`);
- the end rules of a chat stream (:func:`incomplete_chat`) and of the
  SDK-shaped stream (:func:`sdk_error`, :func:`fill_sdk_chunk`);
- :class:`Exchange`: one request's response, bytes in, events out, one
  bounded step at a time.

The adapters import this module, never :mod:`sseproto.client`.
"""

from __future__ import annotations

from typing import Any

import orjson

from ._chat import ChatStreamDecoder, PayloadDecoder
from ._errors import (
    IncompleteStream,
    RemoteProtocolError,
    StreamErrorRaised,
    UnexpectedContentType,
    snippet,
)
from ._http import (
    MAX_ERROR_BODY,
    HTTPConnection,
    NeedData,
    ResponseEnd,
    ResponseHead,
    status_error,
)
from ._limits import Limits
from ._sse import SSEDecoder
from .dialects import error_event

__all__ = [
    "MAX_JSON_BODY",
    "STREAM_TYPES",
    "Exchange",
    "chat_decoder",
    "fill_sdk_chunk",
    "incomplete_chat",
    "is_stream",
    "payload_decoder",
    "sdk_error",
    "sse_decoder",
    "status_error",
    "wrong_content_type",
]

#: The largest non-streaming JSON response read by ``create(stream=False)``.
MAX_JSON_BODY = 64 * 1024 * 1024

#: Content types accepted for a stream ("" when the server sent none).
STREAM_TYPES = ("text/event-stream", "application/x-ndjson",
                "application/vnd.amazon.eventstream", "")


def chat_decoder(dialect: str, limits: Limits) -> ChatStreamDecoder:
    return ChatStreamDecoder(dialect, limits=limits)


def sse_decoder(limits: Limits, last_event_id: str | None = None) -> SSEDecoder:
    return SSEDecoder(limits=limits, last_event_id=last_event_id)


def payload_decoder(limits: Limits) -> PayloadDecoder:
    return PayloadDecoder(limits=limits)


def is_stream(head: ResponseHead) -> bool:
    """Is the response a 2xx event stream (anything else is read as an error body)?"""
    return 200 <= head.status_code < 300 and head.content_type in STREAM_TYPES


def rejection(head: ResponseHead, body: bytes) -> Exception:
    """The error for a response that is not a stream: its status, or its Content-Type."""
    body = body[:MAX_ERROR_BODY]
    if not 200 <= head.status_code < 300:
        return status_error(head, body)
    return wrong_content_type(head, body)


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


def incomplete_payloads(done: bool, finished: bool) -> IncompleteStream | None:
    """:func:`incomplete_chat` for the SDK-shaped stream of raw chunks."""
    if done or finished:
        return None
    return IncompleteStream(
        "the stream ended before [DONE] and before any finish_reason; every chunk received"
        " so far was delivered"
    )


def has_finish_reason(chunk: Any) -> bool:
    """Does a raw chunk carry a ``finish_reason`` in any choice?"""
    if not isinstance(chunk, dict):
        return False
    return any(isinstance(choice, dict) and choice.get("finish_reason") is not None
               for choice in chunk.get("choices") or ())


def fill_sdk_chunk(chunk: Any) -> Any:
    """Give every delta a ``content`` string, as the vendor SDKs' loops expect."""
    if isinstance(chunk, dict):
        for choice in chunk.get("choices") or ():
            if isinstance(choice, dict):
                delta = choice.setdefault("delta", {})
                if isinstance(delta, dict) and delta.get("content") is None:
                    delta["content"] = ""
    return chunk


def sdk_error(event: str, payload: Any) -> StreamErrorRaised | None:
    """The error ``create(stream=True)`` raises for an in-stream error payload."""
    if event == "error" or (isinstance(payload, dict) and (
            payload.get("error") is not None or payload.get("object") == "error")):
        error = error_event(payload)
        return StreamErrorRaised(f"the stream reported an error ({error.type}): {error.message}",
                                 stream_error=error)
    return None


class Exchange:
    """One request's response, sans-IO: bytes in, events out, one bounded step at a time.

    ``kind`` is ``"chat"`` (chat events), ``"sse"`` (:class:`ServerSentEvent`),
    ``"payloads"`` (``(event, json)`` frames) or ``"json"`` (one JSON body).
    """

    def __init__(self, kind: str, decoder: Any = None) -> None:
        self.kind = kind
        self.decoder = decoder
        self.head: ResponseHead | None = None
        self.ended = False  # the body ended (where its framing said, or at EOF)
        self.reusable = False
        self.body_started = False  # a body byte of a stream reached the decoder
        self._eof = False
        self._error_body: bytearray | None = None

    def raise_pending(self) -> None:
        """Raise an error the decoder found after the last events it returned, if any."""
        if self.decoder is not None:
            self.decoder.raise_pending()

    def receive_data(self, http: HTTPConnection, data: bytes) -> None:
        """Give received bytes (``b""``: the server closed) to the connection."""
        self._eof = not data
        http.receive_data(data)

    def step(self, http: HTTPConnection) -> list[Any] | None:
        """Handle one HTTP event; return the events it completes, ``None`` for more bytes.

        Raises the typed error of a rejected response at its end.
        """
        if self.ended:
            return None
        event = http.next_event()
        if event is NeedData:
            if not self._eof:
                return None
            self.ended = True  # a close-delimited body that h11 accepted, or no response
            return self._finish()
        if isinstance(event, ResponseHead):
            self._start(event)
            return []
        if isinstance(event, ResponseEnd):
            self.ended, self.reusable = True, event.reusable
            return self._finish()
        assert isinstance(event, bytes)
        if self._error_body is None:
            self.body_started = True
            return list(self.decoder.feed(event))
        if len(self._error_body) < self._body_limit():
            self._error_body += event
        return []

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
        if self.kind == "json" or not is_stream(head):
            self._error_body = bytearray()

    def _finish(self) -> list[Any]:
        head = self.head
        if head is None:
            raise IncompleteStream(
                "the server closed the connection without a response; the request was sent"
                " and is not re-sent (it may have been processed)")
        if self._error_body is None:
            return list(self.decoder.close())
        body = bytes(self._error_body)
        if self.kind == "json" and self._is_ok():
            try:
                return [orjson.loads(body)]
            except orjson.JSONDecodeError:
                raise RemoteProtocolError(
                    f"the response body is not JSON: {snippet(body.decode('utf-8', 'replace'))}"
                ) from None
        raise rejection(head, body)
