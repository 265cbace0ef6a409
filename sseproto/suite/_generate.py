"""Build the suite's base streams (``streams.json``) from the spec vectors and captures.

Run from a source checkout, after changing a vector or adding a capture::

    python -m sseproto.suite._generate spec sseproto/suite/streams.json

Each base stream is a body, how a client receives it (its recorded writes,
its response headers) and its expected outcome in the ``parse --json``
event form.  The expected events come from the vector's own expectations;
only where a vector says nothing about the events before an error (a
vector that raises) and for captures, sseproto's decoder fed one byte at a
time supplies them.  The deliveries and faults applied to each base stream
are code, in :mod:`sseproto.suite._scenarios`.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ..transcript import Transcript, load
from ._outcome import decode_outcome

__all__ = ["build", "main"]

# Package samples are real captures too; spec/captures/ holds more when present.
_SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _body_field(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode()}
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(data).decode()}


def _read_vectors(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(folder.glob("*.json")):
        for vector in _read_json(path):
            yield path.stem, vector


def _read_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:  # a 5000-digit number: the standard library reads it
        import json

        sys.set_int_max_str_digits(0)
        return json.loads(path.read_text("utf-8"))


def _sse_streams(spec: Path) -> Iterator[dict[str, Any]]:
    for group, vector in _read_vectors(spec / "vectors" / "sse"):
        events = [{"type": "event", "event": ev["event"], "data": ev["data"], "id": ev["id"]}
                  for ev in vector["events"]]
        yield {"name": vector["name"], "kind": "sse", "group": f"sse/{group}",
               "description": vector["description"],
               "writes": [_body_field(bytes.fromhex(vector["input_hex"]))],
               "headers": {"content-type": "text/event-stream"},
               # A stream without events is not graded on the exit status: an SSE
               # library may well call it a success, a CLI a failure.
               "expected": events, "ok": True if events else None}


#: Fields a vector may give beyond content, printed by ``parse --json`` only when set.
_EXTRAS = ("reasoning", "refusal")


def _with_extras(event: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    return {**event, **{name: extras[name] for name in _EXTRAS if extras.get(name) is not None}}


def _vector_outcome(vector: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    if vector["raises"] is not None:
        return decode_outcome([bytes.fromhex(vector["input_hex"])])
    events = [_with_extras({"type": "delta", "index": delta[0], "content": delta[1]},
                           dict(zip(_EXTRAS, delta[2:], strict=False)))
              for delta in vector["deltas"]]
    events += [_with_extras({"type": "final", **{k: v for k, v in final.items()
                                                 if k not in _EXTRAS}}, final)
               for final in vector["finals"]]
    if vector["error"] is not None:
        events.append({"type": "error", "message": vector["error"]["message"]})
    elif vector["done"]:
        events.append({"type": "done"})
    return events, vector["error"] is None and vector["done"]


def _content_type(body: bytes) -> str:
    """What the provider sends: event-stream (binary, Bedrock), JSON lines (Ollama) or SSE."""
    if body[:1] == b"\x00":
        return "application/vnd.amazon.eventstream"
    return "application/x-ndjson" if body.lstrip()[:1] == b"{" else "text/event-stream"


def _chat_streams(spec: Path) -> Iterator[dict[str, Any]]:
    for group, vector in _read_vectors(spec / "vectors" / "chat"):
        body = bytes.fromhex(vector["input_hex"])
        expected, ok = _vector_outcome(vector)
        if vector["dialect"] != "auto" and decode_outcome([body]) != (expected, ok):
            continue  # the client under test is not told the dialect: auto must do
        yield {"name": vector["name"], "kind": "chat", "group": f"chat/{group}",
               "description": vector["description"], "writes": [_body_field(body)],
               "headers": {"content-type": _content_type(body)},
               "expected": expected, "ok": ok}


_CAPTURES = ("*.sse", "*.jsonl", "*.ndjson", "*.eventstream")


def _capture_paths(spec: Path) -> list[Path]:
    """The package samples, then the real provider captures of ``spec/captures``."""
    return [path for folder in (_SAMPLES, spec / "captures") for pattern in _CAPTURES
            for path in sorted(folder.glob(pattern))]


def _capture_writes(path: Path) -> list[bytes] | None:
    """The recorded writes of a capture (a raw body is one write); ``None``: not a 200."""
    if path.suffix == ".eventstream":  # a raw binary body
        return [path.read_bytes()]
    transcript: Transcript = load(path)
    return [data for _, data in transcript.chunks] if transcript.status == 200 else None


def _capture_streams(spec: Path) -> Iterator[dict[str, Any]]:
    seen: set[bytes] = set()
    for path in _capture_paths(spec):
        writes = _capture_writes(path)
        if writes is None or b"".join(writes) in seen:
            continue
        seen.add(b"".join(writes))
        expected, ok = decode_outcome(writes)
        name = path.stem
        yield {"name": name, "kind": "chat", "group": "capture",
               "description": f"a real capture ({path.name}), as recorded: {len(writes)} writes",
               "writes": [_body_field(data) for data in writes],
               "headers": {"content-type": _content_type(b"".join(writes))},
               "expected": expected, "ok": ok}


def build(spec: Path) -> bytes:
    """The ``streams.json`` document for the spec folder ``spec``."""
    streams = [*_sse_streams(spec), *_chat_streams(spec), *_capture_streams(spec)]
    return orjson.dumps({"version": 1, "streams": streams}, option=orjson.OPT_INDENT_2) + b"\n"


def main(argv: list[str]) -> int:
    spec, out = Path(argv[0]), Path(argv[1])
    out.write_bytes(build(spec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
