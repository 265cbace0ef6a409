"""One vector writer: the generators' output, written, or checked against the committed files.

    python spec/vectors/chat/_make_vectors.py           # rewrite the *.json files
    python spec/vectors/chat/_make_vectors.py --check   # exit 1 if a file differs

``.ci/run`` runs every generator with ``--check``, so the committed vectors
are always exactly what their generator says.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["dump", "write_vectors"]


def dump(vectors: list[dict[str, Any]]) -> str:
    """The committed text of one vector file (indent 1, ASCII only)."""
    return json.dumps(vectors, indent=1, ensure_ascii=True) + "\n"


def write_vectors(folder: Path, files: dict[str, list[dict[str, Any]]],
                  argv: Sequence[str] | None = None) -> int:
    """Write ``files`` (stem -> vectors) into ``folder``, or with ``--check`` compare.

    Vector names must be unique across the files.  Returns the exit code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    names: set[str] = set()
    stale = []
    for stem, vectors in files.items():
        for vector in vectors:
            if vector["name"] in names:
                raise SystemExit(f"duplicate vector name {vector['name']!r}")
            names.add(vector["name"])
        path = folder / f"{stem}.json"
        text = dump(vectors)
        if check:
            if not path.exists() or path.read_text("ascii") != text:
                stale.append(path.name)
            continue
        path.write_text(text, "ascii")
        print(f"{stem}.json: {len(vectors)}")
    if check:
        extra = sorted(p.name for p in folder.glob("*.json") if p.stem not in files)
        for name in stale + extra:
            print(f"{folder.name}/{name}: not what the generator writes; run it without --check",
                  file=sys.stderr)
        return 1 if stale or extra else 0
    print(f"total: {len(names)}")
    return 0
