"""Provider streams for the fuzzer: Gemini, AWS Bedrock's binary event stream, reasoning.

Target ``providers`` (also part of ``all``): the ``prov-*`` configurations of
``fuzz/harness.py`` run on these inputs, on the real captures of
``spec/captures`` and on mutants of both.  Event-stream messages are built
with both CRC32s right, so that the odd payloads and header bytes inside
them reach the dialect instead of stopping at a checksum.
"""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib
from collections.abc import Callable
from typing import Any

from inputs import TRICKY_TEXT, dumps, openai_chunk, perturb, rand_value

__all__ = ["generate_provider_stream", "provider_families"]


def es_prelude(total: int, headers: int) -> bytes:
    head = struct.pack("!II", total, headers)
    return head + struct.pack("!I", zlib.crc32(head))


def es_message(headers: bytes, payload: bytes) -> bytes:
    """An AWS event-stream message around raw header bytes, with both CRCs right."""
    body = es_prelude(16 + len(headers) + len(payload), len(headers)) + headers + payload
    return body + struct.pack("!I", zlib.crc32(body))


def es_header(name: str, value: str) -> bytes:
    raw_name, raw = name.encode(), value.encode()
    return bytes([len(raw_name)]) + raw_name + b"\x07" + struct.pack("!H", len(raw)) + raw


def es_event(kind: str, payload: bytes, message_type: str = "event") -> bytes:
    name = ":exception-type" if message_type == "exception" else ":event-type"
    return es_message(es_header(name, kind) + es_header(":message-type", message_type)
                      + es_header(":content-type", "application/json"), payload)


def gemini_response(rng: random.Random) -> dict[str, Any]:
    parts: list[Any] = []
    for _ in range(rng.randint(0, 3)):
        roll = rng.random()
        if roll < 0.6:
            part: dict[str, Any] = {"text": rng.choice([*TRICKY_TEXT, "Hi", "x" * 20])}
            if rng.random() < 0.3:
                part["thought"] = rng.choice([True, True, False, "yes"])
            parts.append(part)
        elif roll < 0.8:
            parts.append({"functionCall": {"name": rng.choice(["f", "get"]),
                                           "args": rand_value(rng)}})
        else:
            parts.append({"thoughtSignature": "CiQB"})
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if rng.random() < 0.7:
        candidate["index"] = rng.choice([0, 0, 0, 1])
    if rng.random() < 0.3:
        candidate["finishReason"] = rng.choice(["STOP", "MAX_TOKENS", "SAFETY", "OTHER"])
    value: dict[str, Any] = {"candidates": [candidate]}
    if rng.random() < 0.5:
        value["usageMetadata"] = {"promptTokenCount": 3, "totalTokenCount": 5}
    if rng.random() < 0.05:
        value = rng.choice([{"promptFeedback": {"blockReason": "SAFETY"}},
                            {"error": {"code": 429, "message": "slow", "status": "EXHAUSTED"}}])
    return value


def converse_events(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
    for _ in range(rng.randint(0, 5)):
        roll = rng.random()
        delta: dict[str, Any] = (
            {"text": rng.choice([*TRICKY_TEXT, "Hi"])} if roll < 0.5 else
            {"reasoningContent": {"text": "hmm"}} if roll < 0.7 else
            {"toolUse": {"input": rng.choice(['{"a', '": 1}', ""])}})
        if roll > 0.9:
            events.append(("contentBlockStart", {"contentBlockIndex": 1, "start": {
                "toolUse": {"toolUseId": "t1", "name": "f"}}}))
        events.append(("contentBlockDelta", {"contentBlockIndex": rng.choice([0, 1]),
                                             "delta": delta}))
    if rng.random() < 0.8:
        events.append(("messageStop", {"stopReason": rng.choice(["end_turn", "tool_use"])}))
    if rng.random() < 0.8:
        events.append(("metadata", {"usage": {"inputTokens": 1, "outputTokens": 2}}))
    return events


def generate_bedrock_stream(rng: random.Random) -> bytes:
    """ConverseStream or InvokeModelWithResponseStream messages, CRCs right, payloads odd."""
    events: list[tuple[str, Any]] = list(converse_events(rng))
    if rng.random() < 0.3:  # invoke: the model's JSON (Anthropic, OpenAI, Nova) in base64
        inner = rng.choice([
            [{"type": "message_start", "message": {"usage": {"input_tokens": 1}}},
             {"type": "content_block_delta", "index": 0,
              "delta": {"type": "text_delta", "text": "Hi"}},
             {"type": "message_stop"}],
            [openai_chunk(rng) for _ in range(3)],
            [{kind: body} for kind, body in events],
            [{"outputText": "Hi", "completionReason": rng.choice([None, "FINISH"])},
             {"generation": "x", "stop_reason": "stop"}],
            [{"outputs": [{"text": "Bon", "stop_reason": rng.choice([None, "stop", 3])}]}],
        ])
        events = [("chunk", {"bytes": base64.b64encode(json.dumps(value).encode()).decode()})
                  for value in inner]
    for _ in range(rng.choice([0, 0, 1, 2])):
        if events:
            at = rng.randrange(len(events))
            events[at] = (events[at][0], perturb(rng, events[at][1]))
    parts = []
    for kind, body in events:
        payload = dumps(rng, body, pretty=False).encode("utf-8", "surrogatepass")
        if rng.random() < 0.05:
            parts.append(es_event("throttlingException", b'{"message":"slow down"}',
                                  "exception"))
        if rng.random() < 0.05:  # a header of random bytes (still inside a valid frame)
            parts.append(es_message(bytes(rng.randrange(256) for _ in range(rng.randint(1, 9))),
                                    payload))
            continue
        parts.append(es_event(kind, payload))
    data = b"".join(parts)
    if rng.random() < 0.1:
        data = data[: rng.randint(0, len(data))]
    return data


def generate_provider_stream(rng: random.Random) -> bytes:
    """Gemini SSE, a Bedrock event stream, or OpenAI/Anthropic with reasoning and refusals."""
    roll = rng.random()
    if roll < 0.4:
        return generate_bedrock_stream(rng)
    if roll < 0.7:
        payloads: list[Any] = [gemini_response(rng) for _ in range(rng.randint(0, 6))]
        eol = rng.choice(["\r\n", "\n"])
    else:
        payloads = []
        for _ in range(rng.randint(0, 6)):
            chunk = openai_chunk(rng)
            if chunk["choices"]:
                delta = chunk["choices"][0]["delta"]
                key = rng.choice(["reasoning_content", "reasoning", "refusal", "content"])
                delta[key] = rng.choice([
                    "why", None, 3, [{"type": "text", "text": "a"}],
                    [{"type": "thinking", "thinking": [{"type": "text", "text": "t"}]}],
                    [{"type": "thinking", "thinking": "t"}, {"type": "image_url"}]])
            payloads.append(chunk)
        eol = "\n"
    for _ in range(rng.choice([0, 0, 1, 2])):
        if payloads:
            at = rng.randrange(len(payloads))
            payloads[at] = perturb(rng, payloads[at])
    text = "".join(f"data: {dumps(rng, p, pretty=False)}{eol}{eol}" for p in payloads)
    if roll >= 0.7 and rng.random() < 0.8:
        text += rng.choice(["data: [DONE]\n\n", "data: [DONE]\n"])
    return text.encode("utf-8", "surrogatepass")


def provider_families() -> list[tuple[str, str, Callable[[int], bytes]]]:
    """Big inputs for the growth checks: (name, target, make(n)) with make(n) about n bytes."""

    def lines(line: bytes, n: int) -> bytes:
        return line * max(1, n // len(line))

    return [
        ("es-tiny-messages", "chat", lambda n: lines(es_message(b"", b""), n)),
        ("es-tiny-events", "chat", lambda n: lines(es_event("contentBlockStop", b"{}"), n)),
        ("es-one-big-payload", "chat", lambda n: es_event(
            "contentBlockDelta", b'{"delta":{"text":"' + b"x" * n + b'"}}')),
        ("es-many-headers", "chat", lambda n: es_message(
            b"".join(es_header(f"h{i}", "v") for i in range(min(n // 9, 6000))), b"{}")),
        ("es-declared-huge", "chat", lambda n: es_prelude(0x7FFFFFF0, 0) + b"\x00" * n),
        ("gemini-tiny-responses", "chat", lambda n: lines(
            b'data: {"candidates":[{"content":{"parts":[{"text":"x"}]}}]}\r\n\r\n', n)),
    ]
