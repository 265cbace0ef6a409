"""Compute the expected result of every capture with the provider's official SDK.

Run from the repository root, with the SDKs installed in the environment
(they are not dependencies of sseproto, and the tests do not need them)::

    pip install openai anthropic mistralai google-genai ollama botocore huggingface_hub
    python spec/captures/_expect.py            # rewrites every <name>.expected.json
    python spec/captures/_expect.py --check    # compares, writes nothing
    python spec/captures/_provenance.py        # then re-renders PROVENANCE.md

Nothing here imports sseproto: each capture's bytes go through the SDK's
own stream parser (SSE decoder, event-stream decoder, NDJSON reader) and the
SDK's own typed models, and the result is accumulated the way the SDK does
(``ChatCompletionStreamState`` for OpenAI chat, ``accumulate_event`` for
Anthropic) or, where the SDK has no accumulator, by joining the typed deltas.
The SDK name and version are written into each expected file.

The result is what sseproto's dialect table promises (see README's chat
stream rules): ``text``, ``reasoning``, ``refusal``, ``tool_calls`` (``id``,
``name``, ``arguments`` as a JSON string), ``finish_reason`` (in the
dialect's words), ``usage`` (the dialect's usage object, as sent or merged),
``error`` (``message``/``type`` of an in-stream error, else null) and
``done`` (the protocol's normal end was reached).
"""

from __future__ import annotations

import copy
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FAKE_URL = "http://127.0.0.1:9/v1"

# Gemini's finishReason in OpenAI's words (the gemini dialect's table).
GEMINI_FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter",
                 "RECITATION": "content_filter", "BLOCKLIST": "content_filter",
                 "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter"}


def result(dialect: str, sdk: str, **fields: Any) -> dict[str, Any]:
    out = {"dialect": dialect, "text": "", "reasoning": None, "refusal": None,
           "tool_calls": None, "finish_reason": None, "usage": None, "error": None,
           "done": False}
    out.update(fields)
    out["computed_with"] = f"{sdk} {version(sdk)}" if sdk != "hand" else "hand computation"
    return out


def joined(pieces: list[str]) -> str | None:
    return "".join(pieces) if pieces else None


def _httpx_response(body: bytes, content_type: str) -> Any:
    import httpx

    request = httpx.Request("POST", FAKE_URL + "/stream")
    return httpx.Response(200, headers={"content-type": content_type}, content=body,
                          request=request)


# --- OpenAI chat completions and every OpenAI-compatible server -----------------------


def expect_openai(body: bytes) -> dict[str, Any]:
    import openai
    from openai._streaming import SSEDecoder
    from openai.lib.streaming.chat._completions import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk

    client = openai.OpenAI(api_key="none", base_url=FAKE_URL)
    stream = openai.Stream(cast_to=ChatCompletionChunk, client=client,
                           response=_httpx_response(body, "text/event-stream"))
    state = ChatCompletionStreamState()
    chunks = 0
    usage = error = None
    reasoning: list[str] = []
    try:
        for chunk in stream:
            state.handle_chunk(chunk)
            chunks += 1
            if chunk.usage is not None:
                usage = chunk.usage.to_dict()
            for choice in chunk.choices:
                extra = choice.delta.to_dict()
                piece = extra.get("reasoning_content") or extra.get("reasoning")
                if choice.index == 0 and isinstance(piece, str) and piece:
                    reasoning.append(piece)
    except openai.APIError as exc:
        error = {"message": exc.message, "type": exc.type}
    events = SSEDecoder().iter_bytes(iter([body]))
    saw_done = any(sse.data.startswith("[DONE]") for sse in events)
    done = error is None and (saw_done or _unterminated_done(body))
    fields: dict[str, Any] = {"usage": usage, "error": error, "done": done,
                              "reasoning": joined(reasoning)}
    if chunks:
        fields.update(_openai_message(state.current_completion_snapshot))
    return result("openai", "openai", **fields)


def _openai_message(snapshot: Any) -> dict[str, Any]:
    """Choice 0 of the SDK's accumulated completion: text, refusal, finish, tool calls."""
    if not snapshot.choices:
        return {}
    choice = snapshot.choices[0]
    message = choice.message
    calls = [{"id": call.id, "name": call.function.name, "arguments": call.function.arguments}
             for call in message.tool_calls or []]
    return {"text": message.content or "", "refusal": message.refusal or None,
            "finish_reason": choice.finish_reason, "tool_calls": calls or None}


def _unterminated_done(body: bytes) -> bool:
    """``data: [DONE]`` as the last line with no blank line after it.

    A strict SSE parser (the SDK's too) never dispatches that last event, so
    the SDK just stops; sseproto uses it at close() and counts a repair, so
    the stream did reach its end marker.
    """
    lines = body.rstrip(b"\r\n").splitlines()
    return bool(lines) and lines[-1].strip() == b"data: [DONE]" and not body.endswith(b"\n\n")


# --- OpenAI Responses ---------------------------------------------------------------


def expect_responses(body: bytes) -> dict[str, Any]:
    import openai
    from openai.types.responses import ResponseStreamEvent

    client = openai.OpenAI(api_key="none", base_url=FAKE_URL)
    stream = openai.Stream(cast_to=ResponseStreamEvent, client=client,  # type: ignore[arg-type]
                           response=_httpx_response(body, "text/event-stream"))
    text: list[str] = []
    reasoning: list[str] = []
    fields: dict[str, Any] = {}
    try:
        for event in stream:
            kind = event.type
            if kind == "response.output_text.delta":
                text.append(event.delta)
            elif kind in ("response.reasoning_text.delta", "response.reasoning_summary_text.delta"):
                reasoning.append(event.delta)
            elif kind in ("response.completed", "response.incomplete"):
                response = event.response
                details = response.incomplete_details
                fields.update(
                    done=True, text=response.output_text,
                    finish_reason=details.reason if details and details.reason else response.status,
                    usage=response.usage.to_dict() if response.usage else None,
                    tool_calls=[{"id": item.call_id, "name": item.name, "arguments": item.arguments}
                                for item in response.output if item.type == "function_call"] or None)
            elif kind in ("response.failed", "error"):
                failure = event.response.error if kind == "response.failed" else event
                fields["error"] = {"message": failure.message, "type": getattr(failure, "code", None)}
                break
    except openai.APIError as exc:
        fields["error"] = {"message": exc.message, "type": exc.type}
    fields.setdefault("text", "".join(text))
    fields["reasoning"] = joined(reasoning)
    return result("openai-responses", "openai", **fields)


# --- Anthropic messages -------------------------------------------------------------


def expect_anthropic(body: bytes) -> dict[str, Any]:
    import anthropic
    from anthropic.lib.streaming._messages import accumulate_event
    from anthropic.types import RawMessageStreamEvent

    client = anthropic.Anthropic(api_key="none", base_url=FAKE_URL)
    stream = anthropic.Stream(cast_to=RawMessageStreamEvent, client=client,  # type: ignore[arg-type]
                              response=_httpx_response(body, "text/event-stream"))
    message = error = None
    done = False
    json_bufs: dict[int, bytes] = {}
    try:
        for event in stream:
            message = accumulate_event(event=event, current_snapshot=message, json_bufs=json_bufs)
            done = done or event.type == "message_stop"
    except anthropic.APIError as exc:
        error = {"message": exc.message, "type": (exc.body or {}).get("error", {}).get("type")}
    fields: dict[str, Any] = {"error": error, "done": done and error is None}
    if message is not None:
        blocks = message.content
        calls = [{"id": block.id, "name": block.name, "arguments": json.dumps(block.input)}
                 for block in blocks if block.type == "tool_use"]
        fields.update(
            text="".join(block.text for block in blocks if block.type == "text"),
            reasoning=joined([block.thinking for block in blocks if block.type == "thinking"]),
            tool_calls=calls or None, finish_reason=message.stop_reason,
            usage=message.usage.to_dict())
    return result("anthropic", "anthropic", **fields)


# --- Mistral (its own SDK: delta.content may be a list of text and thinking parts) ----


def expect_mistral(body: bytes) -> dict[str, Any]:
    from mistralai.client import models, utils
    from mistralai.client.utils.eventstreaming import EventStream

    events = EventStream(_httpx_response(body, "text/event-stream"),  # type: ignore[arg-type]
                         lambda raw: utils.unmarshal_json(raw, models.CompletionEvent),
                         sentinel="[DONE]")
    text: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    fields: dict[str, Any] = {}
    for event in events:
        chunk = event.data
        if chunk.usage:
            fields["usage"] = json.loads(chunk.usage.model_dump_json(by_alias=True))
        for choice in chunk.choices:
            delta = choice.delta
            _mistral_content(delta.content, text, reasoning)
            for number, call in enumerate(delta.tool_calls or []):
                slot = calls.setdefault(call.index if isinstance(call.index, int) else number,
                                        {"id": None, "name": "", "arguments": ""})
                slot["id"] = call.id if isinstance(call.id, str) else slot["id"]
                slot["name"] += call.function.name or ""
                arguments = call.function.arguments
                slot["arguments"] += arguments if isinstance(arguments, str) else json.dumps(arguments)
            if choice.finish_reason:
                fields["finish_reason"] = str(choice.finish_reason)
    fields["done"] = b"data: [DONE]" in body
    return result("openai", "mistralai", text="".join(text), reasoning=joined(reasoning),
                  tool_calls=[calls[n] for n in sorted(calls)] or None, **fields)


def _mistral_content(content: Any, text: list[str], reasoning: list[str]) -> None:
    if isinstance(content, str):
        text.append(content)
        return
    for part in content or []:
        if part.type == "text":
            text.append(part.text)
        elif part.type == "thinking":
            reasoning.extend(piece.text for piece in part.thinking if piece.type == "text")


# --- Gemini (streamGenerateContent?alt=sse) -----------------------------------------


def expect_gemini(body: bytes) -> dict[str, Any]:
    from google.genai import _api_client, types

    response = _api_client.HttpResponse({}, response_stream=_httpx_response(body, "text/event-stream"))
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    fields: dict[str, Any] = {}
    for raw in response._iter_response_stream():
        value = json.loads(raw)
        # _from_response drops the fields this SDK version does not know, in place
        chunk = types.GenerateContentResponse._from_response(response=copy.deepcopy(value),
                                                             kwargs={})
        if "usageMetadata" in value:
            fields["usage"] = value["usageMetadata"]
        for candidate in chunk.candidates or []:
            if candidate.index not in (None, 0):
                continue
            for part in (candidate.content.parts if candidate.content else None) or []:
                if part.text is not None:
                    (reasoning if part.thought else text).append(part.text)
                if part.function_call is not None:
                    calls.append({"id": part.function_call.id, "name": part.function_call.name,
                                  "arguments": json.dumps(part.function_call.args or {})})
            if candidate.finish_reason is not None:
                name = candidate.finish_reason.value
                fields["finish_reason"] = GEMINI_FINISH.get(name, name.lower())
    fields["done"] = "finish_reason" in fields
    return result("gemini", "google-genai", text="".join(text), reasoning=joined(reasoning),
                  tool_calls=calls or None, **fields)


# --- AWS Bedrock ConverseStream (binary event-stream) --------------------------------


class _RawStream:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self) -> Any:
        yield self._body

    def close(self) -> None:
        pass


def expect_bedrock(body: bytes) -> dict[str, Any]:
    import botocore.session
    from botocore.eventstream import EventStream
    from botocore.exceptions import EventStreamError
    from botocore.parsers import EventStreamJSONParser

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    operation = model.operation_model("ConverseStream")
    shape = operation.output_shape.members["stream"]
    events = EventStream(_RawStream(body), shape, EventStreamJSONParser(), operation.name)
    text: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    fields: dict[str, Any] = {}
    try:
        for event in events:
            _bedrock_event(event, text, reasoning, calls, fields)
    except EventStreamError as exc:
        error = exc.response.get("Error", {})
        fields["error"] = {"message": error.get("Message"), "type": error.get("Code")}
        fields["done"] = False
    if "usage" in fields:
        fields["usage"] = _raw_bedrock_usage(body)
    return result("bedrock", "botocore", text="".join(text), reasoning=joined(reasoning),
                  tool_calls=[calls[n] for n in sorted(calls)] or None, **fields)


def _raw_bedrock_usage(body: bytes) -> Any:
    """metadata.usage as sent: botocore's parser drops members its model does not know
    (``serverToolUsage``), and usage is compared as sent, as for Gemini."""
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(body)
    usage = None
    for message in buffer:
        if message.headers.get(":event-type") == "metadata":
            usage = json.loads(message.payload).get("usage")
    return usage


def _bedrock_event(event: dict[str, Any], text: list[str], reasoning: list[str],
                   calls: dict[int, dict[str, Any]], fields: dict[str, Any]) -> None:
    if "contentBlockStart" in event:
        start = event["contentBlockStart"]
        tool = start.get("start", {}).get("toolUse")
        if tool:
            calls[start["contentBlockIndex"]] = {"id": tool["toolUseId"], "name": tool["name"],
                                                 "arguments": ""}
    elif "contentBlockDelta" in event:
        block = event["contentBlockDelta"]
        delta = block["delta"]
        text.append(delta.get("text", ""))
        reasoning.extend([delta["reasoningContent"]["text"]]
                         if "text" in delta.get("reasoningContent", {}) else [])
        if "toolUse" in delta:
            calls[block["contentBlockIndex"]]["arguments"] += delta["toolUse"]["input"]
    elif "messageStop" in event:
        fields["finish_reason"] = event["messageStop"]["stopReason"]
        fields["done"] = True
    elif "metadata" in event:
        fields["usage"] = event["metadata"].get("usage")


# --- Ollama (NDJSON) ----------------------------------------------------------------


def expect_ollama(body: bytes) -> dict[str, Any]:
    """/api/chat lines (``message``) as ChatResponse, /api/generate lines
    (``response``) as GenerateResponse, both the ollama SDK's own models."""
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    fields: dict[str, Any] = {}
    for line in body.splitlines():
        if not line.strip():
            continue
        value = json.loads(line)
        if "error" in value:
            fields["error"] = {"message": value["error"], "type": None}
            break
        part = _ollama_part(value)
        text.append(part["content"])
        reasoning.extend([part["thinking"]] if part["thinking"] else [])
        calls.extend(part["tool_calls"])
        if part["done"]:
            fields.update(done=True, finish_reason=part["done_reason"])
            break
    return result("ollama", "ollama", text="".join(text), reasoning=joined(reasoning),
                  tool_calls=calls or None, **fields)


def _ollama_part(value: dict[str, Any]) -> dict[str, Any]:
    import ollama

    if "message" not in value:
        generate = ollama.GenerateResponse.model_validate(value)
        return {"content": generate.response or "", "thinking": generate.thinking,
                "tool_calls": [], "done": generate.done, "done_reason": generate.done_reason}
    chat = ollama.ChatResponse.model_validate(value)
    calls = [{"id": None, "name": call.function.name,
              "arguments": json.dumps(dict(call.function.arguments))}
             for call in chat.message.tool_calls or []]
    return {"content": chat.message.content or "", "thinking": chat.message.thinking,
            "tool_calls": calls, "done": chat.done, "done_reason": chat.done_reason}


# --- Hugging Face TGI (text-generation-inference /generate_stream) --------------------


def expect_tgi(body: bytes) -> dict[str, Any]:
    from huggingface_hub import TextGenerationStreamOutput

    tokens: list[str] = []
    fields: dict[str, Any] = {}
    for line in body.decode("utf-8").splitlines():
        if not line.startswith("data:"):
            continue
        output = TextGenerationStreamOutput.parse_obj_as_instance(json.loads(line[5:]))
        tokens.append(output.token.text)
        if output.generated_text is not None:
            fields.update(text=output.generated_text, done=True,
                          finish_reason=output.details.finish_reason if output.details else None)
    fields.setdefault("text", "".join(tokens))
    return result("tgi", "huggingface_hub", **fields)


# --- Prediction Guard's documented form (JSON pretty-printed across lines) ----------


def expect_multiline_json(body: bytes) -> dict[str, Any]:
    """A hand computation: no SDK reads this form (the predictionguard SDK parses
    one line at a time and yields nothing for it).  Each ``data:`` line starts a
    block that runs to the next one; the block's lines joined are one JSON value."""
    blocks: list[list[str]] = []
    for line in body.decode("utf-8").split("\n"):
        if line.startswith("data:"):
            blocks.append([line[5:]])
        elif blocks:
            blocks[-1].append(line)
    text: list[str] = []
    fields: dict[str, Any] = {}
    for block in blocks:
        raw = "\n".join(block).strip()
        if raw == "[DONE]":
            fields["done"] = True
            break
        choice = json.loads(raw)["choices"][0]
        text.append(choice["delta"].get("content") or "")
        if choice.get("generated_text") is not None:
            fields["text"] = choice["generated_text"]
        if choice.get("finish_reason") is not None:
            fields["finish_reason"] = choice["finish_reason"]
    fields.setdefault("text", "".join(text))
    return result("openai", "hand", **fields)


EXPECT = {"openai": expect_openai, "openai-responses": expect_responses,
          "anthropic": expect_anthropic, "mistral": expect_mistral, "gemini": expect_gemini,
          "bedrock": expect_bedrock, "ollama": expect_ollama, "tgi": expect_tgi,
          "hand-multiline-json": expect_multiline_json}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    index = json.loads((HERE / "index.json").read_text("utf-8"))
    changed = 0
    for entry in index:
        body = (HERE / entry["file"]).read_bytes()
        expected = EXPECT[entry["sdk_parser"]](body)
        target = HERE / (entry["name"] + ".expected.json")
        text = json.dumps(expected, indent=1, ensure_ascii=False) + "\n"
        if check:
            if not target.exists() or target.read_text("utf-8") != text:
                print(f"{entry['name']}: expected file differs")
                changed += 1
        else:
            target.write_text(text, "utf-8")
    print(f"{len(index)} captures, {changed} differ" if check else f"{len(index)} written")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
