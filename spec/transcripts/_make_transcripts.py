"""Write the sample transcripts in this folder (run from the repository root).

Each one is a realistic capture: the body cut into the reads a client would
see, with offsets in seconds, and the response head as servers send it.
"""

from __future__ import annotations

import random
from pathlib import Path

import orjson

from sseproto.transcript import Transcript

HERE = Path(__file__).resolve().parent
SEED = (HERE.parent / "samples" / "prediction-guard.sse").read_bytes()


def timed(body: bytes, seed: int, sizes: tuple[int, int] = (20, 160)) -> list[tuple[float, bytes]]:
    rng = random.Random(seed)
    chunks, position, clock = [], 0, 0.21
    while position < len(body):
        size = rng.randint(*sizes)
        chunks.append((round(clock, 4), body[position : position + size]))
        position += size
        clock += rng.uniform(0.005, 0.06)
    return chunks


def sse(*payloads: object) -> bytes:
    return b"".join(b"data: " + (p if isinstance(p, bytes) else orjson.dumps(p)) + b"\n\n"
                    for p in payloads)


def chunk(delta: dict[str, object], finish: str | None = None, **extra: object) -> dict[str, object]:
    return {"id": "chatcmpl-AbC123", "object": "chat.completion.chunk", "created": 1732560000,
            "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_0ba0d124f1",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **extra}


def main() -> None:
    request = {"content-type": "application/json", "authorization": "[REDACTED]"}
    head = {"content-type": "text/event-stream", "transfer-encoding": "chunked"}
    Transcript(chunks=timed(SEED, 1), url="https://api.predictionguard.com/chat/completions",
               request_headers=request, headers=dict(head)).save(
        HERE / "prediction-guard.jsonl")

    call = {"index": 0, "id": "call_Q9x", "type": "function",
            "function": {"name": "get_weather", "arguments": ""}}
    args = ['{"', 'city', '":"', 'Oslo', '","', 'unit', '":"', 'celsius', '"}']
    body = sse(chunk({"role": "assistant", "content": None, "tool_calls": [call]}),
               *[chunk({"tool_calls": [{"index": 0, "function": {"arguments": a}}]})
                 for a in args],
               chunk({}, "tool_calls"),
               {**chunk({}), "choices": [], "usage": {"prompt_tokens": 82, "completion_tokens": 17,
                                                      "total_tokens": 99}},
               b"[DONE]")
    Transcript(chunks=timed(body, 2), url="https://api.openai.com/v1/chat/completions",
               request_headers=request, headers=dict(head)).save(HERE / "openai-tools.jsonl")

    words = ["The", " capital", " of", " Norway", " is"]
    error = {"object": "error", "message": "The server had an error while processing your"
             " request (CUDA out of memory)", "type": "InternalServerError", "param": None,
             "code": 500}
    body = sse(chunk({"role": "assistant", "content": ""}),
               *[chunk({"content": w}) for w in words], error, b"[DONE]")
    Transcript(chunks=timed(body, 3), url="http://vllm.internal:8000/v1/chat/completions",
               request_headers=request, headers=dict(head)).save(HERE / "vllm-error-midway.jsonl")


if __name__ == "__main__":
    main()
