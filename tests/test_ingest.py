"""The ingest pipeline on a real (temporary) Chroma with the fake embedder: idempotence, updates,
prune, the keyword index, interrupted runs, bad input in a run that goes on, and the CLI's exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.chunking import chunk_article
from ingest.loaders import load_file
from tests.conftest import ARTICLES
from tests.fakes import BagOfWordsEmbeddings
from tests.test_loaders import BLINKEN, GOLD_QUOTE, LAVROV, write

SAMPLE_IDS = sorted(p.stem for p in ARTICLES.glob("*.txt"))


def all_chunks(index) -> dict[str, tuple[str, dict]]:
    got = index.chunks.get(include=["documents", "metadatas"])
    return {i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}


def assert_consistent(index) -> None:
    """Every article complete: its record's chunk count, ids 0..n-1, exact spans, nothing else."""
    records = index.records()
    chunks = all_chunks(index)
    assert len(chunks) == index.count() == sum(r.n_chunks for r in records.values())
    for doc_id, rec in records.items():
        article = index.article(doc_id)
        mine = {i: c for i, c in chunks.items() if c[1]["doc_id"] == doc_id}
        assert sorted(mine) == [f"{doc_id}#{n:05d}" for n in range(rec.n_chunks)]
        texts = [text for text, _ in mine.values()]
        assert len(set(texts)) == len(texts)
        for text, meta in mine.values():
            assert text == article.text[meta["start"]:meta["end"]]
    assert {c[1]["doc_id"] for c in chunks.values()} <= set(records)


def keyword_state(bot) -> tuple[dict[str, str], int]:
    """What the keyword index holds: each article's content hash, and how many chunks."""
    return bot.keywords.hashes(), bot.keywords.count()


# -- first ingest ----------------------------------------------------------------------------------

def test_first_ingest_stores_every_chunk_with_exact_text_and_metadata(fake_bot, fake_embeddings) -> None:
    report = fake_bot.ingest([ARTICLES])
    assert sorted(report.added) == SAMPLE_IDS
    assert report.counts() == {"added": 3, "updated": 0, "unchanged": 0, "removed": 0, "skipped": 0}
    expected = sum(len(chunk_article(a)) for p in ARTICLES.glob("*.txt") for a in load_file(p))
    assert report.chunks_embedded == fake_embeddings.calls == fake_bot.index.count() == expected
    assert_consistent(fake_bot.index)

    stored = fake_bot.index.article(BLINKEN)
    assert GOLD_QUOTE in stored.text
    assert stored.text == next(load_file(ARTICLES / f"{BLINKEN}.txt")).text
    chunks = all_chunks(fake_bot.index)
    (gold,) = [(t, m) for t, m in chunks.values() if GOLD_QUOTE in t]
    assert gold[1]["heading"] == "Russische invloedssfeer"
    assert (gold[1]["date"], gold[1]["date_from"], gold[1]["date_to"]) == ("2023-03", 20230301, 20230331)
    assert gold[1]["title"] == "De twee grootmachten bekwaamden zich deze week in coalitievorming."
    assert report.keyword_chunks == expected


def test_every_format_in_one_run(fake_bot, tmp_path: Path) -> None:
    from tests.test_loaders import HTML

    folder = tmp_path / "mix"
    write(folder / "a.txt", "Het KNMI verwacht storm. Code oranje.")
    write(folder / "sub" / "b.md", "# Kabinet gevallen\n\nHet kabinet is gevallen. Dat meldt de NOS.")
    write(folder / "sub" / "deeper" / "c.html", HTML)
    write(folder / "feed.jsonl", json.dumps({"id": "j-1", "title": "Feed", "date": "2024-05-02", "text": "Een. Twee.",
                                             "url": "https://x.nl/1", "source": "NOS"}) + "\n")
    write(folder / ".hidden.txt", "Niet inlezen. Nee.")
    report = fake_bot.ingest([folder])
    assert sorted(report.added) == ["a", "j-1", "sub/b", "sub/deeper/c"] and not report.skipped
    records = fake_bot.index.records()
    c = records["sub/deeper/c"]
    assert (c.title, c.date) == ("Blinken belooft Centraal-Azië steun", "2023-03-01")
    assert (records["j-1"].source, records["sub/b"].title, records["a"].date) == ("NOS", "Kabinet gevallen", "")
    assert c.path == str((folder / "sub" / "deeper" / "c.html").resolve())
    undated = [m for _, m in all_chunks(fake_bot.index).values() if m["doc_id"] == "a"]
    assert undated and all(m["date"] == "" and "date_from" not in m for m in undated)
    assert fake_bot.index.article("j-1").url == "https://x.nl/1"


# -- idempotence and updates -----------------------------------------------------------------------

def test_second_run_embeds_nothing_and_leaves_the_keyword_index(fake_bot, fake_embeddings) -> None:
    fake_bot.ingest([ARTICLES])
    calls, state, before = fake_embeddings.calls, keyword_state(fake_bot), all_chunks(fake_bot.index)
    report = fake_bot.ingest([ARTICLES])
    assert report.counts() == {"added": 0, "updated": 0, "unchanged": 3, "removed": 0, "skipped": 0}
    assert fake_embeddings.calls == calls and report.chunks_embedded == 0
    assert report.keyword_chunks is None and keyword_state(fake_bot) == state
    assert all_chunks(fake_bot.index) == before


def test_changed_article_is_updated_and_its_old_chunks_are_gone(fake_bot, articles_copy: Path) -> None:
    fake_bot.ingest([articles_copy])
    path = articles_copy / f"{BLINKEN}.txt"
    old_n = fake_bot.index.records()[BLINKEN].n_chunks
    raw = path.read_text(encoding="utf-8")
    cut = raw.index("Politieke evenwichtskunst")  # drop the second half, change one number
    path.write_text(raw[:cut].replace("25 miljoen", "40 miljoen"), encoding="utf-8")
    state = keyword_state(fake_bot)

    report = fake_bot.ingest([articles_copy])
    assert report.updated == [BLINKEN] and sorted(report.unchanged) == [i for i in SAMPLE_IDS if i != BLINKEN]
    new_n = fake_bot.index.records()[BLINKEN].n_chunks
    assert 0 < new_n < old_n and report.chunks_embedded == new_n
    mine = {i: t for i, (t, m) in all_chunks(fake_bot.index).items() if m["doc_id"] == BLINKEN}
    assert sorted(mine) == [f"{BLINKEN}#{n:05d}" for n in range(new_n)]  # no id beyond the new count
    text = " ".join(mine.values())
    assert "40 miljoen dollar" in text and "25 miljoen" not in text and "Loekasjenko zei kort na" not in text
    assert_consistent(fake_bot.index)
    # The keyword index followed, re-indexing only that article: the new number found, the dropped passage not.
    assert report.keyword_chunks == new_n and keyword_state(fake_bot) != state
    assert keyword_state(fake_bot)[1] == fake_bot.index.count()
    assert [cid for cid, _ in fake_bot.keywords.search("ijzeren broeder", 5) if cid.startswith(BLINKEN)] == []


def test_title_or_date_change_alone_counts_as_an_update(fake_bot, articles_copy: Path) -> None:
    fake_bot.ingest([articles_copy])
    path = articles_copy / f"{LAVROV}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(" date 2021-03", " date 2021-04", 1), encoding="utf-8")
    report = fake_bot.ingest([articles_copy])
    assert report.updated == [LAVROV]
    dates = {m["date"] for _, m in all_chunks(fake_bot.index).values() if m["doc_id"] == LAVROV}
    assert dates == {"2021-04"}


def test_prune_removes_only_articles_whose_files_are_gone(fake_bot, articles_copy: Path) -> None:
    fake_bot.ingest([articles_copy])
    (articles_copy / f"{LAVROV}.txt").unlink()

    kept = fake_bot.ingest([articles_copy])  # without --prune nothing is removed
    assert kept.removed == [] and LAVROV in fake_bot.index.records()

    report = fake_bot.ingest([articles_copy], prune=True)
    assert report.removed == [LAVROV] and len(report.unchanged) == 2
    assert sorted(fake_bot.index.records()) == [i for i in SAMPLE_IDS if i != LAVROV]
    assert not [m for _, m in all_chunks(fake_bot.index).values() if m["doc_id"] == LAVROV]
    assert_consistent(fake_bot.index)
    assert report.keyword_chunks == 0 and keyword_state(fake_bot)[1] == fake_bot.index.count()
    assert all(not cid.startswith(LAVROV) for cid, _ in fake_bot.keywords.search("Lavrov Wang Yi Alaska", 10))


def test_prune_keeps_articles_from_other_folders_and_drops_lines_gone_from_a_jsonl(fake_bot, tmp_path: Path) -> None:
    other, feed = tmp_path / "other", tmp_path / "feed.jsonl"
    other.mkdir()
    (other / "kaas.txt").write_text(" date 2022-06 De kaasmarkt in Gouda opende weer.", encoding="utf-8")
    line = '{{"id": "{0}", "date": "2023-01", "text": "Artikel {0} uit de feed.", "source": "NOS"}}\n'
    feed.write_text(line.format("a1") + line.format("a2"), encoding="utf-8")
    fake_bot.ingest([other, feed])

    feed.write_text(line.format("a1"), encoding="utf-8")  # a2 dropped from a file that still exists
    report = fake_bot.ingest([feed], prune=True)  # "other/" not named this time: its files still exist
    assert report.removed == ["a2"]
    assert sorted(fake_bot.index.records()) == ["a1", "kaas"]


def test_prune_reads_the_list_of_files_and_removes_exactly_the_gone_files_articles(fake_bot, tmp_path: Path,
                                                                                  monkeypatch) -> None:
    """20 files of one article, a JSONL of 5 and another folder of 3: 3 files deleted, 2 lines dropped
    and the other folder's files moved away; prune removes just those 8 articles (and forgets the
    files), without reading every record. An index made before the list of files existed gets it
    made once, and prunes the same."""
    import random

    from rag.store import NewsIndex

    def text(i: int) -> str:  # no two alike: no stories to relink
        rng = random.Random(i)
        return " ".join(rng.choice(("kaas", "haven", "storm", "dijk", "raad")) + str(rng.randrange(99)) for _ in range(30))
    folder, other = tmp_path / "in", tmp_path / "other"
    for i in range(20):
        write(folder / f"n{i:02d}.txt", f"date 2024-01\n\n{text(i)}")
    line = '{{"id": "j{0}", "date": "2024-02", "text": "{1}"}}\n'
    write(folder / "feed.jsonl", "".join(line.format(i, text(20 + i)) for i in range(5)))
    for i in range(3):
        write(other / f"o{i}.txt", text(30 + i))
    fake_bot.ingest([folder, other])
    assert len(fake_bot.index.records()) == 28

    full_reads, everything = [], NewsIndex.records
    monkeypatch.setattr(NewsIndex, "records", lambda index, doc_ids=None: (
        full_reads.extend([1] if doc_ids is None else []), everything(index, doc_ids))[1])
    for i in (3, 7, 11):
        (folder / f"n{i:02d}.txt").unlink()
    write(folder / "feed.jsonl", "".join(line.format(i, text(20 + i)) for i in (0, 2, 4)))
    (other / "o1.txt").rename(tmp_path / "o1.txt")

    report = fake_bot.ingest([folder], prune=True)  # "other/" not named: its gone file counts all the same
    assert sorted(report.removed) == ["j1", "j3", "n03", "n07", "n11", "o1"] and not full_reads
    assert len(fake_bot.index.records(sorted(report.removed))) == 0
    paths = set(fake_bot.index.files.paths())
    assert str((folder / "n03.txt").resolve()) not in paths and str((other / "o1.txt").resolve()) not in paths
    assert str((folder / "feed.jsonl").resolve()) in paths and str((other / "o0.txt").resolve()) in paths
    assert fake_bot.ingest([folder], prune=True).removed == [] and not full_reads

    (folder / "n00.txt").unlink()  # an index made before the list of files: it is made once, from every record
    fake_bot.index.client.delete_collection(f"{fake_bot.index.name}-files")
    fake_bot.index.reopen()
    assert fake_bot.ingest([folder], prune=True).removed == ["n00"] and len(full_reads) == 1
    assert fake_bot.ingest([folder], prune=True).removed == [] and len(full_reads) == 1
    assert len(everything(fake_bot.index)) == 21


def test_keyword_index_finds_dutch_words_by_stem(fake_bot) -> None:
    fake_bot.ingest([ARTICLES])
    # "exportmarkt" does not occur; "exportmarkten" does, in the chunk with the gold quote.
    (best, _), *_ = fake_bot.keywords.search("exportmarkt", 3)
    assert GOLD_QUOTE in fake_bot.index.get_chunks([best])[0].text
    (best, _), *_ = fake_bot.keywords.search("invloedssfeer", 3)
    assert best.startswith(BLINKEN)
    assert fake_bot.keywords.search("kwantumcomputer", 3) == []


def test_keyword_index_is_rebuilt_when_missing_even_if_nothing_changed(fake_bot) -> None:
    fake_bot.ingest([ARTICLES])
    state = keyword_state(fake_bot)
    fake_bot.keywords.path.unlink()
    report = fake_bot.ingest([ARTICLES])
    assert report.counts()["unchanged"] == 3 and report.keyword_chunks == fake_bot.index.count()
    assert keyword_state(fake_bot) == state


# -- interrupted runs ------------------------------------------------------------------------------

class FailingEmbeddings(BagOfWordsEmbeddings):
    """Raises on the n-th embedder call, as if the process died there."""

    def __init__(self, fail_on_call: int):
        super().__init__()
        self.fail_on_call, self.batches = fail_on_call, 0

    def embed_documents(self, texts):
        self.batches += 1
        if self.batches == self.fail_on_call:
            raise KeyboardInterrupt("killed")
        return super().embed_documents(texts)


def many_articles(folder: Path, n: int) -> Path:
    text = (ARTICLES / f"{BLINKEN}.txt").read_text(encoding="utf-8")
    for i in range(n):
        write(folder / f"variant_{i:04d}.txt", text.replace("25 miljoen", f"{i + 1} miljoen"))
    return folder


def test_run_interrupted_between_batches_is_completed_by_the_next(tmp_path: Path) -> None:
    from ingest.pipeline import EMBED_BATCH
    from newsrag.chatbot import Chatbot
    from tests.conftest import make_settings

    n = 3 * EMBED_BATCH // 11 + 1  # 11 chunks each: three embedder batches and a bit
    corpus = many_articles(tmp_path / "corpus", n)
    settings = make_settings(tmp_path / "home")
    with pytest.raises(KeyboardInterrupt):
        Chatbot(settings, embeddings=FailingEmbeddings(fail_on_call=3)).ingest([corpus])
    bot = Chatbot(settings, embeddings=BagOfWordsEmbeddings())
    done_before = set(bot.index.records())
    assert 0 < len(done_before) < n and bot.index.count() > 0

    report = bot.ingest([corpus])
    assert sorted(report.unchanged) == sorted(done_before)
    assert len(report.added) == n - len(done_before) and not report.updated
    assert len(bot.index.records()) == n
    assert_consistent(bot.index)
    assert bot.ingest([corpus]).counts()["unchanged"] == n


def test_chunks_written_without_their_record_are_rewritten_in_place(fake_bot, articles_copy: Path,
                                                                   monkeypatch) -> None:
    """The record is written last: a crash after an update's chunks but before its record leaves
    the old hash, so the next run updates the article again; no duplicates either way."""
    fake_bot.ingest([articles_copy])
    path = articles_copy / f"{BLINKEN}.txt"
    raw = path.read_text(encoding="utf-8")
    path.write_text(raw[:raw.index("Politieke evenwichtskunst")], encoding="utf-8")

    index = fake_bot.index
    real_upsert = index.articles.upsert

    def crash(**kwargs):
        raise KeyboardInterrupt("killed before the record")

    monkeypatch.setattr(index.articles, "upsert", crash)
    with pytest.raises(KeyboardInterrupt):
        fake_bot.ingest([articles_copy])
    monkeypatch.setattr(index.articles, "upsert", real_upsert)

    report = fake_bot.ingest([articles_copy])
    assert report.updated == [BLINKEN]
    assert_consistent(index)


# -- bad input in a run that goes on ----------------------------------------------------------------

def bad_folder(root: Path) -> tuple[Path, dict[str, str]]:
    """The sample articles plus one file of every bad kind; returns (folder, {file: expected words})."""
    folder = root / "in"
    for p in ARTICLES.glob("*.txt"):
        write(folder / p.name, p.read_bytes())
    write(folder / "leeg.txt", b"")
    write(folder / "plaatje.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(256))
    write(folder / "rapport.pdf", b"%PDF-1.7 ...")
    write(folder / "oud.txt", b"Een caf\xe9 in Utrecht. Tweede zin.")
    write(folder / "zonder-datum.md", "# Zonder datum\n\nDit artikel heeft geen datum. Dat mag.")
    write(folder / "feed.jsonl", "\n".join([
        json.dumps({"id": "j-ok", "date": "2024-01-05", "text": "Goed artikel. Ja."}),
        "geen json",
        json.dumps({"id": "j-leeg", "title": "Geen tekst"}),
        json.dumps({"id": "j-ok", "text": "Dubbel. Ja."}),
    ]) + "\n")
    with (folder / "groot.txt").open("wb") as fh:
        fh.write(b"Een zin. " * (50 * 2**20 // 9 + 1))
    expected = {"leeg.txt": "empty", "plaatje.txt": "binary", "rapport.pdf": "unsupported",
                "feed.jsonl:2": "not valid JSON", "feed.jsonl:3": "text", "feed.jsonl:4": "duplicate",
                "groot.txt": "too large"}
    return folder, expected


def test_bad_input_is_reported_one_line_each_and_the_rest_is_ingested(fake_bot, tmp_path: Path) -> None:
    folder, expected = bad_folder(tmp_path)
    report = fake_bot.ingest([folder])  # the 50 MB file is refused, not read (bench/loaders_bench.py times it)
    assert sorted(report.added) == sorted(SAMPLE_IDS + ["oud", "zonder-datum", "j-ok"])
    assert len(report.skipped) == len(expected)
    for where, words in expected.items():
        (line,) = [s for s in report.skipped if s.startswith(f"{folder / where}: ")]
        assert words in line and "\n" not in line
    (warning,) = report.warnings
    assert warning.startswith(f"{folder / 'oud.txt'}: ") and "cp1252" in warning
    assert fake_bot.index.article("oud").text == "Een café in Utrecht. Tweede zin."
    assert fake_bot.index.article("zonder-datum").date is None
    assert fake_bot.index.article("j-ok").text == "Goed artikel. Ja."  # the first of the duplicates
    assert_consistent(fake_bot.index)


def test_an_article_just_under_the_size_limit_is_ingested(fake_bot, tmp_path: Path) -> None:
    """~7,000 chunks: more than Chroma takes in one call (its max batch size is 5,461 here)."""
    from ingest.loaders import MAX_ARTICLE_BYTES

    paragraph = "De minister sprak met collega's over de situatie in de regio. " * 12
    path = write(tmp_path / "lang.txt", " date 2023-03 " + "\n\n".join(
        [paragraph] * int(0.98 * MAX_ARTICLE_BYTES / (len(paragraph) + 2))))
    report = fake_bot.ingest([path])
    n = fake_bot.index.records()["lang"].n_chunks
    assert report.added == ["lang"] and n > fake_bot.index.max_batch
    assert fake_bot.index.count() == n == report.chunks_embedded


def test_chunks_are_written_in_slices_of_the_store_batch_size(fake_bot, articles_copy: Path) -> None:
    fake_bot.index.max_batch = 2
    fake_bot.ingest([articles_copy])
    assert_consistent(fake_bot.index)
    path = articles_copy / f"{BLINKEN}.txt"
    raw = path.read_text(encoding="utf-8")
    path.write_text(raw[:raw.index("Politieke evenwichtskunst")], encoding="utf-8")
    assert fake_bot.ingest([articles_copy]).updated == [BLINKEN]
    assert_consistent(fake_bot.index)


def test_a_50mb_jsonl_feed_streams_through_the_pipeline(fake_bot, tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    with path.open("wb") as fh:
        fh.write(json.dumps({"id": "voor", "text": "Voor de reus. Ja."}).encode() + b"\n")
        fh.write(b'{"id": "reus", "text": "' + b"Een zin. " * (50 * 2**20 // 9) + b'"}\n')
        fh.write(json.dumps({"id": "na", "text": "Na de reus. Ja."}).encode() + b"\n")
    report = fake_bot.ingest([path])
    assert sorted(report.added) == ["na", "voor"]
    (skipped,) = report.skipped
    assert skipped.startswith(f"{path}:2: ") and "too large" in skipped


# -- the command line ------------------------------------------------------------------------------

def test_cli_exit_status_is_0_for_a_clean_run_and_reports_the_counts(run_cli, fake_embeddings) -> None:
    first = run_cli("ingest", str(ARTICLES))
    assert first.exit_code == 0, first.output
    summary = " ".join(first.stdout.split())
    assert "3 added, 0 updated, 0 unchanged, 0 removed, 0 skipped" in summary
    assert f"{fake_embeddings.calls} chunks embedded" in summary
    assert str(run_cli.home / "index") in summary  # says where the index lives

    calls = fake_embeddings.calls
    second = run_cli("ingest", str(ARTICLES))
    assert second.exit_code == 0
    assert "0 added, 0 updated, 3 unchanged, 0 removed, 0 skipped; 0 chunks embedded" in " ".join(second.stdout.split())
    assert fake_embeddings.calls == calls


def test_cli_exit_status_is_1_when_anything_was_skipped(run_cli, tmp_path: Path) -> None:
    folder, expected = bad_folder(tmp_path)
    result = run_cli("ingest", str(folder))
    assert result.exit_code == 1
    assert "6 added" in result.stdout and f"{len(expected)} skipped" in result.stdout
    stderr = " ".join(result.stderr.split())
    for where in expected:
        assert f"{folder / where}: " in stderr
    assert "cp1252" in stderr
    # A run whose only problem is a warning (cp1252) exits 0.
    warn_only = tmp_path / "warn"
    write(warn_only / "ander.txt", b"Een caf\xe9. Ja.")  # "oud" is taken by in/oud.txt
    assert run_cli("ingest", str(warn_only)).exit_code == 0


def test_cli_prints_each_skipped_file_on_one_line(run_cli, tmp_path: Path) -> None:
    folder, expected = bad_folder(tmp_path / ("a-long-folder-name-" * 3))
    result = run_cli("ingest", str(folder))
    lines = result.stderr.splitlines()
    for where, words in expected.items():
        assert any(f"{folder / where}: " in line and words in line for line in lines), where
