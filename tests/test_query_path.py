"""The one-shot commands stay light: `newsrag search` and `newsrag ask --mode extractive` import
neither torch nor sentence-transformers nor transformers, and an unchanged re-ingest never builds
the embedder. Each command runs in its own process, as a user's would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rag.providers
from newsrag.chatbot import Chatbot
from newsrag.setup.onnx_build import build_onnx
from rag.onnx_embedder import DIRNAME
from tests.conftest import ARTICLES, E5_PATH, MODELS, ROOT, make_settings

HEAVY = ("torch", "sentence_transformers", "transformers")
QUESTION = "Hoeveel extra geld zegde Blinken de regio toe?"

# Runs the CLI in-process, then prints which modules it left loaded (as JSON, on the last line).
PROBE = """
import json, sys
from newsrag.cli import main
sys.argv = ["newsrag"] + sys.argv[1:]
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print("\\nMODULES " + json.dumps({"code": code, "modules": sorted(m for m in sys.modules if "." not in m),
                                  "embedders": sorted(m for m in sys.modules if m in ("rag.embedder", "rag.onnx_embedder"))}))
"""


def run_probe(home: Path, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")} | {"NEWSRAG_HOME": str(home)}
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    line = result.stdout.rsplit("MODULES ", 1)[1]
    return json.loads(line) | {"stdout": result.stdout}


@pytest.fixture(scope="module")
def onnx_home(tmp_path_factory, real_embeddings) -> Path:
    """A home with the default models (ONNX export included) and the sample articles ingested by the CLI."""
    build_onnx(E5_PATH, MODELS / DIRNAME)
    home = tmp_path_factory.mktemp("onnx-home")
    (home / "models").symlink_to(MODELS)
    probe = run_probe(home, "ingest", str(ARTICLES))
    assert probe["code"] == 0 and "3 added" in probe["stdout"], probe["stdout"]
    assert probe["embedders"] == ["rag.onnx_embedder"]
    return home


@pytest.mark.parametrize("args", [("search", QUESTION), ("ask", "--mode", "extractive", QUESTION)],
                         ids=["search", "ask-extractive"])
def test_one_shot_commands_import_no_torch(onnx_home: Path, args) -> None:
    probe = run_probe(onnx_home, *args)
    assert probe["code"] == 0, probe["stdout"]
    assert "25 miljoen dollar" in " ".join(probe["stdout"].split())
    if args[0] == "ask":  # the streamed answer is not printed a second time under it
        answer = " ".join(probe["stdout"].splitlines()[0].split())
        assert "[1]" in answer and " ".join(probe["stdout"].split()).count(answer) == 1, probe["stdout"]
    assert not set(HEAVY) & set(probe["modules"]), [m for m in probe["modules"] if m in HEAVY]
    assert probe["embedders"] == ["rag.onnx_embedder"]


def test_unchanged_reingest_by_the_cli_does_not_load_an_embedder(onnx_home: Path) -> None:
    probe = run_probe(onnx_home, "ingest", str(ARTICLES))
    assert probe["code"] == 0
    assert "0 added, 0 updated, 3 unchanged" in probe["stdout"] and "0 chunks embedded" in probe["stdout"]
    assert probe["embedders"] == [] and not set(HEAVY + ("onnxruntime",)) & set(probe["modules"])


def test_unchanged_reingest_embeds_nothing_and_builds_no_embedder(tmp_path: Path, fake_embeddings,
                                                                   monkeypatch, articles_copy: Path) -> None:
    built = []

    def build(settings):
        built.append(settings)
        return fake_embeddings

    monkeypatch.setattr(rag.providers, "build_embeddings", build)
    settings = make_settings(tmp_path / "home")
    first = Chatbot(settings).ingest([articles_copy])
    assert len(first.added) == 3 and len(built) == 1

    again = Chatbot(settings)  # a new process's bot: nothing built yet
    report = again.ingest([articles_copy])
    assert report.chunks_embedded == 0 and len(report.unchanged) == 3
    assert len(built) == 1 and "embeddings" not in again.__dict__

    (articles_copy / "001_1ec644370ad11442.txt").write_text(" date 2024-01 Een nieuw artikel over iets anders.\n",
                                                             encoding="utf-8")
    changed = again.ingest([articles_copy])  # now something needs embedding: built once, on demand
    assert changed.updated == ["001_1ec644370ad11442"] and len(built) == 2 and changed.chunks_embedded >= 1
