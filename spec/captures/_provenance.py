"""Render PROVENANCE.md from index.json and the expected files.

Run from the repository root after adding a capture to index.json and running
``_expect.py``::

    python spec/captures/_provenance.py
"""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

INTRO = """\
# Real provider streams: provenance

Each file here is the body of one real HTTP response from an LLM provider, recorded by
another open-source project in its tests (VCR cassettes, httprr traces, fixtures), extracted
byte for byte after decoding the recording's own format (YAML scalars and `!binary`
base64, the HTTP/1.1 chunked coding of httprr traces). `index.json` holds the same
provenance in machine-readable form; `<name>.expected.json` is the result the provider's
official SDK computes from the same bytes (`_expect.py`, which names the SDK and version in
each file). `tests/test_captures.py` decodes every capture whole, byte by byte and at
random split points and compares.
"""

SECRETS = """\
Secrets in the recordings were already replaced by placeholders (`<AUTH_TOKEN>`...) by
their projects; only response bodies are kept here, no request or header.
"""

NOTES = """
Notes on the expected results:

- `text`, `reasoning` and `refusal` are joined deltas of choice 0 (or candidate 0);
  `reasoning` is OpenAI-compatible `reasoning_content`/`reasoning`, Mistral thinking
  parts, Anthropic thinking blocks, Gemini `thought` parts, Responses reasoning text
  and summary deltas, Bedrock `reasoningContent`.
- `usage` is the dialect's usage object: the last non-null `usage` as sent (OpenAI and
  compatible servers), `message_start` usage merged with `message_delta` usage by the
  Anthropic SDK's own accumulator, `response.usage` (Responses), the last
  `usageMetadata` as sent (Gemini), `metadata.usage` (Bedrock).
- `finish_reason` is in the dialect's words (Anthropic `end_turn`, Responses
  `completed`, Gemini mapped to OpenAI's words, Bedrock `stopReason`).
- `done` is whether the protocol's end marker was reached. A last `data: [DONE]`
  without its blank line is never dispatched by a strict parser (the SDK just
  stops); sseproto uses it and counts a repair, so `done` is true there.
- Tool-call arguments are compared as parsed JSON (the Anthropic and Gemini SDKs
  hand back parsed objects); an error's `type` is compared only where the SDK gives one.
- No public recording of an OpenAI stream carrying `delta.refusal` text was found;
  refusal is null in every expected file.
"""


def row(entry: dict[str, Any], expected: dict[str, Any]) -> str:
    source = entry["source"]
    bits = [entry["shows"]]
    bits += ["reasoning"] if expected["reasoning"] else []
    bits += [f"{len(expected['tool_calls'])} tool call(s)"] if expected["tool_calls"] else []
    bits += ["mid-stream error"] if expected["error"] else []
    bits += ["usage"] if expected["usage"] else []
    bits.append(f"finish {expected['finish_reason']}, done {str(expected['done']).lower()}")
    interaction = source["interaction"]
    path = source["path"] + (f" ({interaction})" if interaction is not None else "")
    commit = source["commit"][:12] if source["commit"] else "-"
    return (f"| `{entry['file']}` | {entry['provider']} | {', '.join(bits)} | "
            f"{source['repository']} | `{path}` | {commit} | {source['licence']} | "
            f"{expected['computed_with']} |")


def render(index: list[dict[str, Any]]) -> str:
    providers = collections.Counter(entry["provider"] for entry in index)
    counts = ", ".join(f"{name} {count}" for name, count in sorted(providers.items()))
    lines = [INTRO, f"{len(index)} captures from {len(providers)} providers: {counts}.\n",
             SECRETS,
             "| capture | provider | what it shows | repository | path (interaction) "
             "| commit | licence | expected computed with |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for entry in index:
        expected = json.loads((HERE / f"{entry['name']}.expected.json").read_text("utf-8"))
        lines.append(row(entry, expected))
    lines.append(NOTES)
    lines.append("How each body was stored in its recording, and how it was checked:\n")
    lines += [f"- `{entry['name']}`: {entry['source']['stored_as']}; "
              f"{entry['source']['checked']}." for entry in index]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    index = json.loads((HERE / "index.json").read_text("utf-8"))
    (HERE / "PROVENANCE.md").write_text(render(index), "utf-8")
    print(f"PROVENANCE.md: {len(index)} captures")
