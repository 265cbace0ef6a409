"""MkDocs hooks: let the docstrings' reStructuredText habits read well as Markdown.

The docstrings follow the h11 tradition: Sphinx roles (``:class:`~sseproto.Delta```)
and doctest blocks (``>>>`` lines).  Markdown shows the first as raw text and
folds the second into nested quotes.  This extension, added to every Markdown
conversion (the pages and mkdocstrings' docstrings alike), turns a role into
inline code and a doctest paragraph outside a code fence into a ``pycon`` block.
"""

from __future__ import annotations

import re
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority

ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj|const):`(~?)([\w.]+)(\(\))?`")
FENCE = re.compile(r"^\s*(```|~~~)")


def _role(match: re.Match[str]) -> str:
    name = match.group(2).rsplit(".", 1)[-1] if match.group(1) else match.group(2)
    return f"`{name}{match.group(3) or ''}`"


class _Docstrings(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        fenced = doctest = False
        for line in lines:
            if FENCE.match(line) and not doctest:
                fenced = not fenced
            elif not fenced and not doctest and line.lstrip().startswith(">>> "):
                doctest = True
                out.append(line[: len(line) - len(line.lstrip())] + "```pycon")
            elif doctest and not line.strip():
                doctest = False
                out.append(out[-1][: len(out[-1]) - len(out[-1].lstrip())] + "```")
            out.append(line if fenced or doctest else ROLE.sub(_role, line))
        if doctest:
            out.append("```")
        return out


class DocstringExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # the name is Markdown's API
        md.preprocessors.register(_Docstrings(md), "sseproto-docstrings", 40)


@event_priority(100)  # before mkdocstrings copies the extension list
def on_config(config: Any) -> Any:
    config.markdown_extensions.append(DocstringExtension())
    return config
