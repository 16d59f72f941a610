"""The packages depend on each other one way only: the answering core on nothing of ours, the
front ends on the core, the application layer (``newsrag``) on all of them. An import that breaks
this (``eval`` building a ``newsrag.Chatbot``, say) would make a cycle, so it fails here."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

PACKAGES = ("rag", "ingest", "ui", "eval", "newsrag")
ALLOWED = {
    "rag": {"rag"},
    "ingest": {"rag", "ingest"},
    "ui": {"rag", "ui", "ingest"},  # ingest: the type of an ingest report, the file types it reads
    "eval": {"rag", "eval"},
    "newsrag": set(PACKAGES),
}


def imported_packages(path) -> set[str]:
    """Our packages that a module imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = {str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package])
             for path in sorted((ROOT / package).rglob("*.py"))}
    assert not {path: names for path, names in wrong.items() if names}
