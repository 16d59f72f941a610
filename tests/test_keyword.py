"""The keyword index (SQLite FTS5) and its sync with the store: incremental updates rank exactly as a
full rebuild, each ingest re-indexes only what changed, and a kill -9 in the middle of an update
leaves the index as it was (a real subprocess, killed for real)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rag.keyword import IndexedArticle, KeywordIndex, match_expression
from rag.keyword_sync import sync
from tests.conftest import ROOT

WORDS = ("kaas markt Gouda haven Rotterdam container overslag storm KNMI kabinet minister begroting stikstof "
         "boeren watersnood Limburg schaatsen Elfstedentocht rechter vonnis gemeente raad verkiezing").split()
QUERIES = ["kaasmarkt in Gouda", "haven van Rotterdam containers", "storm code oranje KNMI", "stikstof boeren",
           "watersnood Limburg", "minister begroting kabinet", "verkiezing gemeenteraad", "Elfstedentocht schaatsen"]


def feed(path: Path, ids: range, version: int = 0) -> Path:
    """A JSONL feed of articles mixing the words above, deterministically per (id, version)."""
    lines = []
    for i in ids:
        words = [WORDS[(i * 7 + j * (3 + version)) % len(WORDS)] for j in range(40 + i % 9)]
        text = " ".join(words[:20]) + ".\n\n" + " ".join(words[20:]) + "."
        lines.append(json.dumps({"id": f"a{i:03d}", "date": f"2024-{1 + i % 12:02d}", "text": text}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ranking(keywords: KeywordIndex) -> dict[str, list[tuple[str, float]]]:
    return {q: [(cid, round(score, 9)) for cid, score in keywords.search(q, 10)] for q in QUERIES}


def test_incremental_updates_rank_exactly_as_a_full_rebuild(fake_bot, tmp_path: Path) -> None:
    first = fake_bot.ingest([feed(tmp_path / "feed.jsonl", range(60))])
    assert first.keyword_chunks == fake_bot.index.count()  # a new index is filled once
    # Change 5 articles, add 5, and drop 5 (prune): the sync re-indexes just those.
    path = feed(tmp_path / "feed.jsonl", [*range(5, 55), *range(60, 65)])
    lines = path.read_text().splitlines()
    changed = feed(tmp_path / "v2.jsonl", range(5), version=1).read_text().splitlines()
    path.write_text("\n".join(changed + lines) + "\n", encoding="utf-8")
    report = fake_bot.ingest([path], prune=True)
    assert (len(report.added), len(report.updated), len(report.removed)) == (5, 5, 5)
    touched = {d for d in report.added + report.updated}
    assert report.keyword_chunks == sum(r.n_chunks for d, r in fake_bot.index.records().items() if d in touched)
    assert report.keyword_chunks < fake_bot.index.count() / 5

    rebuilt = KeywordIndex(tmp_path / "rebuilt")
    assert sync(rebuilt, fake_bot.index) == fake_bot.index.count()
    assert rebuilt.hashes() == fake_bot.keywords.hashes()
    incremental, full = ranking(fake_bot.keywords), ranking(rebuilt)
    assert all(incremental.values()) and incremental == full


def test_a_second_process_catches_up_from_the_change_log(fake_bot, tmp_path: Path) -> None:
    fake_bot.ingest([feed(tmp_path / "feed.jsonl", range(20))])
    other = KeywordIndex(tmp_path / "other")  # e.g. another worker's own copy, on another machine
    assert sync(other, fake_bot.index) == fake_bot.index.count()
    assert sync(other, fake_bot.index) is None  # nothing new: one query on the log
    fake_bot.ingest([feed(tmp_path / "more.jsonl", range(20, 23))])
    fake_bot.delete("a000")
    new = sum(r.n_chunks for d, r in fake_bot.index.records().items() if d in {"a020", "a021", "a022"})
    assert sync(other, fake_bot.index) == new
    assert other.hashes() == fake_bot.keywords.hashes() and "a000" not in other.hashes()
    assert other.newest_date() == fake_bot.newest_date() == max(r.date for r in fake_bot.index.records().values())


class Store:
    """An index as ``Freshness`` sees it: whether another process wrote it since we last looked."""

    def __init__(self) -> None:
        self.changed = False

    def refresh_if_changed(self) -> bool:
        changed, self.changed = self.changed, False
        return changed


def counted_syncs(monkeypatch) -> list[float]:
    import rag.retrieval

    waits: list[float] = []
    monkeypatch.setattr(rag.retrieval, "sync", lambda keywords, index, wait: waits.append(wait))
    return waits


def test_retrieval_catches_up_with_a_shared_store_at_most_once_per_interval(monkeypatch) -> None:
    from rag.retrieval import Freshness

    waits = counted_syncs(monkeypatch)
    fresh = Freshness(Store(), KeywordIndex, shared=True, interval=60)  # a Chroma server: no trace of writes here
    for _ in range(5):
        fresh()
    assert waits == [60.0]  # the first call fills or catches up, waiting for another process if need be
    every = Freshness(Store(), KeywordIndex, shared=True, interval=0)
    every()
    every()
    assert waits[1:] == [60.0, 0.5]  # later checks never keep a request waiting for another process


def test_retrieval_catches_up_when_another_process_wrote_the_embedded_index(monkeypatch) -> None:
    from rag.retrieval import Freshness

    waits = counted_syncs(monkeypatch)
    store = Store()
    fresh = Freshness(store, KeywordIndex, shared=False, interval=0)
    fresh()
    fresh()
    assert waits == [60.0]  # then nothing: only this process writes the index, and it keeps it current
    store.changed = True
    fresh.reopen_if_changed()  # a read of the store alone (Chatbot.documents) reopens it ...
    assert waits == [60.0]
    fresh()  # ... and the next retrieval catches the keyword index up
    assert waits == [60.0, 60.0]


def test_queries_cannot_inject_fts_syntax(tmp_path: Path) -> None:
    assert match_expression('kaas" OR NEAR(x y) AND -"') == '"kaa" OR "near" OR "x" OR "y"'  # stems, quoted
    assert match_expression("de het een") == ""  # only stop words: nothing to match
    index = KeywordIndex(tmp_path / "kw")
    with index.writing() as w:
        w.put([IndexedArticle("a", "h", "", [("a#00000", "De kaas van Gouda")])])
    assert [cid for cid, _ in index.search('kaas" NEAR(', 5)] == ["a#00000"]
    assert index.search("de het", 5) == [] and index.search("*", 5) == []


KILLED_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from rag.keyword import IndexedArticle, KeywordIndex

    index = KeywordIndex(Path(sys.argv[1]))
    with index.writing() as w:
        w.put([IndexedArticle(f"d{i}", "h1", "2024-01", [(f"d{i}#00000", f"kaas markt {i}")]) for i in range(100)])
        w.cursor = 1
    print("committed", flush=True)
    with index.writing() as w:  # a long update, killed half-way
        w.remove([f"d{i}" for i in range(50)])
        print("writing", flush=True)
        for n in range(10**9):
            w.put([IndexedArticle(f"x{n}", "h2", "2024-02", [(f"x{n}#{c:05d}", f"haven {n} {c}") for c in range(20)])])
""")


def test_kill_9_in_the_middle_of_an_update_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "kw"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(folder)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "committed"
        assert proc.stdout.readline().strip() == "writing"
        time.sleep(1.0)  # thousands of rows written, none committed
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(folder / "keywords.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    index = KeywordIndex(folder)
    assert index.count() == 100 and index.cursor == 1 and set(index.hashes().values()) == {"h1"}
    assert len(index.search("kaas", 200)) == 100 and index.search("haven", 5) == []
    with index.writing(wait=5) as w:  # and it takes the next update
        w.remove(["d0"])
    assert index.count() == 99


def test_date_filtered_dense_search_by_the_keyword_index_equals_chromas_filter(fake_bot, tmp_path: Path) -> None:
    from rag.dates import DateFilter

    fake_bot.ingest([feed(tmp_path / "feed.jsonl", range(60))])
    (tmp_path / "undated.txt").write_text("Kaas markt Gouda zonder datum. Haven Rotterdam.", encoding="utf-8")
    fake_bot.ingest([tmp_path / "undated.txt"])
    for since, until in [("2024-03", "2024-05"), ("2024-11", None), (None, "2024-01-15"), ("2030", None)]:
        dates = DateFilter(since, until)
        ids = fake_bot.keywords.chunk_ids_between(*dates.bounds())
        chroma = fake_bot.index.chunks.get(where=dates.where(), include=[])["ids"]
        assert sorted(ids) == sorted(chroma)
        for q in QUERIES[:4]:
            vector = fake_bot.embeddings.embed_query(q)
            by_ids = [(h.chunk_id, round(h.score, 6)) for h in fake_bot.index.search(vector, 20, ids=ids)]
            by_where = [(h.chunk_id, round(h.score, 6)) for h in fake_bot.index.search(vector, 20, dates.where())]
            assert by_ids == by_where


def test_keyword_search_in_a_date_range_ranks_that_ranges_chunks_as_the_whole_index_does(fake_bot, tmp_path) -> None:
    from rag.dates import DateFilter

    fake_bot.ingest([feed(tmp_path / "feed.jsonl", range(60))])
    (tmp_path / "undated.txt").write_text("Kaas markt Gouda zonder datum. Haven Rotterdam.", encoding="utf-8")
    fake_bot.ingest([tmp_path / "undated.txt"])
    for since, until in [("2024-03", "2024-05"), ("2024-11", None), (None, "2024-01-15"), ("2030", None)]:
        span = DateFilter(since, until).bounds()
        inside = set(fake_bot.keywords.chunk_ids_between(*span))
        for q in QUERIES:
            everything = fake_bot.keywords.search(q, 1000)  # fewer than RESCORE matches: all of them, ranked
            assert fake_bot.keywords.search(q, 10, span) == [h for h in everything if h[0] in inside][:10]


def test_dense_search_by_ids_falls_back_to_the_filter_when_chroma_lacks_one(fake_bot, tmp_path) -> None:
    """The keyword index may name a chunk the store no longer holds (another process deleted its
    article a moment ago); Chroma refuses such an id list, and the date filter is used instead."""
    from rag.dates import DateFilter

    fake_bot.ingest([feed(tmp_path / "feed.jsonl", range(60))])
    dates = DateFilter("2024-03", "2024-05")
    ids = fake_bot.keywords.chunk_ids_between(*dates.bounds())
    gone = ids[0].split("#")[0]
    fake_bot.retriever.retrieve(QUERIES[0], 5, dates)  # the keyword index is current; then, behind its back:
    fake_bot.index.delete_article(gone)
    assert gone + "#00000" in fake_bot.keywords.chunk_ids_between(*dates.bounds())
    vector = fake_bot.embeddings.embed_query(QUERIES[0])
    expected = fake_bot.index.search(vector, 20, dates.where())
    assert expected and gone not in {h.doc_id for h in expected}
    assert fake_bot.index.search(vector, 20, dates.where(), ids) == expected
    hits = fake_bot.retriever.retrieve(QUERIES[0], 5, dates).hits
    assert hits and gone not in {h.doc_id for h in hits}


def test_a_busy_file_is_not_taken_for_a_damaged_one(tmp_path: Path) -> None:
    """A connection that meets a lock while it opens the file raises; it used to set the healthy
    file aside as damaged (and the whole keyword index was rebuilt)."""
    first = KeywordIndex(tmp_path)
    first.cursor  # noqa: B018 - makes the file
    first.close()
    holder = sqlite3.connect(tmp_path / "keywords.sqlite3", isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError):
            KeywordIndex(tmp_path).cursor  # noqa: B018
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(tmp_path.glob("*.damaged-*"))


def test_an_index_made_by_another_process_while_this_one_waited_is_kept(tmp_path) -> None:
    # Two processes open a new index at once: each reads "no layout yet" and waits for the write
    # lock to make it. The one that gets it second must not empty what the first made and filled.
    import threading

    from rag.keyword import FILENAME, SCHEMA_VERSION, Writer, _create

    (tmp_path / "kw").mkdir()
    first = sqlite3.connect(tmp_path / "kw" / FILENAME, isolation_level=None)
    first.execute("PRAGMA journal_mode=WAL")
    first.execute("BEGIN IMMEDIATE")  # the first process is making the file
    counted: list[int] = []
    second = threading.Thread(target=lambda: counted.append(KeywordIndex(tmp_path / "kw").count()))
    second.start()  # reads user_version 0, then waits for the lock
    time.sleep(1.0)
    _create(first)
    Writer(first).put([IndexedArticle("a", "h", "2024-01", [("a#00000", "kaas uit Gouda")])])
    first.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    first.execute("COMMIT")
    second.join(30)
    assert counted == [1]
