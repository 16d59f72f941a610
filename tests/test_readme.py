"""The README's layout section names every module of every package, and nothing that is not there."""

from __future__ import annotations

import re

from tests.conftest import ROOT

PACKAGES = ("rag", "ingest", "ui", "eval", "newsrag")


def layout() -> tuple[set[str], set[str]]:
    """(the top-level folders, the dotted modules) the README's layout block names."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Layout\n", 1)[1].split("```\n", 2)[1]
    folders, modules, path = set(), set(), []
    for line in block.splitlines():
        m = re.match(r"^( *)(\S+)(?:\s{2,}|$)", line)
        if not m or len(m[1]) > 4:  # a description's second line
            continue
        depth, name = len(m[1]) // 2, m[2]
        path = path[:depth] + [name.rstrip("/")]
        if depth == 0:
            folders.add(name.rstrip("/"))
        elif not name.endswith("/"):
            modules.add(".".join(path))
    return folders, modules


def test_the_layout_section_matches_the_tree() -> None:
    folders, listed = layout()
    assert {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")} >= folders
    assert set(PACKAGES) <= folders
    actual = {".".join(p.relative_to(ROOT).with_suffix("").parts) for package in PACKAGES
              for p in (ROOT / package).rglob("*.py") if p.name != "__init__.py"}
    assert listed == actual, (sorted(actual - listed), sorted(listed - actual))
