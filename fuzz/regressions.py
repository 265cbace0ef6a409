#!/usr/bin/env python3
"""Regression vectors for the bugs fuzz/run.py found, and a checker for them.

    python fuzz/regressions.py --write   # (re)write spec/vectors/fuzz/*.json
    python fuzz/regressions.py --check   # are the files what --write would write?
    python fuzz/regressions.py           # check every spec/vectors/fuzz/*.json vector

Each vector is ``{"name", "description", "input_hex", "target": "sse"|"chat",
"kwargs"}`` (plus an optional ``"max_seconds"``).  The expected outcome is
always the contract: only ``ProtocolError`` escapes, and feeding the input
whole and one byte at a time gives the same outcome (tests/support/outcome.py:
the events delivered, the error class and ``.offset``, the final state).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "spec" / "vectors" / "fuzz"
sys.path.insert(0, str(HERE))

import harness  # noqa: E402  (fuzz/harness.py)

from tests.support.vectors import write_vectors  # noqa: E402

#: Total JSON nesting of the deep vectors: orjson accepts up to 1024 levels, and
#: the default recursion limit (1000) is below that.
DEPTH = 1020


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def vector(name: str, description: str, data: bytes, target: str = "chat",
           **extra: Any) -> dict[str, Any]:
    kwargs = extra.pop("kwargs", {})
    return {"name": name, "description": description, "input_hex": data.hex(),
            "target": target, "kwargs": kwargs, **extra}


def all_vectors() -> dict[str, list[dict[str, Any]]]:
    files: dict[str, list[dict[str, Any]]] = {}
    files["quadratic-string-strip"] = [
        vector("escaped-quotes-line",
               "One frame line of 16,000 escaped quotes in an unterminated string: nesting()'s"
               " string regex restarts at every quote and rescans to the end of the line"
               " (quadratic: ~10 s for 32 KB).  Must decode in well under a second.",
               b'data: {"' + b'\\"' * 16000 + b"\n", max_seconds=1.0),
        vector("escaped-quotes-line-skip", "The same with on_malformed='skip'.",
               b'data: {"' + b'\\"' * 16000 + b"\n", kwargs={"on_malformed": "skip"},
               max_seconds=1.0),
        vector("escaped-quotes-continuation",
               "The same quadratic scan on an un-prefixed continuation line of an open frame.",
               b"data: {\n" + b'"' + b'\\"{}' * 8000 + b"\n", max_seconds=1.0),
    ]
    files["unsortable-choice-index"] = [
        vector("choice-index-null-at-done",
               "Choices with index null and 0: sorted(self.result.choices) in _finals raises"
               " TypeError at [DONE].",
               b'data: {"choices":[{"index":null},{"index":0}]}\n\ndata: [DONE]\n\n'),
        vector("choice-index-string-at-done", "Choice indexes 0 and \"1\" (a string), then [DONE].",
               b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
               b'data: {"choices":[{"index":"1","delta":{}}]}\n\ndata: [DONE]\n\n'),
        vector("choice-index-null-at-close",
               "Index null and a finish_reason, no [DONE]: the TypeError comes from close().",
               b'data: {"choices":[{"index":null,"delta":{}}]}\n\n'
               b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'),
        vector("choice-index-null-skip", "The same with on_malformed='skip' (no exception either).",
               b'data: {"choices":[{"index":null},{"index":0}]}\n\ndata: [DONE]\n\n',
               kwargs={"on_malformed": "skip"}),
    ]
    files["unsortable-tool-call-index"] = [
        vector("tool-call-index-mixed-at-done",
               "Tool-call fragments with index 0 and \"x\": sorted(self.tool_calls) in"
               " ChoiceState.final_tool_calls raises TypeError at [DONE].",
               b'data: {"choices":[{"delta":{"tool_calls":[{"index":0},{"index":"x"}]}}]}\n\n'
               b"data: [DONE]\n\n"),
        vector("tool-call-index-null-at-close",
               "Fragments with index null and with no index (keyed len(tool_calls) = 1),"
               " finish_reason set, no [DONE]: TypeError from close().",
               b'data: {"choices":[{"delta":{"tool_calls":[{"index":null},{}]},'
               b'"finish_reason":"tool_calls"}]}\n\n'),
    ]
    inner = deep(DEPTH - 1)
    inner3 = deep(DEPTH - 3)
    files["deep-json-recursion"] = [
        vector("deep-list-frame",
               "A frame that is a JSON array nested 1020 deep: _bad_payload's repr(value)"
               " raises RecursionError.", b"data: " + deep(DEPTH) + b"\n\n"),
        vector("deep-unknown-dialect",
               "An object of no known dialect holding a 1019-deep array: repr(value) in"
               " _bad_payload.", b'data: {"x":' + inner + b"}\n\n"),
        vector("deep-bad-content",
               "OpenAI delta content that is a deep array: the dialect's TypeError is turned into"
               " _bad_payload, whose repr(value) recurses.",
               b'data: {"choices":[{"delta":{"content":' + deep(DEPTH - 4) + b"}}]}\n\n"),
        vector("deep-event-error",
               "event: error with a deep array: error_event's str(value) recurses"
               " (also with on_malformed='skip').",
               b"event: error\ndata: " + deep(DEPTH) + b"\n\n", kwargs={"on_malformed": "skip"}),
        vector("deep-error-value",
               "{\"error\": deep array}: error_event's str(error) recurses.",
               b'data: {"error":' + inner + b"}\n\n", kwargs={"on_malformed": "skip"}),
        vector("deep-error-message",
               "{\"error\": {\"message\": deep array}}: error_event's str(message) recurses.",
               b'data: {"error":{"message":' + deep(DEPTH - 2) + b"}}\n\n"),
        vector("deep-error-type",
               "{\"error\": {\"message\": \"x\", \"type\": deep array}}: str(kind) recurses.",
               b'data: {"error":{"message":"x","type":' + deep(DEPTH - 2) + b"}}\n\n"),
        vector("deep-vllm-error-message",
               "vLLM-style {\"object\": \"error\", \"message\": deep array}.",
               b'data: {"object":"error","message":' + inner + b"}\n\n"),
        vector("deep-tgi-error",
               "TGI dialect, {\"error\": deep array}.",
               b'data: {"token":{},"error":' + inner3 + b"}\n\n",
               kwargs={"dialect": "tgi"}),
    ]
    files["colon-continuation-line"] = [
        vector("colon-line-valid-json",
               "Valid JSON whose second line starts with ':' (key and colon on separate lines)."
               " Whole, the fast path hands the block to orjson and gets a frame; line by line,"
               " _continue() takes ':1}' for an SSE comment and the frame never closes.",
               b'data: {"a"\n:1}\n\n'),
        vector("colon-line-chat-chunk",
               "The same inside a real chunk: whole gives Delta 'x', Final, Done; bytewise"
               " raises RemoteProtocolError at [DONE].",
               b'data: {"choices"\n:[{"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n'),
        vector("colon-line-chat-chunk-skip",
               "The same with on_malformed='skip': bytewise loses the delta.",
               b'data: {"choices":[{"delta":{"content"\n:"x"}}]}\n\ndata: [DONE]\n\n',
               kwargs={"on_malformed": "skip"}),
        vector("colon-line-cr",
               "Found by the fuzzer: CR line end before the ':' line, event: error frame.",
               b'event:error\ndata:{""\r:{"":"\\\\","":5,"":true},"":null,"":null}\n'),
    ]
    files["deep-index-repr"] = [
        vector("deep-choice-index",
               "A choice index that is a 1016-deep array: the TypeError message formats it with"
               " {index!r:.40}, and the full repr recurses before the cut to 40 characters.",
               b'data: {"choices":[{"index":' + deep(DEPTH - 3) + b"}]}\n\n"),
        vector("deep-tool-call-index",
               "The same for a tool-call fragment's index ({number!r:.40} in add_tool_calls).",
               b'data: {"choices":[{"delta":{"tool_calls":[{"index":' + deep(DEPTH - 5)
               + b"}]}}]}\n\n"),
    ]
    deep_type = (b'data:{"type":[{"":7},' + b'{"":' * 994 + b"{}" + b"}" * 994
                 + b',""],"":{"":"","":""}}')
    why = ("A non-string 'type' nested ~1000 deep: the dialect's TypeError message must not"
           " build a full repr (RecursionError).")
    files["deep-event-type-repr"] = [
        vector("deep-event-type-repr-openai-responses", why, deep_type,
               kwargs={"dialect": "openai-responses", "on_malformed": "skip"}),
        vector("deep-event-type-repr-anthropic", why, deep_type, kwargs={"dialect": "anthropic"}),
    ]
    files["deferred-frame-lost-at-close"] = [
        vector("last-frame-deferred-twice",
               "Two frames with a trailing space after the closing brace (so the fast path"
               " can't take them), the last one unterminated.  Whole: the first frame is"
               " deferred; at close() the re-fed block processes it (resetting _retrying in"
               " _start) and then defers the last frame again, which close() never flushes:"
               " Delta 'b' is lost.  Bytewise both deltas arrive.",
               b'\ndata: {"choices":[{"delta":{"content":"a"}}]} \n'
               b'data: {"choices":[{"delta":{"content":"b"}}]} '),
        vector("last-frame-deferred-twice-skip",
               "Found by the fuzzer (on_malformed='skip'): the deferred malformed frame, then"
               " an open frame in the tail that is silently forgotten (no dropped_partial_frame,"
               " no missing_blank_line).",
               b'\ndata:{"}\ndata:{', kwargs={"on_malformed": "skip"}),
    ]
    small = {"max_line_size": 16, "max_event_size": 16}
    files["v2-deferred-frame-and-limits"] = [
        vector("deferred-frame-hides-line-limit",
               "Found by fuzzing the v2 core: a frame held back for the next read at the end"
               " of a read that also cut a line over max_line_size; the limit error must come"
               " whatever the split.",
               b'\ndata:{\nobject": "error",\n', kwargs={**small, "on_malformed": "skip"}),
        vector("deferred-frame-then-long-line-cr", "The same with CR line ends.",
               b"\rdata:{\r 00000000000000ll\r]", kwargs=small),
        vector("deferred-frame-then-long-line-done",
               "The same, the long line followed by the end marker.",
               b"\rdata:{\r 00000000000000ll\rdata:[DONE]",
               kwargs={**small, "on_malformed": "skip"}),
        vector("deferred-frame-then-long-line-64", "The same with limits of 64 bytes.",
               b'\ndata:{\ndaed":171[{"index":0,"delta":{"content":" "},"logprobs":null,"fin',
               kwargs={"max_line_size": 64, "max_event_size": 64, "on_malformed": "skip"}),
        vector("deferred-frame-data-line-inside", "A data: line inside a held-back frame.",
               b"\ndata:{\nhdata: [D: [DONE]\n]\n", kwargs=small),
        vector("deferred-frame-repairs",
               "Repairs counted for a held-back frame must not depend on the split.",
               b'\ndata:{""}\ndata:{"choices":[{":{"contendata: {"choices":[{"delta:"b"}}]}'
               b' t"":{"co', kwargs={"max_line_size": 64, "max_event_size": 64,
                                   "on_malformed": "skip"}),
        vector("sse-id-committed-only-by-a-dispatch",
               "An id line alone in one read, then an event over max_event_size: the id is"
               " not committed (no block was dispatched) whatever the split.",
               b"id\ndata:t json\n\n", target="sse", kwargs={"max_event_size": 5}),
    ]
    files["v2-empty-lines-in-open-frame"] = [
        vector("empty-lines-bomb-in-open-frame",
               "A JSON frame left open, then 64 KiB of empty lines (each one whitespace,"
               " counted as a repair): read at regex speed, not one Python step per line.",
               b"data: {\n" + b"\n" * (1 << 16), max_seconds=2.0),
        vector("empty-lines-in-open-frame-over-the-limit",
               "The same run crossing max_event_size: the same error and count whatever the"
               " split.", b"data: {\n" + b"\n" * 64 + b"}\n\n",
               kwargs={"max_event_size": 40}),
    ]
    files.update(provider_vectors())
    return files


def provider_vectors() -> dict[str, list[dict[str, Any]]]:
    """What fuzzing the provider dialects and the event-stream framing found."""
    files: dict[str, list[dict[str, Any]]] = {}
    files["end-marker-held-back-at-close"] = [
        vector("tgi-end-frame-deferred",
               "A TGI frame with invalid UTF-8 in a key ends the stream; fed whole it is held"
               " back to close(), where the unterminated last block was not counted (bytewise"
               " it was).",
               bytes.fromhex("0a646174613a7b22223a312c22746f6b656e223a7b22223a312c22223a22222c"
                             "22223a66616c73657d2c2267656e6572617465645f74657874223a22222c2280"
                             "223a7b22223a22227d7d0a"), kwargs={"on_malformed": "skip"}),
        vector("done-then-long-line",
               "[DONE] without its empty line, then a line over max_line_size in the same read:"
               " whether the empty line is looked for must not depend on the split.",
               b"\ndata: [DONE]\ndata: {" + b'"a":1,' * 20 + b"}\n\ndata: [DONE]\n\n",
               kwargs={"max_event_size": 64, "max_line_size": 64}),
    ]
    deep_args = b'{"a":' * 300 + b"1" + b"}" * 300
    files["deep-tool-arguments"] = [
        vector("gemini-function-call-args",
               "Gemini functionCall args nested 300 levels: orjson reads them but cannot write"
               " them back as arguments text (a TypeError, not a ShapeError).",
               b'data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":'
               + deep_args + b"}}]}}]}\n\n", kwargs={"dialect": "gemini"}),
        vector("ollama-tool-arguments",
               "The same for Ollama's tool-call arguments object.",
               b'{"model":"m","message":{"content":"","tool_calls":[{"function":{"name":"f",'
               b'"arguments":' + deep_args + b"}}]},\"done\":false}\n".replace(b'\\"', b'"'),
               kwargs={"dialect": "ollama"}),
    ]
    return files


def check_vector(vec: dict[str, Any]) -> str | None:
    """None if the vector keeps the contract, else what went wrong."""
    data = bytes.fromhex(vec["input_hex"])
    target, kwargs = vec["target"], vec.get("kwargs", {})
    results = []
    for mode, pieces in (("whole", [data]), ("bytewise", harness.bytewise(data))):
        start = time.perf_counter()
        try:
            results.append(harness.outcome(target, pieces, kwargs))
        except Exception as exc:
            return f"{mode}: {type(exc).__name__}: {str(exc)[:100]}"
        elapsed = time.perf_counter() - start
        if "max_seconds" in vec and elapsed > vec["max_seconds"]:
            return f"{mode}: took {elapsed:.2f} s (max {vec['max_seconds']} s)"
    if not harness.same(results[0], results[1]):
        return (f"whole and bytewise differ:\n    whole:    {harness.safe_repr(results[0], 300)}"
                f"\n    bytewise: {harness.safe_repr(results[1], 300)}")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite spec/vectors/fuzz/*.json")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if spec/vectors/fuzz/*.json is not what --write writes")
    args = parser.parse_args()
    if args.check:
        return write_vectors(VECTORS, all_vectors(), ["--check"])
    if args.write:
        VECTORS.mkdir(parents=True, exist_ok=True)
        write_vectors(VECTORS, all_vectors(), [])
    harness.load_sseproto()
    failed = 0
    for path in sorted(VECTORS.glob("*.json")):
        for vec in json.loads(path.read_text("utf-8")):
            problem = check_vector(vec)
            failed += problem is not None
            print(f"{'FAIL' if problem else 'ok  '} {path.name}:{vec['name']}"
                  + (f"\n    {problem}" if problem else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
