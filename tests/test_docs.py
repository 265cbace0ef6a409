"""The documentation site's sources: examples that run, and nothing left out.

Building the site needs the ``docs`` extra (``.ci/run`` builds it with
``mkdocs build --strict``); these checks need nothing but the repository.
"""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

from tests.helpers import ROOT

DOCS = ROOT / "docs"
MKDOCS = (ROOT / "mkdocs.yml").read_text("utf-8")
PAGES = sorted(path for path in DOCS.rglob("*.md"))
EXAMPLES = [path for path in PAGES if ">>> " in path.read_text("utf-8")]


@pytest.mark.parametrize("page", EXAMPLES, ids=lambda path: str(path.relative_to(DOCS)))
def test_the_examples_on_the_page_run(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS,
                              verbose=False, report=True)
    assert result.failed == 0 and result.attempted > 0


def test_every_page_is_in_the_navigation() -> None:
    listed = set(re.findall(r":\s*([\w/.-]+\.md)\s*$", MKDOCS, re.MULTILINE))
    assert {str(path.relative_to(DOCS)) for path in PAGES} == listed


def test_every_wire_note_is_in_the_docs() -> None:
    included = {match for page in (DOCS / "wire").glob("*.md")
                for match in re.findall(r'--8<-- "([^"]+)"', page.read_text("utf-8"))}
    notes = {"spec/sse.md", *(f"spec/dialects/{path.name}"
                              for path in (ROOT / "spec" / "dialects").glob("*.md"))}
    assert notes <= included
    index = (DOCS / "wire" / "index.md").read_text("utf-8")
    assert all(f"({Path(note).name})" in index for note in notes - {"spec/sse.md"})


def test_every_api_reference_target_exists() -> None:
    targets = [target for page in (DOCS / "reference").glob("*.md")
               for target in re.findall(r"^::: ([\w.]+)", page.read_text("utf-8"), re.MULTILINE)]
    assert targets
    for target in targets:
        module, _, name = target.rpartition(".")
        try:
            importlib.import_module(target)
        except ModuleNotFoundError:
            assert hasattr(importlib.import_module(module), name), target


def test_the_readme_links_into_pages_that_exist() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    links = re.findall(r"https://sseproto\.github\.io/sseproto/([\w/.-]*)", readme)
    assert links
    for link in links:
        stem = link.strip("/")
        candidates = [DOCS / "index.md"] if not stem else [DOCS / f"{stem}.md",
                                                            DOCS / stem / "index.md"]
        assert any(path.exists() for path in candidates), link
