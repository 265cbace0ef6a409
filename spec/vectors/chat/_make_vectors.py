#!/usr/bin/env python3
"""Generate the chat-stream conformance vectors in this directory.

Every input is built here from readable Python: JSON chunks written with
``json.dumps(..., separators=(",", ":"))`` and then framed (conforming SSE,
the Prediction Guard pretty-printed form, CRLF, ...).  The expected deltas,
finals, done flag, error and exception are typed BY HAND from the chat
event rules, the recovery framing rules and spec/dialects/*.md.  No sseproto code is imported or run.

Vector keys (every file is a JSON array of these objects):

- name, description: unique kebab-case name, one sentence.
- dialect: what to pass as ChatStreamDecoder(dialect=...).
- input_hex: the raw stream bytes, lowercase hex.
- deltas: every Delta in order, as [index, content] (content may be null or ""),
  or [index, content, reasoning, refusal] when reasoning or refusal is not null.
- finals: every Final in order, as {index, generated_text, finish_reason, usage},
  plus reasoning and refusal when they are not null.
- done: ChatStreamDecoder.done after close().
- error: {message, type, code} of the StreamError, or null.
- raises: null, or the class name of the ProtocolError that feeding or
  closing must raise ("RemoteProtocolError", "LimitExceeded"); then deltas
  and finals are [] and done is false (they describe nothing).

Run:  python3 spec/vectors/chat/_make_vectors.py [--check]
It rewrites the *.json files next to this script (indent=1, ASCII only), or
with --check exits 1 when one differs from what it would write.  The framing
helpers come from tests/support/render.py (standard library only).  The
AWS event-stream bytes of bedrock.json are built here with ``struct`` and
``zlib`` from the published framing (prelude, headers, payload, two CRC32s);
tests/test_bedrock.py checks every bedrock input against botocore's parser.
"""

import base64
import json
import os
import re
import struct
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.support.render import compact, pretty, pretty_lines, single_lines, sse
from tests.support.vectors import write_vectors

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FILES = {}  # file stem -> list of vectors
MISSING = object()


# ---------------------------------------------------------------------------
# helpers: building inputs
# ---------------------------------------------------------------------------

def j(value, ascii_only=False):
    """Compact JSON, as most servers write it."""
    return compact(value, ascii_only)


def choice(index=0, content=MISSING, finish=None, role=None, delta=None, **extra):
    """One OpenAI ``choices[]`` entry."""
    if delta is None:
        delta = {}
        if role is not None:
            delta["role"] = role
        if content is not MISSING:
            delta["content"] = content
    return {"index": index, "delta": delta, **extra, "logprobs": None, "finish_reason": finish}


def chunk(*choices, usage=MISSING, cid="chatcmpl-1"):
    """One OpenAI ``chat.completion.chunk``."""
    value = {"id": cid, "object": "chat.completion.chunk", "created": 1700000000,
             "model": "gpt-test", "choices": list(choices)}
    if usage is not MISSING:
        value["usage"] = usage
    return value


def render(value, step=""):
    """Pretty-printed JSON lines, as Prediction Guard writes them (see tests/support/render.py)."""
    return pretty_lines(value, step)


def pg(value, step="", eol="\n", blank=False):
    """One Prediction Guard frame: ``data: `` on the first line only."""
    return pretty(value, step, eol, blank)


# ---------------------------------------------------------------------------
# helpers: expected values (typed by hand at each call)
# ---------------------------------------------------------------------------

def final(index, text, reason, usage=None, reasoning=None, refusal=None):
    """An expected Final; reasoning and refusal are listed only when not null."""
    value = {"index": index, "generated_text": text, "finish_reason": reason, "usage": usage}
    for key, joined in (("reasoning", reasoning), ("refusal", refusal)):
        if joined is not None:
            value[key] = joined
    return value


def err(message, type_, code=None):
    return {"message": message, "type": type_, "code": code}


def vec(file, name, description, raw, deltas, finals, done, error=None, raises=None,
        dialect="auto"):
    assert isinstance(raw, bytes), name
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name
    if raises is not None:
        assert deltas == [] and finals == [] and done is False and error is None, name
    FILES.setdefault(file, []).append({
        "name": name,
        "description": description,
        "dialect": dialect,
        "input_hex": raw.hex(),
        "deltas": [list(d) for d in deltas],
        "finals": finals,
        "done": done,
        "error": error,
        "raises": raises,
    })


DONE = "[DONE]"
STOP = "stop"

# =====================================================================
# prediction-guard.json: the Prediction Guard example (samples/prediction-guard.sse)
# =====================================================================
F = "prediction-guard"

with open(os.path.join(ROOT, "samples", "prediction-guard.sse"), "rb") as fh:
    PG = fh.read()

# The two JSON chunks of the example, to re-frame them (CRLF, blank lines, indentation).
_parts = PG.decode().split("data: ")
assert _parts[0] == "" and _parts[3] == "[DONE]\n\n" and len(_parts) == 4
PG1, PG2 = json.loads(_parts[1]), json.loads(_parts[2])
# The pretty-printer above reproduces the example's frames byte for byte.
assert pg(PG1) + pg(PG2) + "data: [DONE]\n\n" == PG.decode()

PG_TEXT = (
    "Thanks, I try to keep things interesting. Now, if you want something more serious,"
    " how about a weather update or a joke? Your choice!\n\nWeather: Sunny with a slight"
    " chance of humor.\nJoke: A man walks into a bar and says, \"I'll have a beer, and tell"
    " me a joke about time.\" The bartender replies, \"Time to go, you're two minutes past"
    " last call!\""
)
PG_DELTAS = [(0, " past"), (0, None)]
PG_FINALS = [final(0, PG_TEXT, STOP)]

vec(F, "prediction-guard-verbatim",
    "The Prediction Guard example stream verbatim: pretty-printed JSON, only the first line prefixed, no blank line between frames (one after [DONE]).",
    PG, PG_DELTAS, PG_FINALS, True)
vec(F, "prediction-guard-dialect-predictionguard",
    "The Prediction Guard example with the predictionguard dialect alias.",
    PG, PG_DELTAS, PG_FINALS, True, dialect="predictionguard")
vec(F, "prediction-guard-dialect-openai",
    "The Prediction Guard example with the openai dialect, which honours generated_text.",
    PG, PG_DELTAS, PG_FINALS, True, dialect="openai")
vec(F, "prediction-guard-crlf",
    "The Prediction Guard example with every LF replaced by CRLF.",
    PG.replace(b"\n", b"\r\n"), PG_DELTAS, PG_FINALS, True)
vec(F, "prediction-guard-blank-lines",
    "The Prediction Guard example's pretty-printed frames each followed by a blank line.",
    (pg(PG1, blank=True) + pg(PG2, blank=True) + "data: [DONE]\n\n").encode(),
    PG_DELTAS, PG_FINALS, True)
vec(F, "prediction-guard-crlf-blank-lines",
    "The Prediction Guard example's pretty-printed frames with CRLF line ends and a blank line after each.",
    (pg(PG1, eol="\r\n", blank=True) + pg(PG2, eol="\r\n", blank=True)
     + "data: [DONE]\r\n\r\n").encode(),
    PG_DELTAS, PG_FINALS, True)
vec(F, "prediction-guard-two-space-indent",
    "The Prediction Guard example's frames indented by two spaces per nesting level.",
    (pg(PG1, step="  ") + pg(PG2, step="  ") + "data: [DONE]\n\n").encode(),
    PG_DELTAS, PG_FINALS, True)
vec(F, "prediction-guard-cr-only",
    "The Prediction Guard example with every LF replaced by a lone CR.",
    PG.replace(b"\n", b"\r"), PG_DELTAS, PG_FINALS, True)
vec(F, "prediction-guard-without-done",
    "The Prediction Guard example without its [DONE] line: the finish_reason was seen, so close() emits the Final, but the stream is not done.",
    (pg(PG1) + pg(PG2)).encode(), PG_DELTAS, PG_FINALS, False)
vec(F, "prediction-guard-cut-inside-second-frame",
    "The Prediction Guard example cut inside its second pretty-printed frame: the partial frame is dropped, no Final, not done.",
    PG[: PG.index(b'"generated_text":"Thanks')], [(0, " past")], [], False)

# =====================================================================
# openai.json: OpenAI chat completions and compatibles (vLLM, PG single-line)
# =====================================================================
F = "openai"

with open(os.path.join(ROOT, "samples", "openai-chat.sse"), "rb") as fh:
    OPENAI_SAMPLE = fh.read()
vec(F, "openai-sample-gpt-4o-mini",
    "spec/samples/openai-chat.sse: role-first empty content, thirteen text deltas, a finish chunk, a usage chunk, [DONE].",
    OPENAI_SAMPLE,
    [(0, ""), (0, "Hello"), (0, "!"), (0, " Server"), (0, "-Sent"), (0, " Events"),
     (0, " stream"), (0, " one"), (0, " token"), (0, " at"), (0, " a"), (0, " time"),
     (0, " \u2014 "), (0, "\u597d"), (0, " \U0001f642"), (0, None)],
    [final(0, "Hello! Server-Sent Events stream one token at a time \u2014 \u597d \U0001f642", STOP,
           {"prompt_tokens": 12, "completion_tokens": 14, "total_tokens": 26})],
    True)
vec(F, "openai-role-first-empty-content",
    "A role-first chunk with content \"\" gives a Delta whose content is \"\" (not null).",
    sse(chunk(choice(role="assistant", content="")), chunk(choice(content="Hi")),
        chunk(choice(finish=STOP)), DONE),
    [(0, ""), (0, "Hi"), (0, None)], [final(0, "Hi", STOP)], True)
vec(F, "openai-content-null",
    "A delta whose content is null gives a Delta with content null.",
    sse(chunk(choice(role="assistant", content=None)), chunk(choice(content="Yes")),
        chunk(choice(content=None, finish=STOP)), DONE),
    [(0, None), (0, "Yes"), (0, None)], [final(0, "Yes", STOP)], True)
vec(F, "openai-content-missing",
    "A delta without a content key (role only) gives a Delta with content null.",
    sse(chunk(choice(role="assistant")), chunk(choice(content="Ok")), chunk(choice(finish=STOP)),
        DONE),
    [(0, None), (0, "Ok"), (0, None)], [final(0, "Ok", STOP)], True)
vec(F, "openai-usage-chunk-empty-choices",
    "A last chunk with empty choices and a usage object: no Delta for it, and the usage shows on the Final.",
    sse(chunk(choice(content="Hi")), chunk(choice(finish=STOP)),
        chunk(usage={"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}), DONE),
    [(0, "Hi"), (0, None)],
    [final(0, "Hi", STOP, {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4})], True)
vec(F, "openai-continuous-usage-last-non-null",
    "vLLM continuous_usage_stats: usage on every chunk, then a null one; the last non-null usage object wins, exactly as sent.",
    sse(chunk(choice(role="assistant", content=""),
              usage={"prompt_tokens": 5, "total_tokens": 5, "completion_tokens": 0}),
        chunk(choice(content="A"), usage={"prompt_tokens": 5, "total_tokens": 6, "completion_tokens": 1}),
        chunk(choice(content="B"), usage={"prompt_tokens": 5, "total_tokens": 7, "completion_tokens": 2}),
        chunk(choice(finish=STOP), usage=None), DONE),
    [(0, ""), (0, "A"), (0, "B"), (0, None)],
    [final(0, "AB", STOP, {"prompt_tokens": 5, "total_tokens": 7, "completion_tokens": 2})], True)
vec(F, "openai-finish-length",
    "finish_reason length is reported on the Final.",
    sse(chunk(choice(content="Once upon")), chunk(choice(content=" a", finish="length")), DONE),
    [(0, "Once upon"), (0, " a")], [final(0, "Once upon a", "length")], True)
_args1 = '{"city":'
_args2 = '"Paris, {FR}"}'
vec(F, "openai-tool-calls",
    "A tool-only answer: tool_calls deltas have content null, the Final's generated_text is \"\" and finish_reason tool_calls.",
    sse(chunk(choice(delta={"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": ""}}]})),
        chunk(choice(delta={"tool_calls": [{"index": 0, "function": {"arguments": _args1}}]})),
        chunk(choice(delta={"tool_calls": [{"index": 0, "function": {"arguments": _args2}}]})),
        chunk(choice(finish="tool_calls")), DONE),
    [(0, None), (0, None), (0, None), (0, None)], [final(0, "", "tool_calls")], True)
vec(F, "openai-text-then-tool-calls",
    "Text deltas followed by tool_calls deltas: only the text is content and generated_text.",
    sse(chunk(choice(role="assistant", content="Let me check.")),
        chunk(choice(delta={"tool_calls": [
            {"index": 0, "id": "call_9", "type": "function",
             "function": {"name": "lookup", "arguments": "{}"}}]})),
        chunk(choice(finish="tool_calls")), DONE),
    [(0, "Let me check."), (0, None), (0, None)], [final(0, "Let me check.", "tool_calls")], True)
vec(F, "openai-two-choices-interleaved",
    "n=2: chunks for choices 1 and 0 interleave; deltas keep arrival order, finals are ordered by index.",
    sse(chunk(choice(1, "B1")), chunk(choice(0, "A1")), chunk(choice(1, "B2")),
        chunk(choice(0, "A2")), chunk(choice(1, finish=STOP)), chunk(choice(0, finish="length")),
        DONE),
    [(1, "B1"), (0, "A1"), (1, "B2"), (0, "A2"), (1, None), (0, None)],
    [final(0, "A1A2", "length"), final(1, "B1B2", STOP)], True)
vec(F, "openai-two-choices-in-one-chunk",
    "One chunk holding two choices gives one Delta per choice, in array order.",
    sse(chunk(choice(0, "x"), choice(1, "y")), chunk(choice(1, "z", finish=STOP), choice(0, finish=STOP)),
        chunk(usage={"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}), DONE),
    [(0, "x"), (1, "y"), (1, "z"), (0, None)],
    [final(0, "x", STOP, {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}),
     final(1, "yz", STOP, {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4})], True)
vec(F, "openai-cut-before-finish",
    "A stream cut before [DONE] and before any finish_reason: deltas only, no Final, not done.",
    sse(chunk(choice(role="assistant", content="")), chunk(choice(content="Hel")),
        chunk(choice(content="lo"))),
    [(0, ""), (0, "Hel"), (0, "lo")], [], False)
vec(F, "openai-finish-without-done",
    "A finish_reason but no [DONE]: close() emits the Final, and the stream is not done.",
    sse(chunk(choice(content="Hi")), chunk(choice(content="!", finish=STOP))),
    [(0, "Hi"), (0, "!")], [final(0, "Hi!", STOP)], False)
vec(F, "openai-finish-without-done-with-usage",
    "A finish_reason and a usage chunk but no [DONE]: the Final at close() carries the usage; not done.",
    sse(chunk(choice(content="Hi", finish=STOP)),
        chunk(usage={"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3})),
    [(0, "Hi")], [final(0, "Hi", STOP, {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3})],
    False)
vec(F, "openai-events-after-done-ignored",
    "Anything after [DONE] is ignored: more chunks, an error object, non-JSON and an unclosed frame.",
    sse(chunk(choice(content="A", finish=STOP)), DONE, chunk(choice(content="B")),
        {"error": {"message": "late", "type": "server_error", "code": None}}, "not json")
    + b'data: {"choices":[\n',
    [(0, "A")], [final(0, "A", STOP)], True)
vec(F, "openai-generated-text-honoured",
    "Prediction Guard single-line chunks: the server's generated_text, not the joined deltas, is the Final text.",
    sse(chunk(choice(content="Hel", generated_text=None)), chunk(choice(content="lo", generated_text=None)),
        chunk(choice(delta={}, generated_text="Hello there", finish=STOP)), DONE),
    [(0, "Hel"), (0, "lo"), (0, None)], [final(0, "Hello there", STOP)], True)
vec(F, "openai-generated-text-without-done",
    "Prediction Guard chunks with generated_text and finish_reason but no [DONE]: the Final at close() has the server text.",
    single_lines(chunk(choice(content="a", generated_text=None)),
                 chunk(choice(delta={}, generated_text="a b c", finish=STOP))),
    [(0, "a"), (0, None)], [final(0, "a b c", STOP)], False)
vec(F, "openai-single-line-no-blank-lines",
    "Single-line data: events with no blank line between them, ending 'data: [DONE]' plus LF and no blank line.",
    single_lines(chunk(choice(role="assistant", content="")), chunk(choice(content="One")),
                 chunk(choice(content=" two")), chunk(choice(finish=STOP)), DONE),
    [(0, ""), (0, "One"), (0, " two"), (0, None)], [final(0, "One two", STOP)], True)
vec(F, "openai-content-and-finish-in-one-chunk",
    "A chunk carrying both content and finish_reason: the content counts toward the Final.",
    sse(chunk(choice(content="Sure")), chunk(choice(content=".", finish=STOP)), DONE),
    [(0, "Sure"), (0, ".")], [final(0, "Sure.", STOP)], True)
vec(F, "openai-finish-reason-last-non-null",
    "A finish_reason followed by a chunk whose finish_reason is null: the last non-null one is kept.",
    sse(chunk(choice(content="x")), chunk(choice(finish="length")),
        chunk(choice(finish=None), usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}),
        DONE),
    [(0, "x"), (0, None), (0, None)],
    [final(0, "x", "length", {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2})], True)
vec(F, "openai-no-space-after-colon",
    "data: fields written without the optional space after the colon.",
    sse(chunk(choice(content="a")), chunk(choice(content="b", finish=STOP)), DONE, name="data:"),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], True)
vec(F, "openai-explicit-dialect",
    "A conforming stream decoded with dialect openai.",
    sse(chunk(choice(role="assistant", content="")), chunk(choice(content="Yo")),
        chunk(choice(finish=STOP)), DONE),
    [(0, ""), (0, "Yo"), (0, None)], [final(0, "Yo", STOP)], True, dialect="openai")
vec(F, "openai-done-without-finish-reason",
    "[DONE] without any finish_reason: the stream ended normally, so a Final with finish_reason null, and done.",
    sse(chunk(choice(content="a")), chunk(choice(content="b")), DONE),
    [(0, "a"), (0, "b")], [final(0, "ab", None)], True)
vec(F, "openai-error-null-is-not-an-error",
    "Chunks carrying \"error\": null are ordinary chunks, not errors.",
    sse({**chunk(choice(content="a")), "error": None},
        {**chunk(choice(content="b", finish=STOP)), "error": None}, DONE),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], True)
vec(F, "openai-usage-nested-exactly-as-sent",
    "A usage object with nested details is reported exactly as sent.",
    sse(chunk(choice(content="a", finish=STOP)),
        chunk(usage={"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10,
                     "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                     "completion_tokens_details": {"reasoning_tokens": 0, "accepted_prediction_tokens": 0}}),
        DONE),
    [(0, "a")],
    [final(0, "a", STOP, {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10,
                          "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                          "completion_tokens_details": {"reasoning_tokens": 0, "accepted_prediction_tokens": 0}})],
    True)
vec(F, "openai-done-without-choices",
    "[DONE] right after a chunk with empty choices and no usage: no Delta, no Final, done.",
    sse(chunk(), DONE), [], [], True)

# =====================================================================
# errors.json: errors reported inside the stream
# =====================================================================
F = "errors"

vec(F, "error-object-mid-stream",
    "An OpenAI error object after some deltas: deltas kept, then a StreamError, no Final, not done.",
    sse(chunk(choice(content="Hello")), chunk(choice(content=" wor")),
        {"error": {"message": "The server had an error while processing your request.",
                   "type": "server_error", "code": None}}),
    [(0, "Hello"), (0, " wor")], [],
    False, err("The server had an error while processing your request.", "server_error"))
vec(F, "error-vllm-object-error-then-done",
    "A vLLM error payload followed by [DONE]: the stream stopped at the error, so [DONE] is ignored and done is false.",
    sse(chunk(choice(content="Hi")),
        {"object": "error", "message": "This model's maximum context length is 4096 tokens.",
         "type": "BadRequestError", "param": None, "code": 400}, DONE),
    [(0, "Hi")], [], False,
    err("This model's maximum context length is 4096 tokens.", "BadRequestError", 400))
vec(F, "error-event-error-json",
    "An 'event: error' frame with JSON data that has no error wrapper.",
    sse(chunk(choice(content="Hi"))) + b"event: error\n" + sse(
        {"message": "Rate limit reached", "type": "rate_limit_error", "code": "rate_limit_exceeded"}),
    [(0, "Hi")], [], False, err("Rate limit reached", "rate_limit_error", "rate_limit_exceeded"))
vec(F, "error-event-error-wrapped-json",
    "An 'event: error' frame whose JSON data is an OpenAI error object.",
    sse(chunk(choice(content="Hi"))) + b"event: error\n" + sse(
        {"error": {"message": "overloaded", "type": "overloaded_error", "code": None}}),
    [(0, "Hi")], [], False, err("overloaded", "overloaded_error"))
vec(F, "error-event-error-plain-text",
    "An 'event: error' frame with plain-text data: the message is the text and the type is 'error'.",
    sse(chunk(choice(content="Hi"))) + b"event: error\ndata: upstream connect timeout\n\n",
    [(0, "Hi")], [], False, err("upstream connect timeout", "error"))
vec(F, "error-event-error-first-auto",
    "An 'event: error' frame as the very first frame, with dialect auto.",
    b"event: error\ndata: Internal Server Error\n\n", [], [], False,
    err("Internal Server Error", "error"))
vec(F, "error-event-type-reset-by-blank-line",
    "An 'event: error' line followed by a blank line: the block ends, and the next frame is an ordinary chunk.",
    b"event: error\n\n" + sse(chunk(choice(content="a", finish=STOP)), DONE),
    [(0, "a")], [final(0, "a", STOP)], True)
vec(F, "error-event-error-plain-text-with-brace",
    "An 'event: error' frame whose plain-text data holds an unbalanced '{': it is not a JSON value, so the blank line ends it and it is reported.",
    sse(chunk(choice(content="Hi"))) + b"event: error\ndata: unexpected '{' in request body\n\n",
    [(0, "Hi")], [], False, err("unexpected '{' in request body", "error"))
vec(F, "error-first-payload-auto",
    "An OpenAI error object as the very first payload, with dialect auto.",
    sse({"error": {"message": "The model `gpt-x` does not exist", "type": "invalid_request_error",
                   "code": "model_not_found"}}),
    [], [], False, err("The model `gpt-x` does not exist", "invalid_request_error", "model_not_found"))
vec(F, "error-vllm-first-payload-auto",
    "A vLLM error payload as the very first payload, with dialect auto, then [DONE] (ignored).",
    sse({"object": "error", "message": "Engine is overloaded", "type": "ServiceUnavailableError",
         "param": None, "code": 503}, DONE),
    [], [], False, err("Engine is overloaded", "ServiceUnavailableError", 503))
vec(F, "error-tgi-first-payload-auto",
    "A TGI error as the first payload with dialect auto: message from error, type from error_type.",
    sse({"error": "Input validation error: `inputs` must not be empty", "error_type": "validation"},
        name="data:"),
    [], [], False, err("Input validation error: `inputs` must not be empty", "validation"))
vec(F, "error-tgi-mid-stream",
    "A TGI error after some tokens: deltas kept, then the StreamError, not done.",
    sse({"index": 1, "token": {"id": 1, "text": "Hi", "logprob": -0.2, "special": False},
         "generated_text": None, "details": None},
        {"error": "Request failed during generation: Server error: CUDA out of memory",
         "error_type": "generation"}, name="data:"),
    [(0, "Hi")], [], False,
    err("Request failed during generation: Server error: CUDA out of memory", "generation"),
    dialect="tgi")
vec(F, "error-stops-the-stream",
    "Everything after a StreamError is ignored: later chunks, a finish_reason and [DONE].",
    sse(chunk(choice(content="a")), {"error": {"message": "boom", "type": "server_error", "code": 500}},
        chunk(choice(content="b", finish=STOP)), DONE),
    [(0, "a")], [], False, err("boom", "server_error", 500))
vec(F, "error-pretty-printed-event-error",
    "An 'event: error' line before a pretty-printed JSON error frame, no blank lines: the event type belongs to that frame.",
    (pg(chunk(choice(content="Hi"))) + "event: error\n"
     + pg({"message": "Upstream {overloaded}", "type": "overloaded_error"})).encode(),
    [(0, "Hi")], [], False, err("Upstream {overloaded}", "overloaded_error"))

# =====================================================================
# malformed.json: payloads that cannot be used (and a limit)
# =====================================================================
F = "malformed"

vec(F, "malformed-not-json-first",
    "A data payload that is not JSON, as the first frame, raises RemoteProtocolError.",
    b"data: hello\n\n", [], [], False, raises="RemoteProtocolError")
vec(F, "malformed-not-json-mid-stream",
    "A non-JSON payload after valid chunks raises RemoteProtocolError.",
    sse(chunk(choice(content="a")), "hello world", DONE), [], [], False, raises="RemoteProtocolError")
vec(F, "malformed-not-json-with-brace",
    "A complete SSE event whose data is not JSON but holds an unbalanced '{' still raises RemoteProtocolError.",
    sse(chunk(choice(content="a"))) + b"data: oops {\n\n" + sse(DONE),
    [], [], False, raises="RemoteProtocolError")
vec(F, "malformed-not-json-with-brace-at-end",
    "The same non-JSON event with an unbalanced '{' as the last event of the stream raises RemoteProtocolError too (it is complete, not cut off).",
    sse(chunk(choice(content="a"))) + b"data: oops {\n\n",
    [], [], False, raises="RemoteProtocolError")
vec(F, "malformed-json-array",
    "A JSON array payload is not a chunk: RemoteProtocolError.",
    sse('[{"choices":[]}]', DONE), [], [], False, raises="RemoteProtocolError")
vec(F, "malformed-json-number",
    "A JSON number payload is not a chunk: RemoteProtocolError.",
    sse(chunk(choice(content="a")), "42", DONE), [], [], False, raises="RemoteProtocolError")
vec(F, "malformed-unclosed-frame-then-done",
    "A JSON frame still open when a [DONE] line arrives ends there, is not JSON, and raises RemoteProtocolError.",
    b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}\ndata: [DONE]\n\n',
    [], [], False, raises="RemoteProtocolError")
# Limit tests with megabyte inputs live in tests/test_chat.py, not here.

# =====================================================================
# keepalive.json: keep-alives, pings, BOM and line endings
# =====================================================================
F = "keepalive"

vec(F, "keepalive-comment-lines",
    "Comment lines (': ping', ': OPENROUTER PROCESSING') before and between events are ignored.",
    b": ping\n\n" + sse(chunk(choice(content="a"))) + b": OPENROUTER PROCESSING\n\n: ping\n"
    + sse(chunk(choice(content="b", finish=STOP))) + b":\n" + sse(DONE),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], True)
vec(F, "keepalive-empty-data-lines",
    "Empty 'data:' and 'data: ' lines (with and without blank lines) are keep-alives.",
    b"data:\n\ndata: \n\n" + sse(chunk(choice(content="a"))) + b"data:\n"
    + single_lines(chunk(choice(content="b", finish=STOP))) + b"data: \n" + sse(DONE),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], True)
vec(F, "keepalive-event-ping-first-openai",
    "With dialect openai, an 'event: ping' frame with data {} before the first chunk is ignored.",
    b"event: ping\ndata: {}\n\n" + sse(chunk(choice(content="a", finish=STOP)), DONE),
    [(0, "a")], [final(0, "a", STOP)], True, dialect="openai")
vec(F, "keepalive-event-ping-mid-stream",
    "'event: ping' frames with data {} between chunks produce nothing.",
    sse(chunk(choice(content="a"))) + b"event: ping\ndata: {}\n\n"
    + sse(chunk(choice(content="b", finish=STOP))) + b"event: ping\ndata: {}\n\n" + sse(DONE),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], True)
vec(F, "keepalive-ping-type-ignored-openai",
    "The openai dialect ignores a payload whose SSE event type is ping, even one with choices.",
    sse(chunk(choice(content="a"))) + b"event: ping\n" + sse(chunk(choice(content="PING")))
    + sse(chunk(choice(finish=STOP)), DONE),
    [(0, "a"), (0, None)], [final(0, "a", STOP)], True, dialect="openai")
vec(F, "keepalive-ping-type-does-not-leak",
    "An 'event: ping' line belongs to the next frame only: the frame after it (no blank line between) is a normal chunk.",
    b"event: ping\n" + single_lines({"type": "ping"}, chunk(choice(content="Hi", finish=STOP)))
    + b"\n" + sse(DONE),
    [(0, "Hi")], [final(0, "Hi", STOP)], True, dialect="openai")
vec(F, "keepalive-bom",
    "A UTF-8 BOM at the start of the stream is stripped.",
    b"\xef\xbb\xbf" + sse(chunk(choice(content="a", finish=STOP)), DONE),
    [(0, "a")], [final(0, "a", STOP)], True)
vec(F, "keepalive-crlf",
    "A conforming stream with CRLF line ends.",
    sse(chunk(choice(content="a")), chunk(choice(content="b", finish=STOP)), DONE, eol="\r\n"),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], True)
vec(F, "keepalive-cr-only",
    "A conforming stream with lone CR line ends.",
    sse(chunk(choice(content="a")), chunk(choice(content="b", finish=STOP)), DONE, eol="\r"),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], True)
vec(F, "keepalive-id-retry-and-unknown-fields",
    "id:, retry:, event: message and unknown field lines around frames change nothing.",
    b"retry: 3000\nid: 1\nevent: message\n" + sse(chunk(choice(content="a")))
    + b"x-trace: abc\nid: 2\n" + sse(chunk(choice(content="b", finish=STOP))) + b"id: 3\n" + sse(DONE),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], True)

# =====================================================================
# recovery.json: framing tricks and the non-conforming forms
# =====================================================================
F = "recovery"

TRICKY = 'x{"a": [1, 2]}} {{ \\"q\\" \\\\ data: [DONE]\n\ndata: {"z":1}\n[DONE]'
vec(F, "recovery-tricky-string-single-line",
    "A content string holding braces, brackets, quotes, backslashes, 'data: ', '[DONE]' and newline escapes, conforming framing.",
    sse(chunk(choice(content=TRICKY)), chunk(choice(content="}", finish=STOP)), DONE),
    [(0, TRICKY), (0, "}")], [final(0, TRICKY + "}", STOP)], True)
vec(F, "recovery-tricky-string-no-blank-lines",
    "The same tricky content in single-line data: events with no blank lines.",
    single_lines(chunk(choice(content=TRICKY)), chunk(choice(content="{", finish=STOP)), DONE),
    [(0, TRICKY), (0, "{")], [final(0, TRICKY + "{", STOP)], True)
vec(F, "recovery-tricky-string-pretty-printed",
    "Pretty-printed frames (Prediction Guard form) whose strings contain braces, brackets, quotes and backslashes.",
    (pg(chunk(choice(content="{[", generated_text=None)))
     + pg(chunk(choice(content="}]}\"\\", generated_text=None)))
     + pg(chunk(choice(delta={}, generated_text="{[}]}\"\\", finish=STOP))) + "data: [DONE]\n").encode(),
    [(0, "{["), (0, "}]}\"\\"), (0, None)], [final(0, "{[}]}\"\\", STOP)], True)
vec(F, "recovery-string-ending-in-backslash-pretty",
    "A pretty-printed string that ends in an escaped backslash, followed by a closing brace line.",
    (pg(chunk(choice(content="C:\\"))) + pg(chunk(choice(content="dir\\", finish=STOP)))
     + "data: [DONE]\n").encode(),
    [(0, "C:\\"), (0, "dir\\")], [final(0, "C:\\dir\\", STOP)], True)
vec(F, "recovery-unicode-raw-utf8",
    "Content with raw UTF-8: accents, CJK, an emoji and a combining sequence.",
    sse(chunk(choice(content="caf\u00e9 ")), chunk(choice(content="\u65e5\u672c ")),
        chunk(choice(content="\U0001f600\U0001f44d\U0001f3fd", finish=STOP)), DONE),
    [(0, "caf\u00e9 "), (0, "\u65e5\u672c "), (0, "\U0001f600\U0001f44d\U0001f3fd")],
    [final(0, "caf\u00e9 \u65e5\u672c \U0001f600\U0001f44d\U0001f3fd", STOP)], True)
vec(F, "recovery-unicode-escapes",
    "Content written with \\u escapes, including a surrogate pair for an emoji.",
    ("data: " + j(chunk(choice(content="\u00e9\U0001f600\u2028")), ascii_only=True) + "\n\n"
     + "data: " + j(chunk(choice(finish=STOP))) + "\n\ndata: [DONE]\n\n").encode(),
    [(0, "\u00e9\U0001f600\u2028"), (0, None)], [final(0, "\u00e9\U0001f600\u2028", STOP)], True)
vec(F, "recovery-unicode-pretty-printed",
    "Pretty-printed frames with raw UTF-8 and emoji in strings.",
    (pg(chunk(choice(content="\u00fcber \U0001f680"))) + pg(chunk(choice(content="\u2603", finish=STOP)))
     + "data: [DONE]\n").encode(),
    [(0, "\u00fcber \U0001f680"), (0, "\u2603")], [final(0, "\u00fcber \U0001f680\u2603", STOP)], True)
_c = j(chunk(choice(content="Hi", finish=STOP)))
_cut, _cut_b = _c.index('"delta"'), _c.index('"Hi"')
vec(F, "recovery-json-split-over-data-lines",
    "One JSON object split over several data: lines of one event (valid SSE: the lines are joined with LF).",
    ("data: " + _c[:_cut] + "\ndata: " + _c[_cut:_cut_b] + "\ndata:" + _c[_cut_b:]
     + "\n\ndata: [DONE]\n\n").encode(),
    [(0, "Hi")], [final(0, "Hi", STOP)], True)
_c2 = j(chunk(choice(content="Yo")))
_cut2 = _c2.index('"choices"')
vec(F, "recovery-json-split-with-empty-data-line",
    "A JSON object split over data: lines with an empty data: line inside (joined, it is whitespace).",
    ("data: " + _c2[:_cut2] + "\ndata:\ndata: " + _c2[_cut2:] + "\n\n"
     + "data: " + j(chunk(choice(finish=STOP))) + "\n\ndata: [DONE]\n\n").encode(),
    [(0, "Yo"), (0, None)], [final(0, "Yo", STOP)], True)
vec(F, "recovery-comment-between-split-data-lines",
    "A comment line between the data: lines of one event (valid SSE) is ignored, and the data lines are joined.",
    ("data: " + _c[:_cut] + "\n: keep-alive\ndata: " + _c[_cut:] + "\n\ndata: [DONE]\n\n").encode(),
    [(0, "Hi")], [final(0, "Hi", STOP)], True)
vec(F, "recovery-blank-lines-inside-json",
    "Blank lines inside a pretty-printed, unclosed JSON value are whitespace.",
    b'data: {\n"choices":[\n\n{"index":0,"delta":{"content":"Hi"},"finish_reason":null}\n\n]\n}\n\n'
    b'data: {"choices":[{"index":0,"delta":{},\n\n"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
    [(0, "Hi"), (0, None)], [final(0, "Hi", STOP)], True)
vec(F, "recovery-mixed-prefixed-continuation",
    "A pretty-printed frame whose continuation lines are partly data:-prefixed, partly not.",
    b'data: {\n"choices":[\ndata: {"index":0,"delta":{"content":"Hi"},\n"finish_reason":"stop"}\n]\n}\n'
    b"data: [DONE]\n",
    [(0, "Hi")], [final(0, "Hi", STOP)], True)
vec(F, "recovery-pretty-printed-crlf-blank-lines-inside",
    "The Prediction Guard form with CRLF and a blank line inside each JSON value.",
    (pg(chunk(choice(content="a"))).replace("\"choices\":[\n", "\"choices\":[\n\n")
     + pg(chunk(choice(content="b", finish=STOP))).replace("\"choices\":[\n", "\"choices\":[\n\n")
     + "data: [DONE]\n").replace("\n", "\r\n").encode(),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], True)
vec(F, "recovery-pretty-printed-then-single-line",
    "A pretty-printed frame directly followed by single-line frames, no blank lines anywhere.",
    (pg(chunk(choice(content="a"))) + "data: " + j(chunk(choice(content="b"))) + "\n"
     + pg(chunk(choice(content="c", finish=STOP))) + "data: [DONE]\n").encode(),
    [(0, "a"), (0, "b"), (0, "c")], [final(0, "abc", STOP)], True)
vec(F, "recovery-closing-brace-line-then-done-unterminated",
    "A pretty-printed stream whose final 'data: [DONE]' has no line break at all.",
    (pg(chunk(choice(content="a", finish=STOP))) + "data: [DONE]").encode(),
    [(0, "a")], [final(0, "a", STOP)], True)
vec(F, "recovery-pretty-printed-four-space-indent",
    "Pretty-printed frames indented by four spaces per level, as json.dumps(indent=4) would.",
    ("data: " + json.dumps(chunk(choice(content="a")), indent=4) + "\n"
     + "data: " + json.dumps(chunk(choice(content="b", finish=STOP)), indent=4) + "\n"
     + "data: [DONE]\n").encode(),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], True)

vec(F, "recovery-raw-unicode-line-separators",
    "Raw U+2028, U+2029 and U+0085 inside JSON strings are not line breaks, single-line and pretty-printed.",
    (single_lines(chunk(choice(content="a\u2028b"))) + pg(chunk(choice(content="\u2029c\u0085d", finish=STOP)))
     .encode() + b"data: [DONE]\n"),
    [(0, "a\u2028b"), (0, "\u2029c\u0085d")], [final(0, "a\u2028b\u2029c\u0085d", STOP)], True)
vec(F, "recovery-pretty-printed-last-frame-without-line-break",
    "A pretty-printed last frame whose closing brace has no line break: used at close(); no [DONE], so not done.",
    (pg(chunk(choice(content="a"))) + pg(chunk(choice(content="b", finish=STOP)))[:-1]).encode(),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], False)

# =====================================================================
# tgi.json: Hugging Face text-generation-inference /generate_stream
# =====================================================================
F = "tgi"


def tok(index, text, special=False, generated=None, details=None, token_id=None):
    return {"index": index,
            "token": {"id": token_id if token_id is not None else 100 + index, "text": text,
                      "logprob": -0.1, "special": special},
            "generated_text": generated, "details": details}


def tgi(*payloads):
    """TGI writes 'data:' with no space and a blank line after each event."""
    return sse(*payloads, name="data:")


vec(F, "tgi-eos-special-last",
    "TGI tokens, then a last special </s> token carrying generated_text and details: Final and Done, no [DONE] line.",
    tgi(tok(1, "Hel"), tok(2, "lo"), tok(3, " world"),
        tok(4, "</s>", special=True, generated="Hello world",
            details={"finish_reason": "eos_token", "generated_tokens": 4, "seed": None})),
    [(0, "Hel"), (0, "lo"), (0, " world"), (0, None)], [final(0, "Hello world", "eos_token")], True)
vec(F, "tgi-length-auto",
    "dialect auto detects TGI from 'token'; the last event's details.finish_reason is length.",
    tgi(tok(1, "Hel"), tok(2, "lo"),
        tok(3, "!", generated="Hello!",
            details={"finish_reason": "length", "generated_tokens": 3, "seed": None})),
    [(0, "Hel"), (0, "lo"), (0, "!")], [final(0, "Hello!", "length")], True)
vec(F, "tgi-explicit-dialect",
    "The same TGI stream decoded with dialect tgi.",
    tgi(tok(1, "Hel"), tok(2, "lo"),
        tok(3, "!", generated="Hello!",
            details={"finish_reason": "length", "generated_tokens": 3, "seed": None})),
    [(0, "Hel"), (0, "lo"), (0, "!")], [final(0, "Hello!", "length")], True, dialect="tgi")
vec(F, "tgi-special-token-mid-stream",
    "A special token in the middle of the stream is not visible text: Delta content null.",
    tgi(tok(1, "<|im_start|>", special=True), tok(2, "Yes"),
        tok(3, ".", generated="Yes.",
            details={"finish_reason": "stop_sequence", "generated_tokens": 3, "seed": 7})),
    [(0, None), (0, "Yes"), (0, ".")], [final(0, "Yes.", "stop_sequence")], True)
vec(F, "tgi-server-full-text",
    "The server's generated_text (here prompt plus answer, return_full_text) is the Final text, not the joined tokens.",
    tgi(tok(1, "Hi"), tok(2, "!", generated="Q: hello\nA: Hi!",
                                  details={"finish_reason": "eos_token", "generated_tokens": 2, "seed": None})),
    [(0, "Hi"), (0, "!")], [final(0, "Q: hello\nA: Hi!", "eos_token")], True)
vec(F, "tgi-cut-before-last-event",
    "A TGI stream cut before the event with generated_text: deltas only, no Final, not done.",
    tgi(tok(1, "Hel"), tok(2, "lo")),
    [(0, "Hel"), (0, "lo")], [], False)
vec(F, "tgi-after-end-ignored",
    "Events after TGI's last event (the one with generated_text) are ignored.",
    tgi(tok(1, "A", generated="A", details={"finish_reason": "length", "generated_tokens": 1, "seed": None}),
        tok(2, "B"), "garbage"),
    [(0, "A")], [final(0, "A", "length")], True)
vec(F, "tgi-details-null",
    "A TGI stream requested without details: the last event has generated_text but details null, so there is no finish reason.",
    tgi(tok(1, "Hi"), tok(2, "!", generated="Hi!")),
    [(0, "Hi"), (0, "!")], [final(0, "Hi!", None)], True)
vec(F, "tgi-keepalive-comments",
    "TGI (axum) keep-alive comments between events are ignored.",
    tgi(tok(1, "a")) + b":\n\n" + tgi(tok(2, "b", generated="ab", details={"finish_reason": "eos_token",
                                                                        "generated_tokens": 2, "seed": None})),
    [(0, "a"), (0, "b")], [final(0, "ab", "eos_token")], True)
vec(F, "tgi-crlf",
    "A TGI stream with CRLF line ends.",
    sse(tok(1, "x"), tok(2, "y", generated="xy",
                         details={"finish_reason": "eos_token", "generated_tokens": 2, "seed": None}),
        name="data:", eol="\r\n"),
    [(0, "x"), (0, "y")], [final(0, "xy", "eos_token")], True)

# =====================================================================
# edge.json: empty streams, unterminated ends, invalid UTF-8
# =====================================================================
F = "edge"

vec(F, "edge-empty-stream",
    "An empty byte stream: nothing, not done.",
    b"", [], [], False)
vec(F, "edge-whitespace-only",
    "Only blank lines and comments: nothing, not done.",
    b"\n\n\r\n: hi\n\n", [], [], False)
vec(F, "edge-only-done",
    "A stream holding only [DONE]: no Delta, no Final, done.",
    sse(DONE), [], [], True)
vec(F, "edge-done-without-line-break",
    "A conforming stream whose last 'data: [DONE]' has no line break: used at close(), done.",
    sse(chunk(choice(content="a", finish=STOP))) + b"data: [DONE]",
    [(0, "a")], [final(0, "a", STOP)], True)
vec(F, "edge-unterminated-last-json-frame",
    "A complete JSON frame without any line break at the end of the stream is used at close(); no [DONE], so not done.",
    sse(chunk(choice(content="a"))) + b"data: " + j(chunk(choice(content="b", finish=STOP))).encode(),
    [(0, "a"), (0, "b")], [final(0, "ab", STOP)], False)
vec(F, "edge-cut-mid-json",
    "A stream cut in the middle of a JSON frame: the partial frame is dropped, not done.",
    sse(chunk(choice(content="a"))) + b'data: {"choices":[{"index":0,"delta":{"content":"b"',
    [(0, "a")], [], False)
vec(F, "edge-cut-mid-json-after-finish",
    "A cut in the middle of a frame after a finish_reason: the partial frame is dropped, the Final still comes at close().",
    sse(chunk(choice(content="a", finish=STOP))) + b'data: {"choices":[],"usage":{"prompt_tok',
    [(0, "a")], [final(0, "a", STOP)], False)
vec(F, "edge-invalid-utf8-in-content",
    "An invalid UTF-8 byte inside a string becomes U+FFFD.",
    sse(chunk(choice(content="a#b", finish=STOP)), DONE).replace(b"a#b", b"a\xffb"),
    [(0, "a\ufffdb")], [final(0, "a\ufffdb", STOP)], True)
vec(F, "edge-split-multibyte-utf8",
    "A four-byte emoji and a three-byte character (bytewise feeding splits them) decode intact.",
    sse(chunk(choice(content="\U0001f389")), chunk(choice(content="\u20ac", finish=STOP)), DONE),
    [(0, "\U0001f389"), (0, "\u20ac")], [final(0, "\U0001f389\u20ac", STOP)], True)
vec(F, "edge-empty-delta-object",
    "A chunk whose delta is {} (not the finish chunk) still gives a Delta with content null.",
    sse(chunk(choice(content="a")), chunk(choice(delta={})), chunk(choice(content="b", finish=STOP)), DONE),
    [(0, "a"), (0, None), (0, "b")], [final(0, "ab", STOP)], True)


# =====================================================================
# anthropic.json: Anthropic Messages streaming (named SSE events)
# =====================================================================
F = "anthropic"


def named(*events, eol="\n"):
    """Anthropic/Responses framing: an 'event:' line naming each payload's type, then data."""
    out = []
    for payload in events:
        out.append(f"event: {payload['type']}{eol}data: {j(payload)}{eol}{eol}")
    return "".join(out).encode("utf-8")


def a_start(usage=None, mid="msg_01", model="claude-test"):
    if usage is None:
        usage = {"input_tokens": 10, "output_tokens": 1}
    return {"type": "message_start",
            "message": {"id": mid, "type": "message", "role": "assistant", "content": [],
                        "model": model, "stop_reason": None, "stop_sequence": None,
                        "usage": usage}}


def a_block(index, block):
    return {"type": "content_block_start", "index": index, "content_block": block}


def a_text(index, text):
    return {"type": "content_block_delta", "index": index,
            "delta": {"type": "text_delta", "text": text}}


def a_delta(index, delta):
    return {"type": "content_block_delta", "index": index, "delta": delta}


def a_stop_block(index):
    return {"type": "content_block_stop", "index": index}


def a_msg_delta(reason, usage=MISSING):
    value = {"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None}}
    if usage is not MISSING:
        value["usage"] = usage
    return value


A_PING = {"type": "ping"}
A_STOP = {"type": "message_stop"}
A_TEXT_BLOCK = {"type": "text", "text": ""}
A_OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

A_BASIC = [a_start(), a_block(0, A_TEXT_BLOCK), A_PING, a_text(0, "Hello"), a_text(0, " there"),
           a_stop_block(0), a_msg_delta("end_turn", {"output_tokens": 12}), A_STOP]

vec(F, "anthropic-text-basic",
    "A text answer: message_start, a text block with two text_delta events, a ping, message_delta with stop_reason end_turn and usage, message_stop. The usage is message_start's updated by message_delta's, as the Anthropic SDK merges them.",
    named(*A_BASIC),
    [(0, "Hello"), (0, " there")], [final(0, "Hello there", "end_turn", {"input_tokens": 10, "output_tokens": 12})], True)
vec(F, "anthropic-explicit-dialect",
    "The same stream decoded with dialect anthropic.",
    named(*A_BASIC),
    [(0, "Hello"), (0, " there")], [final(0, "Hello there", "end_turn", {"input_tokens": 10, "output_tokens": 12})], True,
    dialect="anthropic")
vec(F, "anthropic-usage-from-message-start",
    "message_delta without a usage object: the usage is message_start's message.usage, exactly as sent.",
    named(a_start({"input_tokens": 7, "output_tokens": 3, "cache_read_input_tokens": 0}),
          a_block(0, A_TEXT_BLOCK), a_text(0, "Ok"), a_stop_block(0), a_msg_delta("end_turn"), A_STOP),
    [(0, "Ok")],
    [final(0, "Ok", "end_turn", {"input_tokens": 7, "output_tokens": 3, "cache_read_input_tokens": 0})],
    True)
vec(F, "anthropic-tool-use",
    "A text block then a tool_use block whose input arrives as input_json_delta pieces: those Deltas have content null; stop_reason tool_use.",
    named(a_start(), a_block(0, A_TEXT_BLOCK), a_text(0, "Let me check."), a_stop_block(0),
          a_block(1, {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}}),
          a_delta(1, {"type": "input_json_delta", "partial_json": ""}),
          a_delta(1, {"type": "input_json_delta", "partial_json": "{\"city\": \"Pa"}),
          a_delta(1, {"type": "input_json_delta", "partial_json": "ris\"}"}),
          a_stop_block(1), a_msg_delta("tool_use", {"output_tokens": 40}), A_STOP),
    [(0, "Let me check."), (0, None), (0, None), (0, None)],
    [final(0, "Let me check.", "tool_use", {"input_tokens": 10, "output_tokens": 40})], True)
vec(F, "anthropic-thinking-is-reasoning",
    "Extended thinking: thinking_delta (reasoning) and signature_delta are not visible text (content null); only the text block counts.",
    named(a_start(), a_block(0, {"type": "thinking", "thinking": "", "signature": ""}),
          a_delta(0, {"type": "thinking_delta", "thinking": "2 + 2 is 4."}),
          a_delta(0, {"type": "signature_delta", "signature": "EqQBCgIYAhIM"}),
          a_stop_block(0), a_block(1, A_TEXT_BLOCK), a_text(1, "4"), a_stop_block(1),
          a_msg_delta("end_turn", {"output_tokens": 30}), A_STOP),
    [(0, None, "2 + 2 is 4.", None), (0, None), (0, "4")],
    [final(0, "4", "end_turn", {"input_tokens": 10, "output_tokens": 30}, reasoning="2 + 2 is 4.")], True)
vec(F, "anthropic-error-first-auto",
    "An 'event: error' frame as the very first frame, with dialect auto: StreamError typed by error.type.",
    named(A_OVERLOADED), [], [], False, err("Overloaded", "overloaded_error"))
vec(F, "anthropic-error-first-no-event-line",
    "An Anthropic error payload as the first payload without an event: line, with dialect auto.",
    sse({"type": "error", "error": {"type": "invalid_request_error",
                                    "message": "max_tokens: Field required"}}),
    [], [], False, err("max_tokens: Field required", "invalid_request_error"))
vec(F, "anthropic-error-mid-stream",
    "An overloaded_error event after some text: the deltas are kept, then the StreamError; no Final, not done.",
    named(a_start(), a_block(0, A_TEXT_BLOCK), a_text(0, "Par"), A_OVERLOADED, a_text(0, "is"), A_STOP),
    [(0, "Par")], [], False, err("Overloaded", "overloaded_error"))
vec(F, "anthropic-cut-after-stop-reason",
    "A stream cut after message_delta (stop_reason max_tokens) but before message_stop: the Final comes at close(), not done.",
    named(a_start(), a_block(0, A_TEXT_BLOCK), a_text(0, "Once upon"), a_stop_block(0),
          a_msg_delta("max_tokens", {"output_tokens": 2})),
    [(0, "Once upon")], [final(0, "Once upon", "max_tokens", {"input_tokens": 10, "output_tokens": 2})], False)
vec(F, "anthropic-cut-mid-delta",
    "A stream cut inside a content_block_delta event: the partial frame is dropped, no Final, not done.",
    named(a_start(), a_block(0, A_TEXT_BLOCK), a_text(0, "Hi"))
    + b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_de',
    [(0, "Hi")], [], False)
vec(F, "anthropic-no-event-lines",
    "The same events with data: lines only (no event: lines): the type inside each payload is enough.",
    sse(*A_BASIC),
    [(0, "Hello"), (0, " there")], [final(0, "Hello there", "end_turn", {"input_tokens": 10, "output_tokens": 12})], True)
vec(F, "anthropic-empty-message",
    "A message with no content block: no Delta, a Final with empty text, done.",
    named(a_start(), a_msg_delta("end_turn", {"output_tokens": 1}), A_STOP),
    [], [final(0, "", "end_turn", {"input_tokens": 10, "output_tokens": 1})], True)
vec(F, "anthropic-after-stop-ignored",
    "Everything after message_stop is ignored, even an error event and non-JSON data.",
    named(a_start(), a_block(0, A_TEXT_BLOCK), a_text(0, "A"), a_msg_delta("end_turn", {"output_tokens": 1}),
          A_STOP, a_text(0, "B"), A_OVERLOADED) + b"data: not json\n\n",
    [(0, "A")], [final(0, "A", "end_turn", {"input_tokens": 10, "output_tokens": 1})], True)
vec(F, "anthropic-unknown-event-and-crlf",
    "CRLF line ends, and an event type this decoder does not know (a newer API's) between blocks: ignored.",
    named(a_start(), a_block(0, A_TEXT_BLOCK), a_text(0, "x"), {"type": "content_block_annotation", "index": 0},
          a_text(0, "y"), a_msg_delta("stop_sequence", {"output_tokens": 2}), A_STOP, eol="\r\n"),
    [(0, "x"), (0, "y")], [final(0, "xy", "stop_sequence", {"input_tokens": 10, "output_tokens": 2})], True)

# =====================================================================
# responses.json: OpenAI Responses streaming (named SSE events)
# =====================================================================
F = "responses"

R_USAGE = {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 3,
           "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15}


def r_response(status, output=(), usage=None, details=None, error=None):
    return {"id": "resp_01", "object": "response", "created_at": 1741290958, "status": status,
            "error": error, "incomplete_details": details, "model": "gpt-test",
            "output": list(output), "usage": usage}


def r_message(*texts):
    return {"id": "msg_01", "type": "message", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": t, "annotations": []} for t in texts]}


class _Seq:
    """Adds the sequence_number every Responses event carries."""

    def __init__(self):
        self.n = 0

    def __call__(self, kind, **fields):
        value = {"type": kind, "sequence_number": self.n, **fields}
        self.n += 1
        return value


def r_text_stream(*pieces, end="response.completed", output=None, usage=R_USAGE, details=None):
    """A whole Responses stream for one message whose text comes in ``pieces``."""
    ev = _Seq()
    text = "".join(pieces)
    events = [ev("response.created", response=r_response("in_progress")),
              ev("response.in_progress", response=r_response("in_progress")),
              ev("response.output_item.added", output_index=0,
                 item={"id": "msg_01", "type": "message", "status": "in_progress",
                       "role": "assistant", "content": []}),
              ev("response.content_part.added", item_id="msg_01", output_index=0, content_index=0,
                 part={"type": "output_text", "text": "", "annotations": []})]
    for piece in pieces:
        events.append(ev("response.output_text.delta", item_id="msg_01", output_index=0,
                         content_index=0, delta=piece))
    events += [ev("response.output_text.done", item_id="msg_01", output_index=0, content_index=0,
                  text=text),
               ev("response.content_part.done", item_id="msg_01", output_index=0, content_index=0,
                  part={"type": "output_text", "text": text, "annotations": []}),
               ev("response.output_item.done", output_index=0, item=r_message(text))]
    if end is not None:
        status = "completed" if end == "response.completed" else "incomplete"
        events.append(ev(end, response=r_response(status, output or [r_message(text)], usage, details)))
    return events


R_BASIC = r_text_stream("Hi", " there", "!")

vec(F, "responses-text-basic",
    "A Responses stream: created, in_progress, item and part events, three output_text deltas, the done events, response.completed with output and usage.",
    named(*R_BASIC),
    [(0, "Hi"), (0, " there"), (0, "!")], [final(0, "Hi there!", "completed", R_USAGE)], True)
vec(F, "responses-explicit-dialect",
    "The same stream decoded with dialect openai-responses.",
    named(*R_BASIC),
    [(0, "Hi"), (0, " there"), (0, "!")], [final(0, "Hi there!", "completed", R_USAGE)], True,
    dialect="openai-responses")
vec(F, "responses-server-text-wins",
    "The Final text is the output text of response.completed (two output_text parts joined), not the joined deltas.",
    named(*r_text_stream("a", "b", output=[
        {"id": "rs_01", "type": "reasoning", "summary": []}, r_message("ab", "c")])),
    [(0, "a"), (0, "b")], [final(0, "abc", "completed", R_USAGE)], True)
vec(F, "responses-incomplete-max-output-tokens",
    "response.incomplete ends the stream normally: finish_reason is incomplete_details.reason, then Done.",
    named(*r_text_stream("Once", " upon", end="response.incomplete",
                         details={"reason": "max_output_tokens"})),
    [(0, "Once"), (0, " upon")], [final(0, "Once upon", "max_output_tokens", R_USAGE)], True)
_rf = _Seq()
vec(F, "responses-failed",
    "response.failed after some text: a StreamError typed by response.error.code; no Final, not done.",
    named(_rf("response.created", response=r_response("in_progress")),
          _rf("response.output_text.delta", item_id="msg_01", output_index=0, content_index=0, delta="Par"),
          _rf("response.failed", response=r_response(
              "failed", error={"code": "server_error", "message": "The model failed to generate a response."}))),
    [(0, "Par")], [], False, err("The model failed to generate a response.", "server_error", "server_error"))
vec(F, "responses-error-event-flat-first",
    "An error event in the documented flat shape as the very first frame, with dialect auto: the type is the code.",
    named({"type": "error", "code": "rate_limit_exceeded", "message": "Rate limit reached",
           "param": None, "sequence_number": 0}),
    [], [], False, err("Rate limit reached", "rate_limit_exceeded", "rate_limit_exceeded"))
vec(F, "responses-error-nested-first-no-event-line",
    "An error payload with a nested error object (as sent in practice), first and without an event: line: the type is error.code.",
    sse({"type": "error", "sequence_number": 2,
         "error": {"type": "too_many_requests", "code": "too_many_requests",
                   "message": "Too Many Requests", "param": None}}),
    [], [], False, err("Too Many Requests", "too_many_requests", "too_many_requests"))
_re = _Seq()
vec(F, "responses-error-mid-stream-code-null",
    "An error event with a null code after some text: deltas kept, the type falls back to 'error', not done.",
    named(_re("response.created", response=r_response("in_progress")),
          _re("response.output_text.delta", item_id="msg_01", output_index=0, content_index=0, delta="x"),
          _re("error", code=None, message="An error occurred while processing your request.", param=None)),
    [(0, "x")], [], False, err("An error occurred while processing your request.", "error"))
vec(F, "responses-cut-before-completed",
    "A stream cut after the text but before response.completed: deltas only, no Final, not done.",
    named(*r_text_stream("Hi", "!", end=None)),
    [(0, "Hi"), (0, "!")], [], False)
_rr = _Seq()
vec(F, "responses-reasoning-delta-and-tool-events",
    "A reasoning summary delta gives a Delta of reasoning (content null), function-call argument events give no Delta; only output_text deltas are text.",
    named(_rr("response.created", response=r_response("in_progress")),
          _rr("response.reasoning_summary_text.delta", item_id="rs_01", output_index=0, summary_index=0,
              delta="Thinking about it"),
          _rr("response.function_call_arguments.delta", item_id="fc_01", output_index=1, delta="{\"a\":1}"),
          _rr("response.output_text.delta", item_id="msg_01", output_index=2, content_index=0, delta="Done."),
          _rr("response.completed", response=r_response("completed", [
              {"id": "rs_01", "type": "reasoning", "summary": [
                  {"type": "summary_text", "text": "Thinking about it"}]},
              {"id": "fc_01", "type": "function_call", "call_id": "call_1", "name": "f",
               "arguments": "{\"a\":1}", "status": "completed"},
              r_message("Done.")], R_USAGE))),
    [(0, None, "Thinking about it", None), (0, "Done.")],
    [final(0, "Done.", "completed", R_USAGE, reasoning="Thinking about it")], True)
vec(F, "responses-no-event-lines",
    "The basic stream with data: lines only: the type inside each payload is enough.",
    sse(*R_BASIC),
    [(0, "Hi"), (0, " there"), (0, "!")], [final(0, "Hi there!", "completed", R_USAGE)], True)
vec(F, "responses-after-completed-ignored",
    "Everything after response.completed is ignored, including an error event.",
    named(*r_text_stream("ok"), {"type": "error", "code": "late", "message": "late", "sequence_number": 99}),
    [(0, "ok")], [final(0, "ok", "completed", R_USAGE)], True)

# =====================================================================
# ollama.json: Ollama /api/chat and /api/generate (newline-delimited JSON)
# =====================================================================
F = "ollama"

O_STATS = {"total_duration": 4883583458, "load_duration": 1334875, "prompt_eval_count": 26,
           "prompt_eval_duration": 342546000, "eval_count": 282, "eval_duration": 4535599000}


def o_chat(content, done=False, reason=None, **message_extra):
    value = {"model": "llama3.2", "created_at": "2024-07-22T20:33:28.123648Z",
             "message": {"role": "assistant", "content": content, **message_extra}, "done": done}
    if done:
        value["done_reason"] = reason
        value.update(O_STATS)
    return value


def o_gen(response, done=False, reason=None):
    value = {"model": "llama3.2", "created_at": "2023-08-04T19:22:45.499127Z",
             "response": response, "done": done}
    if done:
        value["done_reason"] = reason
        value["context"] = [1, 2, 3]
        value.update(O_STATS)
    return value


def ndjson(*payloads, eol="\n"):
    return "".join((p if isinstance(p, str) else j(p)) + eol for p in payloads).encode("utf-8")


O_BASIC = [o_chat("The"), o_chat(" sky"), o_chat(" is blue."), o_chat("", True, "stop")]

vec(F, "ollama-chat-basic",
    "An /api/chat stream with dialect auto: the first byte is '{', so newline-delimited JSON; the done line gives Final (usage null) and Done.",
    ndjson(*O_BASIC),
    [(0, "The"), (0, " sky"), (0, " is blue."), (0, "")], [final(0, "The sky is blue.", "stop")], True)
vec(F, "ollama-chat-explicit-dialect",
    "The same stream decoded with dialect ollama.",
    ndjson(*O_BASIC),
    [(0, "The"), (0, " sky"), (0, " is blue."), (0, "")], [final(0, "The sky is blue.", "stop")], True,
    dialect="ollama")
vec(F, "ollama-generate",
    "An /api/generate stream: the text is in 'response'; done_reason length.",
    ndjson(o_gen("Why"), o_gen(" not"), o_gen("?"), o_gen("", True, "length")),
    [(0, "Why"), (0, " not"), (0, "?"), (0, "")], [final(0, "Why not?", "length")], True)
vec(F, "ollama-error-first",
    "An error line as the very first line: StreamError with type 'error' (Ollama gives none).",
    ndjson({"error": "model \"llama9\" not found, try pulling it first"}),
    [], [], False, err("model \"llama9\" not found, try pulling it first", "error"))
vec(F, "ollama-error-mid-stream",
    "An error line after some text: deltas kept, then the StreamError; later lines ignored, not done.",
    ndjson(o_chat("Hel"), {"error": "an error was encountered while running the model"}, o_chat("lo", True, "stop")),
    [(0, "Hel")], [], False, err("an error was encountered while running the model", "error"))
vec(F, "ollama-last-line-without-newline",
    "The done line has no line break at the end of the stream: it is complete JSON, so it is used; done.",
    ndjson(o_chat("Hi")) + j(o_chat("", True, "stop")).encode(),
    [(0, "Hi"), (0, "")], [final(0, "Hi", "stop")], True)
vec(F, "ollama-cut-mid-line",
    "A stream cut inside the done line: the partial line is dropped; no Final, not done.",
    ndjson(o_chat("Hi")) + j(o_chat("", True, "stop")).encode()[:40],
    [(0, "Hi")], [], False)
vec(F, "ollama-crlf-and-blank-lines",
    "CRLF line ends and blank lines (empty, and spaces only) between the JSON lines are ignored.",
    ndjson(o_chat("a"), "", "  ", o_chat("b"), "", o_chat("", True, "stop"), eol="\r\n"),
    [(0, "a"), (0, "b"), (0, "")], [final(0, "ab", "stop")], True)
vec(F, "ollama-leading-blank-lines-and-bom",
    "A BOM and blank lines before the first '{': still newline-delimited JSON with dialect auto.",
    b"\xef\xbb\xbf\n \n\t\n" + ndjson(o_chat("x"), o_chat("", True, "stop")),
    [(0, "x"), (0, "")], [final(0, "x", "stop")], True)
vec(F, "ollama-malformed-line",
    "A line that is not JSON raises RemoteProtocolError.",
    ndjson(o_chat("a"), "this is not json", o_chat("", True, "stop")),
    [], [], False, raises="RemoteProtocolError")
vec(F, "ollama-after-done-ignored",
    "Lines after the done line are ignored, even text that is not JSON.",
    ndjson(o_chat("a", True, "stop"), o_chat("b"), "garbage"),
    [(0, "a")], [final(0, "a", "stop")], True)
vec(F, "ollama-tool-calls-and-thinking",
    "A thinking field (reasoning) and a tool call are not visible text: those Deltas carry content \"\"; finish_reason stop.",
    ndjson(o_chat("", thinking="Need the weather."),
           o_chat("", tool_calls=[{"function": {"name": "get_weather", "arguments": {"city": "Tokyo"}}}]),
           o_chat("", True, "stop")),
    [(0, "", "Need the weather.", None), (0, ""), (0, "")],
    [final(0, "", "stop", reasoning="Need the weather.")], True)
vec(F, "ollama-done-line-without-message",
    "A done line without a message (older servers): no Delta for it, but the Final and Done.",
    ndjson(o_chat("ok"), {"model": "llama3.2", "created_at": "2024-01-01T00:00:00Z", "done": True,
                          "done_reason": "stop", **O_STATS}),
    [(0, "ok")], [final(0, "ok", "stop")], True)
vec(F, "ollama-payloads-framed-as-sse",
    "Ollama payloads sent as SSE data: lines: dialect auto reads SSE and picks ollama from message plus done.",
    sse(*O_BASIC),
    [(0, "The"), (0, " sky"), (0, " is blue."), (0, "")], [final(0, "The sky is blue.", "stop")], True)


# =====================================================================
# gemini.json: streamGenerateContent?alt=sse
# =====================================================================
F = "gemini"

G_USAGE_1 = {"promptTokenCount": 8, "totalTokenCount": 8}
G_USAGE_2 = {"promptTokenCount": 8, "candidatesTokenCount": 6, "totalTokenCount": 14}


def g_sse(*responses, eol="\r\n"):
    """Google's framing: ``data: `` + JSON (with spaces, as Google writes it), CRLF CRLF."""
    return "".join(f"data: {json.dumps(r, ensure_ascii=False)}{eol}{eol}"
                   for r in responses).encode("utf-8")


def g_resp(*parts, reason=None, usage=G_USAGE_1, index=0, extra=None):
    candidate = {"content": {"parts": list(parts), "role": "model"}}
    if reason is not None:
        candidate["finishReason"] = reason
    if index is not None:
        candidate["index"] = index
    value = {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "gemini-2.0-flash"}
    value.update(extra or {})
    return value


def text(t, thought=False):
    return {"text": t, "thought": True} if thought else {"text": t}


G_BASIC = [g_resp(text("The sky")), g_resp(text(" is blue.")),
           g_resp(text(""), reason="STOP", usage=G_USAGE_2, extra={"responseId": "r1"})]
G_ERROR = {"error": {"code": 503, "message": "The model is overloaded. Please try again later.",
                     "status": "UNAVAILABLE"}}

vec(F, "gemini-text-basic",
    "Three responses framed with CRLF CRLF; the last has finishReason STOP and the full usageMetadata; Final and Done at the end of the stream.",
    g_sse(*G_BASIC),
    [(0, "The sky"), (0, " is blue."), (0, "")], [final(0, "The sky is blue.", "stop", G_USAGE_2)], True)
vec(F, "gemini-explicit-dialect",
    "The same stream with dialect gemini.",
    g_sse(*G_BASIC),
    [(0, "The sky"), (0, " is blue."), (0, "")], [final(0, "The sky is blue.", "stop", G_USAGE_2)], True,
    dialect="gemini")
vec(F, "gemini-lf-framing",
    "The same responses framed with LF only (a proxy rewrote the line ends).",
    g_sse(*G_BASIC, eol="\n"),
    [(0, "The sky"), (0, " is blue."), (0, "")], [final(0, "The sky is blue.", "stop", G_USAGE_2)], True)
vec(F, "gemini-thoughts-are-reasoning",
    "Thought-summary parts (thought: true) are reasoning, not content; a response may hold both kinds.",
    g_sse(g_resp(text("**Adding** two numbers", True)),
          g_resp(text(" first.", True), text("2 + 2")),
          g_resp(text(" = 4"), {"thoughtSignature": "CiQBVKhc"}, reason="STOP", usage=G_USAGE_2)),
    [(0, None, "**Adding** two numbers", None), (0, "2 + 2", " first.", None), (0, " = 4")],
    [final(0, "2 + 2 = 4", "stop", G_USAGE_2, reasoning="**Adding** two numbers first.")], True)
vec(F, "gemini-function-call",
    "A whole functionCall part: the Delta has no content and the Final has the call, arguments as JSON text; finishReason is STOP.",
    g_sse(g_resp({"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                 reason="STOP", usage=G_USAGE_2)),
    [(0, None)], [final(0, "", "stop", G_USAGE_2)], True)
vec(F, "gemini-two-candidates",
    "candidateCount 2: the first candidate omits its index (proto3 default 0), the second says 1; one Final each, ordered by index.",
    g_sse({"candidates": [{"content": {"parts": [text("Red")], "role": "model"}},
                          {"content": {"parts": [text("Blue")], "role": "model"}, "index": 1}]},
          {"candidates": [{"content": {"parts": [text(".")], "role": "model"}, "finishReason": "STOP"},
                          {"content": {"parts": [text("!")], "role": "model"}, "finishReason": "MAX_TOKENS",
                           "index": 1}],
           "usageMetadata": G_USAGE_2}),
    [(0, "Red"), (1, "Blue"), (0, "."), (1, "!")],
    [final(0, "Red.", "stop", G_USAGE_2), final(1, "Blue!", "length", G_USAGE_2)], True)
vec(F, "gemini-max-tokens",
    "finishReason MAX_TOKENS is length in OpenAI's words.",
    g_sse(g_resp(text("Once upon a")), g_resp(text(" time"), reason="MAX_TOKENS", usage=G_USAGE_2)),
    [(0, "Once upon a"), (0, " time")], [final(0, "Once upon a time", "length", G_USAGE_2)], True)
vec(F, "gemini-safety-then-usage-only",
    "finishReason SAFETY (content_filter) on a candidate without content, then a response with usageMetadata only: its usage is the last one.",
    g_sse(g_resp(text("Here is")),
          {"candidates": [{"finishReason": "SAFETY", "index": 0,
                           "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT",
                                              "probability": "HIGH", "blocked": True}]}],
           "usageMetadata": G_USAGE_1},
          {"usageMetadata": G_USAGE_2, "modelVersion": "gemini-2.0-flash"}),
    [(0, "Here is"), (0, None)], [final(0, "Here is", "content_filter", G_USAGE_2)], True)
vec(F, "gemini-other-reason-lower-cased",
    "A finish reason without an OpenAI name is lower-cased (MALFORMED_FUNCTION_CALL).",
    g_sse(g_resp(reason="MALFORMED_FUNCTION_CALL", usage=G_USAGE_2)),
    [(0, None)], [final(0, "", "malformed_function_call", G_USAGE_2)], True)
vec(F, "gemini-blocked-prompt",
    "The prompt itself was blocked: promptFeedback.blockReason and no candidates; candidate 0 ends with content_filter and no text.",
    g_sse({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": G_USAGE_1,
           "modelVersion": "gemini-2.0-flash"}),
    [], [final(0, "", "content_filter", G_USAGE_1)], True)
vec(F, "gemini-error-first",
    "An error object as the only event, with dialect auto: a StreamError typed by error.status, code error.code.",
    g_sse(G_ERROR), [], [], False, err("The model is overloaded. Please try again later.", "UNAVAILABLE", 503))
vec(F, "gemini-error-mid-stream",
    "An error after some text: the deltas stay, then the StreamError; what follows is ignored; not done.",
    g_sse(g_resp(text("Par")), G_ERROR, g_resp(text("is"), reason="STOP")),
    [(0, "Par")], [], False, err("The model is overloaded. Please try again later.", "UNAVAILABLE", 503))
vec(F, "gemini-cut-before-finish",
    "The stream ends before any finishReason: Deltas only, no Final, not done.",
    g_sse(g_resp(text("The sky")), g_resp(text(" is"))),
    [(0, "The sky"), (0, " is")], [], False)
vec(F, "gemini-cut-inside-last-event",
    "The stream is cut inside the JSON of the response that carried finishReason: that event is lost, so no Final.",
    g_sse(g_resp(text("The sky"))) + g_sse(g_resp(text("!"), reason="STOP"))[:40],
    [(0, "The sky")], [], False)


# =====================================================================
# bedrock.json: AWS event-stream (ConverseStream, InvokeModelWithResponseStream)
# =====================================================================
F = "bedrock"


def es_header(name, value):
    """One header as a string (type 7): name length, name, type, u16 length, value."""
    raw_name, raw = name.encode(), value.encode()
    return bytes([len(raw_name)]) + raw_name + b"\x07" + struct.pack("!H", len(raw)) + raw


def es_message(headers, payload):
    """One event-stream message: prelude, prelude CRC32, headers, payload, message CRC32."""
    head = b"".join(es_header(k, v) for k, v in headers)
    prelude = struct.pack("!II", 16 + len(head) + len(payload), len(head))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    body = prelude + head + payload
    return body + struct.pack("!I", zlib.crc32(body))


def ev(event_type, payload, pad="abcdefghijklmnop"):
    """A Bedrock event: the three string headers and a JSON payload with its ``p`` padding."""
    value = dict(payload)
    if pad:
        value["p"] = pad
    return es_message([(":event-type", event_type), (":content-type", "application/json"),
                       (":message-type", "event")], j(value).encode())


def exc(exception_type, payload):
    return es_message([(":exception-type", exception_type), (":content-type", "application/json"),
                       (":message-type", "exception")], j(payload).encode())


def delta(text_=None, reasoning=None, tool_input=None, index=0):
    if text_ is not None:
        d = {"text": text_}
    elif reasoning is not None:
        d = {"reasoningContent": {"text": reasoning}}
    else:
        d = {"toolUse": {"input": tool_input}}
    return ev("contentBlockDelta", {"contentBlockIndex": index, "delta": d}, pad="ab")


B_USAGE = {"inputTokens": 9, "outputTokens": 5, "totalTokens": 14}
B_START = ev("messageStart", {"role": "assistant"}, pad="abcd")
B_STOP = ev("messageStop", {"stopReason": "end_turn"})
B_META = ev("metadata", {"usage": B_USAGE, "metrics": {"latencyMs": 412}}, pad="abc")
B_TEXT = [B_START, delta("Hello"), delta(" from"), delta(" Bedrock."),
          ev("contentBlockStop", {"contentBlockIndex": 0}), B_STOP, B_META]
THROTTLED = "Too many requests, please wait before trying again."

vec(F, "bedrock-converse-text",
    "ConverseStream text: messageStart, three text deltas, contentBlockStop, messageStop, metadata (usage); auto reads the first byte 0x00 as an event stream.",
    b"".join(B_TEXT),
    [(0, "Hello"), (0, " from"), (0, " Bedrock.")], [final(0, "Hello from Bedrock.", "end_turn", B_USAGE)], True)
vec(F, "bedrock-converse-explicit-dialect",
    "The same stream with dialect bedrock.",
    b"".join(B_TEXT),
    [(0, "Hello"), (0, " from"), (0, " Bedrock.")], [final(0, "Hello from Bedrock.", "end_turn", B_USAGE)], True,
    dialect="bedrock")
vec(F, "bedrock-converse-reasoning",
    "reasoningContent deltas (text, then a signature) are reasoning; the text block that follows is the content.",
    b"".join([B_START, delta(reasoning="The user greets me."), delta(reasoning=" Reply briefly."),
              ev("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "EqoBCkgIBhAB"}}}),
              ev("contentBlockStop", {"contentBlockIndex": 0}),
              delta("Hi!", index=1), ev("contentBlockStop", {"contentBlockIndex": 1}), B_STOP, B_META]),
    [(0, None, "The user greets me.", None), (0, None, " Reply briefly.", None), (0, None), (0, "Hi!")],
    [final(0, "Hi!", "end_turn", B_USAGE, reasoning="The user greets me. Reply briefly.")], True)
vec(F, "bedrock-converse-tool-use",
    "A text block, then a toolUse block whose input arrives in pieces: those Deltas have no content; stopReason tool_use.",
    b"".join([B_START, delta("Let me look that up."), ev("contentBlockStop", {"contentBlockIndex": 0}),
              ev("contentBlockStart", {"contentBlockIndex": 1,
                                       "start": {"toolUse": {"toolUseId": "tooluse_kZJMlvQm", "name": "top_song"}}}),
              delta(tool_input="{\"sign\": \"WZ", index=1), delta(tool_input="PZ\"}", index=1),
              ev("contentBlockStop", {"contentBlockIndex": 1}),
              ev("messageStop", {"stopReason": "tool_use"}), B_META]),
    [(0, "Let me look that up."), (0, None), (0, None)],
    [final(0, "Let me look that up.", "tool_use", B_USAGE)], True)
vec(F, "bedrock-converse-no-metadata",
    "The body ends after messageStop without a metadata event: the Final (no usage) and Done come at the end of the stream.",
    b"".join(B_TEXT[:-1]),
    [(0, "Hello"), (0, " from"), (0, " Bedrock.")], [final(0, "Hello from Bedrock.", "end_turn")], True)
vec(F, "bedrock-converse-cut-before-stop",
    "The body ends between two messages, before messageStop: Deltas only, no Final, not done.",
    b"".join(B_TEXT[:3]),
    [(0, "Hello"), (0, " from")], [], False)
vec(F, "bedrock-converse-cut-inside-a-message",
    "The body ends 10 bytes into a message: a length beyond the data is an IncompleteStream (a RemoteProtocolError).",
    b"".join(B_TEXT[:3]) + B_TEXT[3][:10],
    [], [], False, raises="IncompleteStream")
vec(F, "bedrock-converse-after-metadata-ignored",
    "Everything after the metadata event (the end) is ignored, even an exception.",
    b"".join(B_TEXT) + exc("throttlingException", {"message": THROTTLED}),
    [(0, "Hello"), (0, " from"), (0, " Bedrock.")], [final(0, "Hello from Bedrock.", "end_turn", B_USAGE)], True)
vec(F, "bedrock-exception-first",
    "A throttlingException message as the first message: a StreamError typed by :exception-type with the payload's message.",
    exc("throttlingException", {"message": THROTTLED}),
    [], [], False, err(THROTTLED, "throttlingException"))
vec(F, "bedrock-exception-mid-stream",
    "A modelStreamErrorException after some text: the deltas stay, then the StreamError; not done.",
    b"".join(B_TEXT[:3]) + exc("modelStreamErrorException", {
        "message": "Model stream error", "originalStatusCode": 500,
        "originalMessage": "Internal error"}) + b"".join(B_TEXT[3:]),
    [(0, "Hello"), (0, " from")], [], False, err("Model stream error", "modelStreamErrorException"))
vec(F, "bedrock-bad-message-crc",
    "A message whose payload was altered after its CRC was computed: RemoteProtocolError.",
    B_TEXT[0] + B_TEXT[1][:-8] + b"X" + B_TEXT[1][-7:],
    [], [], False, raises="RemoteProtocolError")
vec(F, "bedrock-bad-prelude-crc",
    "A message whose total length was altered (its prelude CRC no longer matches): RemoteProtocolError.",
    B_TEXT[0] + b"\x00\x00\x01" + B_TEXT[1][3:],
    [], [], False, raises="RemoteProtocolError")
vec(F, "bedrock-payload-not-json",
    "An event whose payload is not JSON: RemoteProtocolError.",
    B_START + es_message([(":event-type", "contentBlockDelta"), (":message-type", "event")], b"{not json"),
    [], [], False, raises="RemoteProtocolError")

CLAUDE = [
    {"type": "message_start", "message": {"id": "msg_bdrk_01", "type": "message", "role": "assistant",
                                          "model": "claude-3-haiku-20240307", "content": [],
                                          "stop_reason": None, "usage": {"input_tokens": 14, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
     "usage": {"output_tokens": 5}},
    {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
        "inputTokenCount": 14, "outputTokenCount": 5, "invocationLatency": 380, "firstByteLatency": 290}},
]


def invoke_chunk(value):
    """An InvokeModelWithResponseStream ``chunk``: the model's JSON, base64, in ``bytes``."""
    return ev("chunk", {"bytes": base64.b64encode(j(value).encode()).decode()}, pad="abcdefgh")


vec(F, "bedrock-invoke-anthropic",
    "InvokeModelWithResponseStream with a Claude model: each chunk's base64 bytes is an Anthropic Messages event, decoded by the anthropic rules (usage merged).",
    b"".join(invoke_chunk(v) for v in CLAUDE),
    [(0, "Hello"), (0, "!")], [final(0, "Hello!", "end_turn", {"input_tokens": 14, "output_tokens": 5})], True)
vec(F, "bedrock-invoke-nova",
    "InvokeModelWithResponseStream with Amazon Nova: each chunk holds one ConverseStream event keyed by its name.",
    b"".join(invoke_chunk(v) for v in [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"delta": {"text": "Hi"}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"text": " there"}, "contentBlockIndex": 0}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {"metadata": {"usage": {"inputTokens": 3, "outputTokens": 2}}}]),
    [(0, "Hi"), (0, " there")], [final(0, "Hi there", "end_turn", {"inputTokens": 3, "outputTokens": 2})], True)
METRICS = {"inputTokenCount": 5, "outputTokenCount": 3, "invocationLatency": 310, "firstByteLatency": 200}
vec(F, "bedrock-invoke-titan",
    "InvokeModelWithResponseStream with Amazon Titan Text: outputText pieces, completionReason (lower-cased) and the invocation metrics (the usage) on the last chunk; Final and Done at the end of the body.",
    b"".join(invoke_chunk(v) for v in [
        {"outputText": "Hello", "index": 0, "totalOutputTextTokenCount": None, "completionReason": None,
         "inputTextTokenCount": 5},
        {"outputText": " world", "index": 0, "totalOutputTextTokenCount": 3, "completionReason": "FINISH",
         "inputTextTokenCount": None, "amazon-bedrock-invocationMetrics": METRICS}]),
    [(0, "Hello"), (0, " world")], [final(0, "Hello world", "finish", METRICS)], True)
vec(F, "bedrock-invoke-llama",
    "InvokeModelWithResponseStream with Meta Llama: generation pieces, stop_reason on the last chunk.",
    b"".join(invoke_chunk(v) for v in [
        {"generation": "Hi", "prompt_token_count": 5, "generation_token_count": 1, "stop_reason": None},
        {"generation": "!", "prompt_token_count": None, "generation_token_count": 2, "stop_reason": None},
        {"generation": "", "prompt_token_count": None, "generation_token_count": 3, "stop_reason": "stop",
         "amazon-bedrock-invocationMetrics": METRICS}]),
    [(0, "Hi"), (0, "!"), (0, "")], [final(0, "Hi!", "stop", METRICS)], True)
vec(F, "bedrock-invoke-mistral",
    "InvokeModelWithResponseStream with a Mistral model: outputs[0].text pieces and outputs[0].stop_reason; cut before any stop reason, so no Final.",
    b"".join(invoke_chunk(v) for v in [{"outputs": [{"text": "Bon", "stop_reason": None}]},
                                {"outputs": [{"text": "jour", "stop_reason": None}]}]),
    [(0, "Bon"), (0, "jour")], [], False)
vec(F, "bedrock-invoke-bad-base64",
    "A chunk whose bytes is not base64 of JSON: RemoteProtocolError.",
    ev("chunk", {"bytes": "not base64!"}),
    [], [], False, raises="RemoteProtocolError")


# =====================================================================
if __name__ == "__main__":
    sys.exit(write_vectors(Path(HERE), FILES))
