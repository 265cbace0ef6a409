"""A deliberately naive, obviously-correct SSE interpreter used as a test oracle.

It follows WHATWG HTML 9.2.5/9.2.6 literally, one character at a time, on
the whole stream at once.  It shares no code with sseproto.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RefResult:
    events: list[tuple[str, str, str | None, int | None]] = field(default_factory=list)
    last_event_id: str | None = None
    retry: int | None = None


def reference_decode(stream: bytes) -> RefResult:
    if stream.startswith(b"\xef\xbb\xbf"):
        stream = stream[3:]
    text = stream.decode("utf-8", "replace")
    lines: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\r":
            lines.append("".join(current))
            current = []
            if i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
        elif ch == "\n":
            lines.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    # whatever is left in `current` is an unterminated line: discarded.
    result = RefResult()
    data_buffer = ""
    event_type = ""
    id_buffer: str | None = None
    for line in lines:
        if line == "":
            result.last_event_id = id_buffer
            if data_buffer == "":
                event_type = ""
                continue
            if data_buffer.endswith("\n"):
                data_buffer = data_buffer[:-1]
            result.events.append((event_type or "message", data_buffer, id_buffer, result.retry))
            data_buffer = ""
            event_type = ""
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        if name == "event":
            event_type = value
        elif name == "data":
            data_buffer += value + "\n"
        elif name == "id":
            if "\x00" not in value:
                id_buffer = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            total = 0
            for c in value:
                total = total * 10 + (ord(c) - 48)
            result.retry = total
    return result
