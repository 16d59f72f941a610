"""Ingest with the real embedder and a real Chroma: retrieval on the sample articles (Dutch and
English questions), re-ingest embedding nothing, the CLI's exit status, and a run killed with -9."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from langchain_core.embeddings import Embeddings

from newsrag.chatbot import Chatbot
from newsrag.cli import cli
from tests.conftest import ARTICLES, E5_PATH, ROOT, make_settings
from tests.test_ingest import assert_consistent, bad_folder

GOLD = "25 miljoen dollar"


class Counting(Embeddings):
    """Wraps an embedder and counts the texts it embeds."""

    def __init__(self, inner: Embeddings):
        self.inner, self.calls = inner, 0

    def embed_documents(self, texts):
        self.calls += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def rank_of_gold(hits) -> int | None:
    return next((n for n, h in enumerate(hits, 1) if GOLD in h.text), None)


def test_dutch_question_finds_the_gold_chunk_first(sample_bot) -> None:
    hits = sample_bot.search("Hoeveel extra geld zegde Blinken de regio toe?")
    assert rank_of_gold(hits) == 1, [(h.chunk_id, round(h.score, 3)) for h in hits]
    best = hits[0]
    assert (best.doc_id, best.date, best.heading) == ("000_9dbccd1724277ce9", "2023-03", "Russische invloedssfeer")
    assert best.title == "De twee grootmachten bekwaamden zich deze week in coalitievorming."
    assert best.score > 0.8  # a real cosine similarity, not a fused rank score


@pytest.mark.parametrize("retriever", ["hybrid", "dense"])
def test_english_question_finds_the_dutch_passage(sample_home, real_embeddings, retriever: str) -> None:
    # Measured with multilingual-e5-small on the sample articles: rank 1 for both retrievers, with a
    # narrow margin (cosine 0.814 against 0.807 for the photo caption next to it). The issue asks
    # for "finds its Dutch passage"; we hold it to the rank it reaches today.
    bot = Chatbot(make_settings(sample_home, retriever=retriever), embeddings=real_embeddings)
    hits = bot.search("How much extra money did Blinken promise the region?")
    assert rank_of_gold(hits) == 1, [(h.chunk_id, round(h.score, 3)) for h in hits]


def test_reingest_embeds_nothing(sample_home, real_embeddings) -> None:
    counting = Counting(real_embeddings)
    bot = Chatbot(make_settings(sample_home), embeddings=counting)
    before = bot.index.count()
    report = bot.ingest([ARTICLES])
    assert report.counts() == {"added": 0, "updated": 0, "unchanged": 3, "removed": 0, "skipped": 0}
    assert counting.calls == 0 and report.chunks_embedded == 0
    assert report.keyword_chunks is None and bot.index.count() == before


def test_cli_with_the_real_embedder_exit_status_and_search(tmp_path: Path, real_embeddings, monkeypatch) -> None:
    import rag.providers

    built = []

    def build(settings):  # the CLI's own settings, pointed at the real folder; the loaded model reused
        assert Path(settings.embed_model_path) == E5_PATH
        built.append(settings)
        return real_embeddings

    monkeypatch.setattr(rag.providers, "build_embeddings", build)
    monkeypatch.setenv("NEWSRAG_EMBED_MODEL", str(E5_PATH))
    home = tmp_path / "home"
    folder, expected = bad_folder(tmp_path)
    result = CliRunner().invoke(cli, ["--home", str(home), "ingest", str(folder)])
    assert result.exit_code == 1, result.output
    assert f"{len(expected)} skipped" in result.stdout and built

    for name in ("leeg.txt", "plaatje.txt", "rapport.pdf", "groot.txt"):  # fix the bad input
        (folder / name).unlink()
    feed = folder / "feed.jsonl"
    feed.write_text(feed.read_text().splitlines()[0] + "\n")
    clean = CliRunner().invoke(cli, ["--home", str(home), "ingest", str(folder)])
    assert clean.exit_code == 0, clean.output
    assert "0 added, 0 updated, 6 unchanged, 0 removed, 0 skipped; 0 chunks embedded" in " ".join(clean.stdout.split())

    search = CliRunner().invoke(cli, ["--home", str(home), "search", "-k", "3", "--retriever", "dense",
                                      "Hoeveel extra geld zegde Blinken de regio toe?"])
    assert search.exit_code == 0, search.output
    first_row = " ".join(search.stdout.split("│ 2 ")[0].replace("│", " ").split())  # the table's first row
    assert "1 0.8" in first_row and "000_9dbccd1724277ce9 2023-03 De twee grootmachten" in first_row
    assert "Hij zegde de regio 25 miljoen dollar extra toe" in first_row


# -- kill -9 ---------------------------------------------------------------------------------------

def write_variants(folder: Path, n: int) -> list[str]:
    """``n`` different articles from the samples: new ids and dates, other numbers, paragraphs shuffled."""
    rng = random.Random(7)
    samples = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt"))]
    folder.mkdir(parents=True)
    ids = []
    for i in range(n):
        raw = samples[i % len(samples)]
        body = raw.split(" ", 3)[3]
        paras = body.split("\n\n")
        head, rest = paras[:1], paras[1:]
        rng.shuffle(rest)
        text = "\n\n".join(head + rest)
        text = re.sub(r"\d+", lambda m, i=i: str(int(m.group()) + i + 1), text)
        doc_id = f"variant_{i:04d}"
        (folder / f"{doc_id}.txt").write_text(f" date 20{10 + i % 14}-{1 + i % 12:02d} {text}", encoding="utf-8")
        ids.append(doc_id)
    return ids


def run_cli(home: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "NEWSRAG_EMBED_MODEL": str(E5_PATH), "NEWSRAG_HOME": str(home)}
    env.pop("NEWSRAG_CHROMA_HOST", None)
    return subprocess.Popen([sys.executable, "-m", "newsrag.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def rows_written(home: Path) -> int:
    """Records in Chroma's log, read straight from SQLite (read-only) while the writer runs."""
    db = home / "index" / "chroma" / "chroma.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("select count(*) from embeddings_queue").fetchone()[0]
    except sqlite3.Error:  # tables not created yet, or busy
        return 0


def test_a_run_killed_with_sigkill_is_completed_by_the_next(tmp_path: Path, e5_folder: Path) -> None:
    from ingest.pipeline import EMBED_BATCH

    n = EMBED_BATCH // 4  # ~6 chunks each: one full embedder batch written, then the kill, then the rest
    ids = write_variants(tmp_path / "corpus", n)
    home = tmp_path / "home"

    proc = run_cli(home, "ingest", str(tmp_path / "corpus"))
    deadline = time.monotonic() + 600
    while rows_written(home) == 0:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no chunk written within 10 minutes"
        time.sleep(0.2)
    assert proc.poll() is None, "finished before it could be killed: use a bigger corpus"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    second = run_cli(home, "ingest", str(tmp_path / "corpus"))
    out, err = second.communicate(timeout=1200)
    assert second.returncode == 0, err
    counts = dict((k, int(v)) for v, k in re.findall(r"(\d+) (added|updated|unchanged|removed|skipped)", out))
    assert counts["added"] + counts["updated"] + counts["unchanged"] == n and counts["skipped"] == 0
    assert counts["unchanged"] < n  # the kill really left work for this run

    third = run_cli(home, "ingest", str(tmp_path / "corpus"))
    out, err = third.communicate(timeout=600)
    assert third.returncode == 0, err
    assert f"0 added, 0 updated, {n} unchanged, 0 removed, 0 skipped; 0 chunks embedded" in " ".join(out.split())

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from rag.store import NewsIndex

    client = chromadb.PersistentClient(path=str(home / "index" / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    index = NewsIndex(client)
    assert sorted(index.records()) == ids
    assert_consistent(index)  # chunk count == sum of records' counts, ids 0..n-1, no duplicate text
