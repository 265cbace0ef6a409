#!/usr/bin/env python3
"""Generate gemini.json and bedrock.json, the chat vectors of the two non-OpenAI-shaped APIs.

Same format and rules as ``_make_vectors.py`` (whose helpers this imports):
inputs built from readable Python, expected events typed BY HAND from
spec/dialects/gemini.md and spec/dialects/bedrock.md.  No sseproto code is
imported or run: the AWS event-stream bytes are built here with ``struct``
and ``zlib`` from the published framing (prelude, headers, payload, two
CRC32s), and tests/test_bedrock.py checks every bedrock input against
botocore's own event-stream parser.

Run:  python3 spec/vectors/chat/_make_provider_vectors.py
"""

import base64
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _make_vectors as base  # noqa: E402  (its vectors register, but are not written here)

final, err, vec, j = base.final, base.err, base.vec, base.j
OWN = ("gemini", "bedrock")


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


def chunk(value):
    """An InvokeModelWithResponseStream ``chunk``: the model's JSON, base64, in ``bytes``."""
    return ev("chunk", {"bytes": base64.b64encode(j(value).encode()).decode()}, pad="abcdefgh")


vec(F, "bedrock-invoke-anthropic",
    "InvokeModelWithResponseStream with a Claude model: each chunk's base64 bytes is an Anthropic Messages event, decoded by the anthropic rules (usage merged).",
    b"".join(chunk(v) for v in CLAUDE),
    [(0, "Hello"), (0, "!")], [final(0, "Hello!", "end_turn", {"input_tokens": 14, "output_tokens": 5})], True)
vec(F, "bedrock-invoke-nova",
    "InvokeModelWithResponseStream with Amazon Nova: each chunk holds one ConverseStream event keyed by its name.",
    b"".join(chunk(v) for v in [
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
    b"".join(chunk(v) for v in [
        {"outputText": "Hello", "index": 0, "totalOutputTextTokenCount": None, "completionReason": None,
         "inputTextTokenCount": 5},
        {"outputText": " world", "index": 0, "totalOutputTextTokenCount": 3, "completionReason": "FINISH",
         "inputTextTokenCount": None, "amazon-bedrock-invocationMetrics": METRICS}]),
    [(0, "Hello"), (0, " world")], [final(0, "Hello world", "finish", METRICS)], True)
vec(F, "bedrock-invoke-llama",
    "InvokeModelWithResponseStream with Meta Llama: generation pieces, stop_reason on the last chunk.",
    b"".join(chunk(v) for v in [
        {"generation": "Hi", "prompt_token_count": 5, "generation_token_count": 1, "stop_reason": None},
        {"generation": "!", "prompt_token_count": None, "generation_token_count": 2, "stop_reason": None},
        {"generation": "", "prompt_token_count": None, "generation_token_count": 3, "stop_reason": "stop",
         "amazon-bedrock-invocationMetrics": METRICS}]),
    [(0, "Hi"), (0, "!"), (0, "")], [final(0, "Hi!", "stop", METRICS)], True)
vec(F, "bedrock-invoke-mistral",
    "InvokeModelWithResponseStream with a Mistral model: outputs[0].text pieces and outputs[0].stop_reason; cut before any stop reason, so no Final.",
    b"".join(chunk(v) for v in [{"outputs": [{"text": "Bon", "stop_reason": None}]},
                                {"outputs": [{"text": "jour", "stop_reason": None}]}]),
    [(0, "Bon"), (0, "jour")], [], False)
vec(F, "bedrock-invoke-bad-base64",
    "A chunk whose bytes is not base64 of JSON: RemoteProtocolError.",
    ev("chunk", {"bytes": "not base64!"}),
    [], [], False, raises="RemoteProtocolError")


def main():
    base.FILES = {stem: base.FILES[stem] for stem in OWN}
    base.main()


if __name__ == "__main__":
    main()
