"""What the fuzzer does with a failure: minimise it, and save it with a repro and a vector."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from harness import OUT, Failure, safe_repr


def minimise(data: bytes, fails: Callable[[bytes], bool], budget: float) -> bytes:
    """Delta debugging: drop chunks (halving their size) while the input still fails."""
    deadline = time.monotonic() + budget
    chunk = max(1, len(data) // 2)
    while data and time.monotonic() < deadline:
        removed = False
        i = 0
        while i < len(data) and time.monotonic() < deadline:
            candidate = data[:i] + data[i + chunk :]
            if candidate != data and fails(candidate):
                data, removed = candidate, True
            else:
                i += chunk
        if not removed:
            if chunk == 1:
                break
            chunk = max(1, chunk // 2)
    return data


def repro_snippet(failure: Failure, data: bytes) -> str:
    cls = "SSEDecoder" if failure.target == "sse" else "ChatStreamDecoder"
    kwargs = ", ".join(f"{k}={v!r}" for k, v in failure.kwargs.items())
    split = "whole" if failure.kind != "split" else "whole and bytewise"
    return (
        "import sseproto\n"
        f"data = bytes.fromhex({data.hex()!r})\n"
        f"dec = sseproto.{cls}({kwargs})\n"
        f"events = dec.feed(data) + dec.close()  # {split}; also try one byte at a time\n"
    )


def save_failure(failure: Failure, data: bytes, original: bytes, quiet: bool = False) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    path = OUT / f"crash-{digest}.bin"
    path.write_bytes(data)
    report = [
        f"kind:      {failure.kind}",
        f"signature: {failure.signature}",
        f"target:    {failure.target}  config: {failure.cfg}  kwargs: {failure.kwargs}",
        f"mode:      {failure.mode[:300]}",
        f"original:  {len(original)} bytes, minimised: {len(data)} bytes",
        f"input_hex: {data.hex() if len(data) <= 4096 else data[:4096].hex() + '...'}",
        f"input:     {safe_repr(data, 3000)}",
        "",
        "repro:",
        repro_snippet(failure, data) if len(data) <= 4096 else "(see the .bin file)",
        "detail:",
        failure.detail,
    ]
    path.with_suffix(".txt").write_text("\n".join(report), "utf-8")
    vector = [{
        "name": f"fuzz-{failure.kind}-{digest}",
        "description": f"fuzz/run.py found {failure.signature}; expected: only ProtocolError,"
                       " and the same outcome whole/bytewise",
        "input_hex": data.hex(),
        "target": failure.target,
        "kwargs": failure.kwargs,
    }]
    path.with_suffix(".vector.json").write_text(json.dumps(vector, indent=1) + "\n", "utf-8")
    if not quiet:
        print(f"\n=== FAILURE {failure.signature} [{failure.cfg}, {failure.mode[:60]}]", flush=True)
        print("\n".join(line[:600] for line in report[:8]), flush=True)
        print(failure.detail[-3000:], flush=True)
        print(f"saved {path}\n", flush=True)
    return path


