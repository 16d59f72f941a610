"""Chroma server mode: a real ``chroma run`` on 127.0.0.1, reached through NEWSRAG_CHROMA_HOST/PORT,
with the real embedder and the same ingest and search code as the embedded store."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from newsrag.chatbot import Chatbot
from rag.settings import Settings
from tests.conftest import ARTICLES, E5_PATH, free_port
from tests.test_ingest import assert_consistent
from tests.test_ingest_real import GOLD, Counting, rank_of_gold

CHROMA = Path(sys.executable).parent / "chroma"


def heartbeat(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """(port, data folder) of a Chroma server started for these tests and stopped after them."""
    data = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = (data.parent / f"chroma-{port}.log").open("w")
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(data), "--port", str(port), "--host", "127.0.0.1"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not heartbeat(port):
            assert proc.poll() is None, f"chroma run exited with {proc.returncode}; see {log.name}"
            assert time.monotonic() < deadline, f"no heartbeat from chroma run in 120 s; see {log.name}"
            time.sleep(0.5)
        yield port, data
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def server_settings(home: Path, port: int) -> Settings:
    """Settings as a user gets them: from NEWSRAG_* variables."""
    return Settings.from_env({"NEWSRAG_HOME": str(home), "NEWSRAG_EMBED_MODEL": str(E5_PATH),
                              "NEWSRAG_CHROMA_HOST": "127.0.0.1", "NEWSRAG_CHROMA_PORT": str(port)})


@pytest.fixture(scope="module")
def server_bot(chroma_server, tmp_path_factory, real_embeddings):
    port, _ = chroma_server
    home = tmp_path_factory.mktemp("server-home")
    bot = Chatbot(server_settings(home, port), embeddings=real_embeddings)
    report = bot.ingest([ARTICLES])
    assert sorted(report.added) == sorted(p.stem for p in ARTICLES.glob("*.txt")) and not report.skipped
    return bot


def test_settings_from_environment_select_the_server(chroma_server, tmp_path: Path) -> None:
    port, _ = chroma_server
    settings = server_settings(tmp_path, port)
    assert settings.uses_chroma_server and settings.chroma_port == port
    assert settings.where() == f"Chroma server http://127.0.0.1:{port}, collection 'newsrag'"


def test_ingest_writes_to_the_server_not_to_a_local_folder(server_bot, chroma_server) -> None:
    import chromadb

    port, data = chroma_server
    assert type(server_bot.index.client).__name__ != "PersistentClient"
    assert not (server_bot.settings.index_dir / "chroma").exists()
    assert (data / "chroma.sqlite3").exists()
    # A second, independent client sees what the ingest wrote.
    other = chromadb.HttpClient(host="127.0.0.1", port=port)
    records = server_bot.index.records()
    assert other.get_collection("newsrag").count() == sum(r.n_chunks for r in records.values()) > 0
    assert other.get_collection("newsrag-articles").count() == 3
    assert_consistent(server_bot.index)


def test_search_through_the_server_finds_the_gold_chunk_first(server_bot) -> None:
    hits = server_bot.search("Hoeveel extra geld zegde Blinken de regio toe?")
    assert rank_of_gold(hits) == 1, [(h.chunk_id, round(h.score, 3)) for h in hits]
    assert GOLD in hits[0].text and hits[0].heading == "Russische invloedssfeer"


def test_reingest_through_the_server_is_all_unchanged(server_bot, real_embeddings) -> None:
    counting = Counting(real_embeddings)
    bot = Chatbot(server_bot.settings, embeddings=counting)  # a fresh client, as a second process would
    report = bot.ingest([ARTICLES])
    assert report.counts() == {"added": 0, "updated": 0, "unchanged": 3, "removed": 0, "skipped": 0}
    assert counting.calls == 0 and report.keyword_chunks is None


def test_two_workers_on_one_server_see_each_others_ingests(server_bot, tmp_path: Path, real_embeddings) -> None:
    """Worker B (its own home, so its own keyword index) catches up from the change log: the new
    article's chunks only, not the archive; a delete through B reaches A the same way."""
    port = server_bot.settings.chroma_port
    a = Chatbot(server_settings(tmp_path / "a", port), embeddings=real_embeddings)
    b = Chatbot(server_settings(tmp_path / "b", port), embeddings=real_embeddings)
    b.freshness.interval = 0  # look for other workers' writes at every retrieval, not every 5 s
    assert b.search("Blinken Centraal-Azië")  # B fills its keyword index once, from the server
    assert b.keywords.count() == b.index.count()
    article = tmp_path / "kaas" / "gouda_2024.txt"
    article.parent.mkdir()
    article.write_text(" date 2024-06 De kaasmarkt in Gouda trok een recordaantal bezoekers. Handelaren verkochten "
                       "ruim veertig ton boerenkaas.", encoding="utf-8")
    assert a.ingest([article.parent]).added == ["gouda_2024"]

    # B's next retrieval catches up first, whichever front end asks (CLI, API, MCP, UI). Found, not
    # necessarily first: once, in a full CI run, the server's dense index had not yet caught up with
    # the write and ranked another article first; the keyword index (caught up) still found it.
    assert "gouda_2024" in [h.doc_id for h in b.search("kaasmarkt Gouda boerenkaas")]
    assert b.keywords.count() == b.index.count()
    assert b.keywords.search("boerenkaas", 3)[0][0].startswith("gouda_2024#")
    assert b.newest_date() == "2024-06"

    assert b.delete("gouda_2024")
    a.freshness.catch_up()
    assert a.keywords.search("boerenkaas", 3) == [] and "gouda_2024" not in a.index.records()


def test_another_embedder_is_refused_by_the_server_index(server_bot, tmp_path: Path) -> None:
    from rag.errors import ConfigError
    from tests.fakes import BagOfWordsEmbeddings

    other = Chatbot(server_settings(tmp_path, server_bot.settings.chroma_port), embeddings=BagOfWordsEmbeddings())
    with pytest.raises(ConfigError, match="built with embedder 'multilingual-e5-small'"):
        other.search("Blinken")
    with pytest.raises(ConfigError, match="NEWSRAG_COLLECTION=<new name> newsrag ingest"):
        other.ingest([ARTICLES])
