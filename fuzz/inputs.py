"""The fuzzer's inputs: the corpus, generated chat streams, mutations, big adversarial families."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable, Sequence
from typing import Any

from harness import ROOT

from tests.support.render import FORMS, frame

#: Inputs kept in the corpus are at most this long.
MAX_CORPUS_INPUT = 64 * 1024

# --- the corpus ---------------------------------------------------------------------


def seed_corpus(rng: random.Random, hypothesis_examples: int = 150) -> list[bytes]:
    corpus: list[bytes] = []
    for path in sorted((ROOT / "spec" / "vectors").glob("**/*.json")):
        try:
            # parse_int=str: some vectors hold integers over Python's 4,300-digit limit.
            vectors = json.loads(path.read_text("utf-8"), parse_int=str)
        except (OSError, ValueError):
            continue
        for vector in vectors if isinstance(vectors, list) else []:
            if isinstance(vector, dict) and isinstance(vector.get("input_hex"), str):
                with contextlib.suppress(ValueError):
                    corpus.append(bytes.fromhex(vector["input_hex"]))
    for path in sorted((ROOT / "spec" / "samples").glob("*.sse")):
        corpus.append(path.read_bytes())
    for pattern in ("*.sse", "*.ndjson", "*.eventstream"):  # real provider streams
        corpus += [path.read_bytes() for path in sorted((ROOT / "spec" / "captures").glob(pattern))]
    corpus += hypothesis_streams(rng.randrange(2**32), hypothesis_examples)
    corpus += [generate_chat_stream(rng) for _ in range(300)]
    from providers import generate_provider_stream  # (it imports this module)

    corpus += [generate_provider_stream(rng) for _ in range(300)]
    return [item for item in corpus if len(item) <= MAX_CORPUS_INPUT]


def hypothesis_streams(seed_value: int, count: int) -> list[bytes]:
    """Draw streams from sseproto.testing's strategies, deterministically (seeded)."""
    try:
        from hypothesis import HealthCheck, Phase, given, seed, settings

        from sseproto.testing import chat_streams, malformed_chat_streams
    except ImportError:
        return []
    found: list[bytes] = []
    for strategy in (chat_streams(), malformed_chat_streams()):

        @seed(seed_value)
        @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def collect(case: Any) -> None:
            found.append(case if isinstance(case, bytes) else case.data)

        collect()
    return found


TRICKY_TEXT = ["{", "}", "[", "]", '"', '\\"', "\\", "data: ", "\ndata: [DONE]\n", "[DONE]",
               "\n\n", "\r\n", "\r", ":", "\u2028", "\x00", "é", "你好", "🙂", " ",
               "event: error", "\ufeff", "}\n", "data: {", "\ud800", ""]
KEYS = ["choices", "delta", "content", "index", "tool_calls", "finish_reason", "usage",
        "error", "object", "generated_text", "token", "text", "special", "details", "id",
        "function", "name", "arguments", "type", "message", "code", "role", "logprobs",
        "error_type", "detail", "model", "logprob"]


def rand_scalar(rng: random.Random) -> Any:
    return rng.choice([
        None, True, False, 0, 1, -1, 7, 2**63, 2**64 + 3, 10**30, 1.5, -0.0, 1e308,
        "", "stop", "a", "0", rng.choice(TRICKY_TEXT), "x" * rng.randint(0, 40),
    ])


def rand_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.55:
        return rand_scalar(rng)
    if roll < 0.75:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.97:
        return {rng.choice(KEYS): rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return f"__DEEP_{rng.choice([10, 254, 256, 900, 980, 995, 1000, 1023, 1024, 1025])}__"


def deep_text(depth: int, kind: int) -> str:
    if kind == 0:
        return "[" * depth + "]" * depth
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def perturb(rng: random.Random, value: Any) -> Any:
    """Replace one random node of a JSON value with a random value (type confusion)."""
    if isinstance(value, dict) and value and rng.random() < 0.75:
        key = rng.choice(list(value))
        value = dict(value)
        value[key] = perturb(rng, value[key])
        return value
    if isinstance(value, list) and value and rng.random() < 0.75:
        at = rng.randrange(len(value))
        value = list(value)
        value[at] = perturb(rng, value[at])
        return value
    return rand_value(rng)


def openai_chunk(rng: random.Random, index: int | None = None) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if rng.random() < 0.2:
        delta["role"] = "assistant"
    if rng.random() < 0.7:
        delta["content"] = rng.choice([*TRICKY_TEXT, "Hi", " there", "x" * rng.randint(0, 30)])
    if rng.random() < 0.2:
        delta["tool_calls"] = [{"index": rng.choice([0, 0, 1, "0"]), "id": "call_1",
                                "type": "function",
                                "function": {"name": rng.choice(["f", ""]),
                                             "arguments": rng.choice(['{"a', '": 1}', ""])}}]
    choice: dict[str, Any] = {"index": rng.choice([0, 0, 0, 1, 2]) if index is None else index,
                              "delta": delta, "logprobs": None,
                              "finish_reason": rng.choice([None, None, None, "stop", "length"])}
    if rng.random() < 0.1:
        choice["generated_text"] = rng.choice(["full text", "", None])
    chunk: dict[str, Any] = {"id": "chatcmpl-x", "object": "chat.completion.chunk",
                             "created": 1717785387, "model": "m", "choices": [choice]}
    if rng.random() < 0.1:
        chunk["choices"] = []
        chunk["usage"] = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
    return chunk


def tgi_chunk(rng: random.Random, last: bool = False) -> dict[str, Any]:
    return {"index": rng.randint(0, 3),
            "token": {"id": 1, "text": rng.choice([*TRICKY_TEXT, "Hi"]), "logprob": -0.5,
                      "special": rng.random() < 0.2},
            "generated_text": "all the text" if last else None,
            "details": {"finish_reason": "length"} if last and rng.random() < 0.5 else None}


def error_payload(rng: random.Random) -> Any:
    return rng.choice([
        {"error": {"message": "boom", "type": "server_error", "code": rng.choice([None, 5, "x"])}},
        {"object": "error", "message": "bad", "type": "BadRequest", "code": 400},
        {"error": "overloaded", "error_type": "generation"},
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    ])


def dumps(rng: random.Random, value: Any, pretty: bool) -> str:
    text = json.dumps(value, ensure_ascii=rng.random() < 0.3,
                      indent=rng.choice([0, 1, 2]) if pretty else None,
                      separators=None if pretty else rng.choice([(",", ":"), (", ", ": ")]))
    while "__DEEP_" in text:
        at = text.index('"__DEEP_')
        end = text.index('__"', at + 1) + 3
        text = text[:at] + deep_text(int(text[at + 8 : end - 3]), rng.randrange(2)) + text[end:]
    return text


def generate_chat_stream(rng: random.Random) -> bytes:
    """A chat stream of random payloads in random (mixed) wire forms."""
    kind = rng.choice(["openai", "openai", "tgi", "mixed"])
    payloads: list[Any] = []
    for _ in range(rng.randint(0, 6)):
        if kind == "tgi" or (kind == "mixed" and rng.random() < 0.5):
            payloads.append(tgi_chunk(rng))
        else:
            payloads.append(openai_chunk(rng))
    if kind == "tgi" and rng.random() < 0.7:
        payloads.append(tgi_chunk(rng, last=True))
    elif rng.random() < 0.7:
        chunk = openai_chunk(rng)
        chunk["choices"][:1] = [{"index": 0, "delta": {}, "finish_reason": "stop"}] \
            if chunk["choices"] else []
        payloads.append(chunk)
    if rng.random() < 0.15:
        payloads.insert(rng.randint(0, len(payloads)), error_payload(rng))
    for _ in range(rng.choice([0, 0, 1, 2, 3])):  # type confusion somewhere
        if payloads:
            at = rng.randrange(len(payloads))
            payloads[at] = perturb(rng, payloads[at])
    forms = list(FORMS)
    stream_form = rng.choice(forms)
    parts: list[str] = []
    for payload in payloads:
        form = stream_form if rng.random() < 0.8 else rng.choice(forms)
        if rng.random() < 0.1:
            parts.append(rng.choice(["event: error\n", "event: ping\n", "id: 7\n", ": ka\n",
                                     "retry: 100\n", "data:\n", "\n"]))
        try:
            text = dumps(rng, payload, pretty=form.startswith("pretty"))
        except (TypeError, ValueError):
            continue
        if rng.random() < 0.03:
            parts.append("event: error\n" + "data: not json\n\n")
        parts.append(frame(text, form, rng.randint(0, len(text))))
    if rng.random() < 0.8:
        parts.append(rng.choice(["data: [DONE]\n\n", "data: [DONE]\n", "data: [DONE]",
                                 "data:[DONE]\n\n"]))
    text = "".join(parts)
    if rng.random() < 0.15:
        text = text.replace("\n", rng.choice(["\r\n", "\r"]))
    prefix = "\ufeff" if rng.random() < 0.05 else ""
    return (prefix + text).encode("utf-8", "surrogatepass")


# --- mutation -----------------------------------------------------------------------

TOKENS = [
    b"data:", b"data: ", b"data: {", b"data:{", b"{", b"}", b"[", b"]", b'"', b"\\", b'\\"',
    b"\r", b"\n", b"\r\n", b"\n\n", b"\r\n\r\n", b"[DONE]", b"data: [DONE]\n", b"event: error\n",
    b"event: ", b"id: ", b"id: \x00", b"retry: ", b"retry: 12345678901234567890", b":", b": ka\n",
    b"\xef\xbb\xbf", b"\xef\xbb", b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80",
    b"\xf0\x9f\x99\x82", b"\xc0\x80", b"\xe2\x80\xa8", b"\x00", b" ", b"\t", b",", b"0", b"-1",
    b"null", b"true", b"1e999", b'"choices":', b'"choices":[', b'"index":', b'"index":"a"',
    b'"delta":', b'"content":', b'"tool_calls":[{"index":"x"}]', b'"error":', b'"token":',
    b'"generated_text":', b'"finish_reason":"stop"', b'"usage":', b'{"choices":[]}',
    b'{"error":{"message":"x"}}', b'"object":"error"', b'"special":true', b'"details":',
    b'"candidates":[', b'"parts":[{"text":', b'"thought":true', b'"finishReason":"STOP"',
    b'"reasoning_content":', b'"refusal":', b'"content":[{"type":"thinking","thinking":',
    b"\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2\x48\xeb\x7d\x98\xc8\xff",  # an empty message
    b"\x00\x00\x00", b"\x07\x00\x05event", b"\x0b:event-type",
]


def mutate(rng: random.Random, data: bytes, corpus: Sequence[bytes]) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 5])):
        n = len(buf)
        op = rng.randrange(14)
        at = rng.randint(0, n)
        if op == 0 and n:  # bit flip
            i = rng.randrange(n)
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1 and n:  # random byte
            buf[rng.randrange(n)] = rng.randrange(256)
        elif op in (2, 3, 4):  # interesting token
            buf[at:at] = rng.choice(TOKENS)
        elif op == 5:  # a token repeated many times
            buf[at:at] = rng.choice(TOKENS) * rng.choice([2, 10, 100, 1000, 3000])
        elif op == 6 and n:  # delete a range
            end = min(n, at + rng.choice([1, 2, 8, 64, max(1, n // 4)]))
            del buf[at:end]
        elif op == 7 and n:  # duplicate a line
            start = buf.rfind(b"\n", 0, at) + 1
            end = buf.find(b"\n", at)
            end = n if end < 0 else end + 1
            buf[end:end] = buf[start:end] * rng.choice([1, 1, 2, 10])
        elif op == 8 and corpus:  # splice with another corpus item
            other = rng.choice(corpus)
            buf = buf[:at] + other[rng.randint(0, len(other)):]
        elif op == 9 and n:  # truncate
            del buf[rng.randint(0, n):]
        elif op == 10:  # random bytes
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 11 and n:  # change line endings
            new = rng.choice([b"\r\n", b"\r", b"\n"])
            buf = bytearray(bytes(buf).replace(b"\n", new) if rng.random() < 0.5 else
                            bytes(buf[:at]) + bytes(buf[at:]).replace(b"\n", new, 1))
        elif op == 12 and n:  # drop or add a "data: " prefix / blank line at a line start
            start = buf.rfind(b"\n", 0, at) + 1
            if buf.startswith(b"data: ", start):
                del buf[start : start + 6]
            else:
                buf[start:start] = rng.choice([b"data: ", b"\n", b"event: error\n"])
        elif op == 13 and n > 1:  # swap two ranges
            i, j = sorted(rng.sample(range(n), 2))
            size = min(j - i, rng.randint(1, 16))
            a, b = bytes(buf[i : i + size]), bytes(buf[j : j + size])
            buf[j : j + len(b)] = a
            buf[i : i + size] = b
    return bytes(buf)


# --- big adversarial inputs -----------------------------------------------------------

WINDOW = 256 * 1024


def adversarial_families() -> list[tuple[str, str, Callable[[int], bytes]]]:
    """(name, target, make(n)) with make(n) giving roughly n bytes."""

    def lines(line: bytes, n: int, head: bytes = b"", tail: bytes = b"") -> bytes:
        return head + line * max(1, (n - len(head)) // len(line)) + tail

    return [
        ("open-brackets-one-line", "chat", lambda n: b"data: {" + b"[" * n + b"\n"),
        ("open-brackets-lines", "chat", lambda n: lines(b"[" * 1000 + b"\n", n, b"data: {\n")),
        ("escaped-quotes", "chat", lambda n: b'data: {"' + b'\\"' * (n // 2) + b"\n"),
        ("quotes", "chat", lambda n: b"data: {" + b'"' * n + b"\n"),
        ("backslashes", "chat", lambda n: b'data: {"' + b"\\" * n + b"\n"),
        ("quote-brace-mix", "chat", lambda n: b'data: {"' + b'\\"{}[]' * (n // 7) + b"\n"),
        ("tiny-frames-no-blank", "chat", lambda n: lines(b"data: {}\n", n)),
        ("tiny-chunks", "chat", lambda n: lines(
            b'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n', n)),
        ("tiny-broken-frames", "chat", lambda n: lines(b"data: {}}\n", n)),
        ("frames-with-long-candidate", "chat", lambda n: lines(b"data: {}\n" + b"}\n" * 50, n)),
        ("pretty-frame-many-lines", "chat",
         lambda n: lines(b'"a":1,\n', n, b"data: {\n", b'"b":2}\n\n')),
        ("unclosed-frame", "chat", lambda n: lines(b'"x":1,\n', n, b"data: {\n")),
        ("unclosed-frame-data-lines", "chat", lambda n: lines(b"data: [\n", n, b"data: {\n")),
        ("blank-lines-in-frame", "chat", lambda n: lines(b"\n", n, b"data: {\n")),
        ("json-outside-data", "chat", lambda n: lines(b"{\n", n)),
        ("nested-valid", "chat", lambda n: lines(
            b'data: {"a":' + b"[" * 1000 + b"]" * 1000 + b"}\n\n", n)),
        ("sse-data-lines", "sse", lambda n: lines(b"data: x\n\n", n)),
        ("sse-one-big-event", "sse", lambda n: lines(b"data: x\n", n, b"", b"\n")),
        ("sse-blank-lines", "all", lambda n: b"\n" * n),
        ("sse-cr", "all", lambda n: b"\r" * n),
        ("sse-crlf", "all", lambda n: b"\r\n" * (n // 2)),
        ("comments", "all", lambda n: lines(b":\n", n)),
        ("retry-digits", "sse", lambda n: b"retry: " + b"9" * min(n, 1_000_000) + b"\n\n"),
        ("retry-digits-lines", "sse", lambda n: lines(b"retry: " + b"9" * 5000 + b"\n", n)),
        ("id-long", "sse", lambda n: b"id: " + b"x" * min(n, 1_000_000) + b"\n\ndata: a\n\n"),
        ("long-partial-line", "all", lambda n: b"data: " + b"a" * n),
        ("invalid-utf8", "all", lambda n: b"data: " + b"\xff" * n + b"\n\n"),
        ("window-crlf", "all", lambda n: b":" + b"a" * (WINDOW - 2) + b"\r\n" +
         lines(b"data: {}\n\n", n)),
        ("done-then-garbage", "chat", lambda n: b"data: [DONE]\n" + b"x" * n),
    ]


