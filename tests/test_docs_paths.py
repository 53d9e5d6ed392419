"""The docs stay true to the tree: every file or folder of the repository that README.md or
docs/ name (in backticks or as a link) exists; `module.name` must name an existing module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NAMED = re.compile(r"(?:`|\]\()((?:app|graphs|ingest|core|bench|tests|docs|data)/[^`)\s#:]*)")


def _exists(named: str) -> bool:
    if (ROOT / named).exists():
        return True
    module, dot, _ = named.rpartition(".")  # graphs/answer_check.quoted_from
    return bool(dot) and (ROOT / f"{module}.py").is_file()


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    named = NAMED.findall(doc.read_text(encoding="utf-8"))
    assert [path for path in named if not _exists(path)] == []
