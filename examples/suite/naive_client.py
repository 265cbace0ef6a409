"""A naive streaming client, written the way many are: split on blank lines, json.loads.

Standard library only.  It prints what it decoded in the suite's JSON-lines
form, so the conformance suite can grade it::

    sseproto suite run -- python examples/suite/naive_client.py {url} {kind}

Its bugs are the common ones, on purpose: each read is decoded as UTF-8 on
its own, events are split on ``"\\n\\n"`` only, ``data:`` must be followed
by a space, comments and other fields are fed to ``json.loads``, the
status and Content-Type are never checked, gzip is not decoded, the id is
not remembered from one event to the next, and only ``choices[0]`` is read.
"""

from __future__ import annotations

import http.client
import json
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit


def blocks(url: str) -> Iterator[str]:
    """The blocks between blank lines, as they arrive."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=30)
    body = json.dumps({"model": "gpt-4o-mini", "stream": True, "messages": []})
    conn.request("POST", parts.path, body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    buffer = ""
    while chunk := response.read1(65536):
        buffer += chunk.decode("utf-8")
        *complete, buffer = buffer.split("\n\n")
        yield from complete


def show(event: dict[str, Any]) -> None:
    print(json.dumps(event), flush=True)


def raw_events(url: str) -> None:
    for block in blocks(url):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            fields[name] = fields[name] + "\n" + value if name in fields else value
        if "data" in fields:
            show({"type": "event", "event": fields.get("event", "message"),
                  "data": fields["data"], "id": fields.get("id")})


def chat_events(url: str) -> None:
    text, finish, usage = "", None, None
    for block in blocks(url):
        data = block.removeprefix("data: ")
        if data == "[DONE]":
            show({"type": "final", "index": 0, "generated_text": text,
                  "finish_reason": finish, "usage": usage})
            show({"type": "done"})
            return
        chunk = json.loads(data)
        usage = chunk.get("usage") or usage
        choice = chunk["choices"][0]
        content = choice["delta"].get("content")
        show({"type": "delta", "index": 0, "content": content})
        text += content or ""
        finish = choice.get("finish_reason") or finish


if __name__ == "__main__":
    url, kind = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "chat"
    raw_events(url) if kind == "sse" else chat_events(url)
