"""Real provider streams (spec/captures/) against results computed by each provider's SDK.

Every capture is decoded with ``ChatStreamDecoder(dialect="auto")`` whole,
byte by byte and at random split points, and compared with its
``<name>.expected.json`` (written by ``spec/captures/_expect.py`` from the
official SDK's reading of the same bytes, never from sseproto).  Text,
reasoning, refusal, tool calls, finish reason and usage come from the
``Final`` event where the stream ended normally, else from the deltas and
``chat.result``; tool-call arguments are compared as parsed JSON, and an
error's type only where the SDK reports one.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

import sseproto

CAPTURES = Path(__file__).resolve().parent.parent / "spec" / "captures"
INDEX = json.loads((CAPTURES / "index.json").read_text("utf-8"))


def splits(data: bytes, name: str) -> dict[str, list[bytes]]:
    rng = random.Random(f"captures:{name}")
    ways = {"whole": [data], "bytewise": [data[i:i + 1] for i in range(len(data))]}
    for n in range(3):
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 1 + n * 4)))
        bounds = zip([0, *cuts], [*cuts, len(data)], strict=True)
        ways[f"random{n}"] = [data[start:end] for start, end in bounds]
    return ways


def decode(chunks: list[bytes]) -> dict[str, Any]:
    chat = sseproto.ChatStreamDecoder()
    events = []
    for chunk in chunks:
        events += chat.feed(chunk)
    events += chat.close()
    deltas = [e for e in events if isinstance(e, sseproto.Delta) and e.index == 0]
    finals = [e for e in events if isinstance(e, sseproto.Final) and e.index == 0]
    errors = [e for e in events if isinstance(e, sseproto.StreamError)]
    state = chat.result.choices.get(0)
    got: dict[str, Any] = {
        "dialect": chat.dialect,
        "text": "".join(d.content or "" for d in deltas),
        "reasoning": "".join(d.reasoning or "" for d in deltas) or None,
        "refusal": "".join(d.refusal or "" for d in deltas) or None,
        "tool_calls": state.final_tool_calls() if state else None,
        "finish_reason": state.finish_reason if state else None,
        "usage": chat.result.usage,
        "error": {"message": errors[0].message, "type": errors[0].type} if errors else None,
        "done": chat.done,
    }
    if finals:  # the Final event is the contract where the stream ended normally
        final = finals[0]
        got.update(text=final.generated_text, reasoning=final.reasoning, refusal=final.refusal,
                   tool_calls=final.tool_calls, finish_reason=final.finish_reason,
                   usage=final.usage)
    got["tool_calls"] = comparable_calls(got["tool_calls"])
    return got


def comparable_calls(calls: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Tool calls as id, name and parsed arguments (SDKs re-serialise JSON arguments)."""
    if not calls:
        return None
    out = []
    for call in calls:
        function = call.get("function", call)
        out.append({"id": call.get("id"), "name": function["name"],
                    "arguments": arguments(function["arguments"])})
    return out


def arguments(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw) if raw.strip() else {}
    except ValueError:
        return raw


def expected_for(name: str) -> dict[str, Any]:
    expected = json.loads((CAPTURES / f"{name}.expected.json").read_text("utf-8"))
    expected.pop("computed_with")
    expected["tool_calls"] = comparable_calls(expected["tool_calls"])
    return expected


@pytest.mark.parametrize("entry", INDEX, ids=[entry["name"] for entry in INDEX])
def test_capture_matches_sdk_result(entry: dict[str, Any]) -> None:
    data = (CAPTURES / entry["file"]).read_bytes()
    expected = expected_for(entry["name"])
    for way, chunks in splits(data, entry["name"]).items():
        got = decode(chunks)
        if expected["error"] is not None and expected["error"]["type"] is None and got["error"]:
            got["error"]["type"] = None  # the SDK reports no type: compare the message only
        assert got == expected, f"{entry['name']} fed {way}"


def test_index_lists_every_capture_with_its_provenance() -> None:
    files = {p.name for p in CAPTURES.iterdir()
             if p.suffix in (".sse", ".ndjson", ".eventstream")}
    assert files == {entry["file"] for entry in INDEX}
    for entry in INDEX:
        source = entry["source"]
        assert source["repository"] and source["path"] and source["licence"], entry["name"]
        assert source["checked"] and entry["shows"], entry["name"]
        assert source["commit"] is None or len(source["commit"]) == 40, entry["name"]
        assert (CAPTURES / f"{entry['name']}.expected.json").exists(), entry["name"]
    assert len({entry["provider"] for entry in INDEX}) >= 12
