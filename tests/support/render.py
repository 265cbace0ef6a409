"""One frame renderer: JSON payloads framed as SSE, conforming or in the forms seen in the wild.

Used by the vector generators (``spec/vectors/*/_make_vectors.py``), the
fuzzer and the benchmark, so they all build the same bytes for the same form.
Standard library only.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["FORMS", "compact", "frame", "pretty", "pretty_lines", "single_lines", "sse"]


def compact(value: Any, ascii_only: bool = False) -> str:
    """Compact JSON, as most servers write it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_only)


def _text(payload: Any) -> str:
    return payload if isinstance(payload, str) else compact(payload)


def sse(*payloads: Any, eol: str = "\n", name: str = "data: ") -> bytes:
    """Conforming SSE: one ``data:`` line and a blank line per payload (JSON value or text)."""
    return "".join(f"{name}{_text(p)}{eol}{eol}" for p in payloads).encode("utf-8")


def single_lines(*payloads: Any) -> bytes:
    """The non-conforming single-line form: ``data:`` lines with no blank line between."""
    return "".join(f"data: {_text(p)}\n" for p in payloads).encode("utf-8")


def pretty_lines(value: Any, step: str = "") -> list[str]:
    """JSON pretty-printed the way Prediction Guard streams it: one member per line,
    ``"key":`` glued to the value, brackets on their own lines (also of an empty
    object, as in ``spec/samples/prediction-guard.sse``), ``step`` as indent."""
    if isinstance(value, dict | list):
        items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
        opener, closer = ("{", "}") if isinstance(value, dict) else ("[", "]")
        lines = [opener]
        for number, (key, item) in enumerate(items):
            sub = pretty_lines(item, step)
            if key is not None:
                sub[0] = json.dumps(key, ensure_ascii=False) + ":" + sub[0]
            if number < len(items) - 1:
                sub[-1] += ","
            lines += [step + line for line in sub]
        lines.append(closer)
        return lines
    return [json.dumps(value, ensure_ascii=False)]


def pretty(value: Any, step: str = "", eol: str = "\n", blank: bool = False) -> str:
    """One Prediction Guard frame: ``data: `` on the first line only (``blank``: then an
    empty line, as a conforming stream would have)."""
    text = "data: " + eol.join(pretty_lines(value, step)) + eol
    return text + eol if blank else text


#: The wire forms :func:`frame` knows.
FORMS = ("conforming", "no-blank", "nospace", "split-data", "pretty", "pretty-blank")


def frame(text: str, form: str, cut: int = 0) -> str:
    """One payload's JSON ``text`` framed in ``form`` (``cut``: where split-data splits it)."""
    if form == "conforming":
        return f"data: {text}\n\n"
    if form == "no-blank":
        return f"data: {text}\n"
    if form == "nospace":
        return f"data:{text}\n\n"
    if form == "split-data":
        return f"data: {text[:cut]}\ndata: {text[cut:]}\n\n"
    # pretty-printed text: only the first line carries "data: "
    return "data: " + text + "\n" + ("\n" if form == "pretty-blank" else "")
