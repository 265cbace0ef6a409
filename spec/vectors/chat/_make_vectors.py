#!/usr/bin/env python3
"""Generate the chat-stream conformance vectors in this directory.

Every input is built here from readable Python: JSON chunks written with
``json.dumps(..., separators=(",", ":"))`` and then framed (conforming SSE,
the Prediction Guard pretty-printed form, CRLF, ...).  The expected deltas,
finals, done flag, error and exception are typed BY HAND from the rules in
/work/shared/DESIGN.md ("Chat event rules", "Recovery framing", "Dialect
rules") and spec/dialects/*.md.  No sseproto code is imported or run.

Vector keys (every file is a JSON array of these objects):

- name, description: unique kebab-case name, one sentence.
- dialect: what to pass as ChatStreamDecoder(dialect=...).
- input_hex: the raw stream bytes, lowercase hex.
- deltas: every Delta in order, as [index, content] (content may be null or "").
- finals: every Final in order, as {index, generated_text, finish_reason, usage}.
- done: ChatStreamDecoder.done after close().
- error: {message, type, code} of the StreamError, or null.
- raises: null, or the class name of the ProtocolError that feeding or
  closing must raise ("RemoteProtocolError", "LimitExceeded"); then deltas
  and finals are [] and done is false (they describe nothing).

Run:  python3 spec/vectors/chat/_make_vectors.py
It rewrites the *.json files next to this script (indent=1, ASCII only).
"""

import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FILES = {}  # file stem -> list of vectors
MISSING = object()


# ---------------------------------------------------------------------------
# helpers: building inputs
# ---------------------------------------------------------------------------

def j(value, ascii_only=False):
    """Compact JSON, as most servers write it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_only)


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


def sse(*payloads, eol="\n", name="data: "):
    """Conforming SSE: one ``data:`` line and a blank line per payload (dict or text)."""
    out = []
    for payload in payloads:
        text = payload if isinstance(payload, str) else j(payload)
        out.append(f"{name}{text}{eol}{eol}")
    return "".join(out).encode("utf-8")


def single_lines(*payloads):
    """The non-conforming single-line form: ``data:`` lines with no blank line between."""
    return "".join(f"data: {p if isinstance(p, str) else j(p)}\n" for p in payloads).encode()


def render(value, step=""):
    """Pretty-print JSON the way Prediction Guard does (see the seed): one
    member per line, ``"key":`` glued to the value, brackets on their own lines."""
    if isinstance(value, dict | list):
        items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
        opener, closer = ("{", "}") if isinstance(value, dict) else ("[", "]")
        lines = [opener]
        for number, (key, item) in enumerate(items):
            sub = render(item, step)
            if key is not None:
                sub[0] = json.dumps(key, ensure_ascii=False) + ":" + sub[0]
            if number < len(items) - 1:
                sub[-1] += ","
            lines += [step + line for line in sub]
        lines.append(closer)
        return lines
    return [json.dumps(value, ensure_ascii=False)]


def pg(value, step="", eol="\n", blank=False):
    """One Prediction Guard frame: ``data: `` on the first line only."""
    lines = render(value, step)
    text = "data: " + eol.join(lines) + eol
    return text + eol if blank else text


# ---------------------------------------------------------------------------
# helpers: expected values (typed by hand at each call)
# ---------------------------------------------------------------------------

def final(index, text, reason, usage=None):
    return {"index": index, "generated_text": text, "finish_reason": reason, "usage": usage}


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
# seed.json: the Prediction Guard stream from the seed document
# =====================================================================
F = "seed"

with open(os.path.join(ROOT, "samples", "prediction-guard.sse"), "rb") as fh:
    SEED = fh.read()
SEED_DOC = "/work/shared/seed/prediction-guard-streaming-chat.md"
if os.path.exists(SEED_DOC):  # the seed document lives outside the repository
    with open(SEED_DOC, "rb") as fh:
        _doc = fh.read()
    # The sample is the bytes between the first "data: {" and the text "This approach".
    assert _doc[_doc.index(b"data: {") : _doc.index(b"This approach")] == SEED

# The two JSON chunks of the seed, to re-frame them (CRLF, blank lines, indentation).
_parts = SEED.decode().split("data: ")
assert _parts[0] == "" and _parts[3] == "[DONE]\n\n" and len(_parts) == 4
SEED1, SEED2 = json.loads(_parts[1]), json.loads(_parts[2])
# The pretty-printer above reproduces the seed's frames byte for byte.
assert pg(SEED1) + pg(SEED2) + "data: [DONE]\n\n" == SEED.decode()

SEED_TEXT = (
    "Thanks, I try to keep things interesting. Now, if you want something more serious,"
    " how about a weather update or a joke? Your choice!\n\nWeather: Sunny with a slight"
    " chance of humor.\nJoke: A man walks into a bar and says, \"I'll have a beer, and tell"
    " me a joke about time.\" The bartender replies, \"Time to go, you're two minutes past"
    " last call!\""
)
SEED_DELTAS = [(0, " past"), (0, None)]
SEED_FINALS = [final(0, SEED_TEXT, STOP)]

vec(F, "seed-verbatim",
    "The seed's Prediction Guard stream verbatim: pretty-printed JSON, only the first line prefixed, no blank lines.",
    SEED, SEED_DELTAS, SEED_FINALS, True)
vec(F, "seed-dialect-predictionguard",
    "The seed stream with the predictionguard dialect alias.",
    SEED, SEED_DELTAS, SEED_FINALS, True, dialect="predictionguard")
vec(F, "seed-dialect-openai",
    "The seed stream with the openai dialect, which honours generated_text.",
    SEED, SEED_DELTAS, SEED_FINALS, True, dialect="openai")
vec(F, "seed-crlf",
    "The seed stream with every LF replaced by CRLF.",
    SEED.replace(b"\n", b"\r\n"), SEED_DELTAS, SEED_FINALS, True)
vec(F, "seed-blank-lines",
    "The seed's pretty-printed frames each followed by a blank line.",
    (pg(SEED1, blank=True) + pg(SEED2, blank=True) + "data: [DONE]\n\n").encode(),
    SEED_DELTAS, SEED_FINALS, True)
vec(F, "seed-crlf-blank-lines",
    "The seed's pretty-printed frames with CRLF line ends and a blank line after each.",
    (pg(SEED1, eol="\r\n", blank=True) + pg(SEED2, eol="\r\n", blank=True)
     + "data: [DONE]\r\n\r\n").encode(),
    SEED_DELTAS, SEED_FINALS, True)
vec(F, "seed-two-space-indent",
    "The seed's frames indented by two spaces per nesting level.",
    (pg(SEED1, step="  ") + pg(SEED2, step="  ") + "data: [DONE]\n\n").encode(),
    SEED_DELTAS, SEED_FINALS, True)
vec(F, "seed-cr-only",
    "The seed stream with every LF replaced by a lone CR.",
    SEED.replace(b"\n", b"\r"), SEED_DELTAS, SEED_FINALS, True)
vec(F, "seed-without-done",
    "The seed without its [DONE] line: the finish_reason was seen, so close() emits the Final, but the stream is not done.",
    (pg(SEED1) + pg(SEED2)).encode(), SEED_DELTAS, SEED_FINALS, False)
vec(F, "seed-cut-inside-second-frame",
    "The seed cut inside its second pretty-printed frame: the partial frame is dropped, no Final, not done.",
    SEED[: SEED.index(b'"generated_text":"Thanks')], [(0, " past")], [], False)

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
def main():
    names = set()
    total = 0
    for stem, vectors in FILES.items():
        for v in vectors:
            assert v["name"] not in names, v["name"]
            names.add(v["name"])
        path = os.path.join(HERE, stem + ".json")
        with open(path, "w", encoding="ascii") as fh:
            json.dump(vectors, fh, indent=1, ensure_ascii=True)
            fh.write("\n")
        total += len(vectors)
        print(f"{stem}.json: {len(vectors)}")
    print(f"total: {total}")


if __name__ == "__main__":
    main()
