"""OpenAI Responses streaming (``POST /v1/responses`` with ``"stream": true``).

Wire format (``spec/dialects/openai-responses.md``): named SSE events whose
JSON repeats the name in ``type`` and counts events in ``sequence_number``.
``response.created`` (the response shell), ``response.output_text.delta``
(``delta``: the next piece of text), many bookkeeping events (output items,
content parts, ``*.done`` events), and one terminal event:
``response.completed`` or ``response.incomplete`` (the whole response,
with ``output``, ``status``, ``incomplete_details`` and ``usage``), or
``response.failed`` (``response.error``).  An ``error`` event reports a
failure outside a response; it is seen both flat (``code``, ``message``)
and with a nested ``error`` object.

Mapping: ``output_index`` is not a choice, so everything is choice 0.
``response.output_text.delta`` gives Deltas of content,
``response.reasoning_summary_text.delta`` and ``response.reasoning_text.delta``
of reasoning, ``response.refusal.delta`` of refusal.  The terminal response
gives the Final: ``generated_text`` joins its ``output[].content[]`` parts
of type ``output_text`` (the server's full text), ``finish_reason`` is the
status (``completed``) or ``incomplete_details.reason``; then Done.
Errors are typed by their ``code``.  No ``[DONE]`` is sent.
"""

from __future__ import annotations

from typing import Any

from .._events import ChatEvent, StreamError
from ._base import Dialect, error_event, shape_error

__all__ = ["ResponsesDialect", "is_responses_error", "responses_error"]


def is_responses_error(value: dict[str, Any]) -> bool:
    """Is this first payload a Responses ``error`` event (rather than Anthropic's)?"""
    if value.get("type") != "error":
        return False
    error = value.get("error")
    return ("sequence_number" in value or "code" in value
            or (isinstance(error, dict) and "code" in error))


def responses_error(value: Any) -> StreamError:
    """A StreamError typed by the error's ``code`` (then its ``type``, then ``"error"``)."""
    event = error_event(value)
    code = event.code
    if code is None:
        return event
    return StreamError(message=event.message, type=str(code), code=code, payload=value)


def _failed(value: dict[str, Any]) -> StreamError:
    """The StreamError of a ``response.failed`` event, from ``response.error``."""
    response = value.get("response")
    error = response.get("error") if isinstance(response, dict) else None
    if not isinstance(error, dict):
        return StreamError(message="the response failed without an error object", type="error",
                           code=None, payload=value)
    event = responses_error({"error": error})
    return StreamError(message=event.message, type=event.type, code=event.code, payload=value)


def _output_text(output: Any) -> str | None:
    """Join the ``output_text`` parts of a response's ``output`` (``None`` if no output)."""
    if not isinstance(output, list):
        return None
    pieces = []
    for item in output:
        content = item.get("content") if isinstance(item, dict) else None
        if not isinstance(content, list):
            continue
        for part in content:
            if isinstance(part, dict) and part.get("type") == "output_text":
                text = part.get("text")
                if type(text) is not str:
                    raise shape_error("output[].content[].text", "a string", text)
                pieces.append(text)
    return "".join(pieces)


def _tool_calls(output: Any) -> dict[int, dict[str, Any]]:
    """The ``function_call`` items of a response's ``output``, in the chat-completions shape."""
    calls: dict[int, dict[str, Any]] = {}
    if isinstance(output, list):
        for item in output:
            if isinstance(item, dict) and item.get("type") == "function_call":
                calls[len(calls)] = {
                    "id": item.get("call_id"), "type": "function",
                    "function": {"name": item.get("name") or "",
                                 "arguments": item.get("arguments") or ""},
                }
    return calls


#: The events whose ``delta`` is text, and which text: content, reasoning or refusal.
_DELTA_EVENTS = {
    "response.output_text.delta": 0,
    "response.reasoning_summary_text.delta": 1,
    "response.reasoning_text.delta": 1,
    "response.refusal.delta": 2,
}


class ResponsesDialect(Dialect):
    name = "openai-responses"

    @classmethod
    def detect(cls, value: dict[str, Any]) -> bool:
        kind = value.get("type")
        return isinstance(kind, str) and kind.startswith("response.")

    def payload(self, event: str, value: dict[str, Any]) -> list[ChatEvent]:
        kind = value.get("type") or event
        if not kind or type(kind) is not str:
            raise shape_error("type", "a non-empty string", kind)
        slot = _DELTA_EVENTS.get(kind)
        if slot is not None:
            text = value.get("delta")
            if type(text) is not str:
                raise shape_error("delta", "a string", text)
            return [self.delta(self.choice(0), text if slot == 0 else None, value,
                               reasoning=text if slot == 1 else None,
                               refusal=text if slot == 2 else None)]
        if kind == "response.completed" or kind == "response.incomplete":
            return self._completed(kind, value)
        if kind == "response.failed":
            return [_failed(value)]
        if kind == "error":
            return self.error(value)
        if kind in ("response.created", "response.in_progress", "response.queued"):
            self._response(value)
            self.choice(0).chunk = value
        # Every other event (output items, content parts, reasoning, tool-call
        # arguments, *.done): nothing to report; it stays reachable as sent.
        return []

    def _completed(self, kind: str, value: dict[str, Any]) -> list[ChatEvent]:
        response = self._response(value)
        state = self.choice(0)
        output = response.get("output")
        text = _output_text(output)
        if text is not None:
            state.generated_text = text
        calls = _tool_calls(output)
        if calls:
            state.tool_calls = calls
        reason = None
        if kind == "response.incomplete":
            details = response.get("incomplete_details") or {}
            if type(details) is not dict:
                raise shape_error("response.incomplete_details", "an object", details)
            reason = details.get("reason")
        self.finish(state, reason or response.get("status") or kind[9:], value)
        return self.done()

    def _response(self, value: dict[str, Any]) -> dict[str, Any]:
        response = value.get("response")
        if type(response) is not dict:
            raise shape_error("response", "an object", response)
        result = self.result
        if result.id is None:
            result.id = response.get("id")
            result.model = response.get("model")
        if response.get("usage") is not None:
            result.usage = response["usage"]
        return response

    def error(self, value: Any) -> list[ChatEvent]:
        return [responses_error(value)]
