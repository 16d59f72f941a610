"""One answer per story: near-duplicates found at ingest (MinHash), linked in the records, collapsed in
retrieval to the newest version, and shown as "also in …" — with the fake embedder and with the real
one on Chroma."""

from __future__ import annotations

from pathlib import Path

from rag import stories
from rag.answer import AlsoIn, Answer, Source
from tests.conftest import ARTICLES, make_settings
from tests.test_loaders import BLINKEN, GOLD_QUOTE, write

QUESTION = "Hoeveel extra geld zegde Blinken de regio toe?"
BODY = (ARTICLES / f"{BLINKEN}.txt").read_text(encoding="utf-8").split(" ", 3)[3]  # without " date 2023-03 "
UPDATE = ("\n\nUpdate: Blinken maakte donderdag bekend dat de Verenigde Staten ook een regionaal "
          "veiligheidsoverleg met de vijf landen willen beginnen.")


def plant(folder: Path) -> Path:
    """The sample articles, and Blinken's story three times: two papers on 2023-03-01 (one with a
    trimmed ending and its own headline), and an updated version on 2023-03-03."""
    for p in ARTICLES.glob("*.txt"):
        if p.stem != BLINKEN:
            write(folder / p.name, p.read_bytes())
    paragraphs = BODY.split("\n\n")
    write(folder / "krant-a.txt", f"date 2023-03-01\n# Blinken zoekt steun in Centraal-Azië\n\n{BODY}")
    write(folder / "krant-b.txt", "date 2023-03-01\n# VS beloven Centraal-Azië extra geld\n\n"
                                  + "\n\n".join(paragraphs[:-2]))
    write(folder / "krant-a-update.txt", f"date 2023-03-03\n# Blinken zoekt steun in Centraal-Azië (bijgewerkt)\n\n"
                                         f"{BODY}{UPDATE}")
    return folder


# -- MinHash ------------------------------------------------------------------------------------------

def test_signatures_tell_versions_from_other_stories() -> None:
    other = (ARTICLES / "004_c8f14cc41eaac8fb.txt").read_text(encoding="utf-8")
    sig = {name: stories.signature(text) for name, text in
           {"a": BODY, "trimmed": "\n\n".join(BODY.split("\n\n")[:-2]), "update": BODY + UPDATE,
            "edited": BODY.replace("Blinken", "minister Blinken"), "other": other}.items()}
    for name in ("trimmed", "update", "edited"):
        assert stories.same_story(*sig["a"], *sig[name]), name
    assert not stories.same_story(*sig["a"], *sig["other"])
    assert stories.decode(stories.encode(*sig["a"]))[1] == sig["a"][1]
    assert (stories.decode(stories.encode(*sig["a"]))[0] == sig["a"][0]).all()
    assert stories.decode("garbage") is None and stories.decode("") is None
    found = stories.stories(sig)
    assert found["a"] == ("edited", "trimmed", "update") and "other" not in found


def test_collapse_keeps_the_newest_retrieved_version_in_place() -> None:
    from rag.store import Hit

    def hit(doc: str, date: str, n: int = 0) -> Hit:
        return Hit(f"{doc}#{n:05d}", doc, doc, date, "t", 0, 1, "", 0.9)

    hits = [hit("a", "2023-03-01"), hit("x", "2023-01-01"), hit("b", "2023-03-03"), hit("b", "2023-03-03", 1),
            hit("c", "")]
    dups = {"a": ("b", "c"), "b": ("a", "c"), "c": ("a", "b")}
    assert [h.chunk_id for h in stories.collapse(hits, dups)] == ["x#00000", "b#00000", "b#00001"]
    assert stories.collapse(hits, {}) == hits


# -- ingest and answers -------------------------------------------------------------------------------

def test_a_planted_duplicate_is_answered_once_with_also_in(fake_bot, tmp_path: Path) -> None:
    report = fake_bot.ingest([plant(tmp_path / "in")])
    assert report.linked == ["krant-a ~ krant-a-update ~ krant-b"]
    records = fake_bot.index.records()
    assert records["krant-a"].dups == ("krant-a-update", "krant-b")
    assert not any(r.dups for d, r in records.items() if not d.startswith("krant-"))

    answer = fake_bot.ask(QUESTION, mode="extractive")
    docs = [s.doc_id for s in answer.sources]
    assert sum(d.startswith("krant-") for d in docs) >= 1
    assert {d for d in docs if d.startswith("krant-")} == {"krant-a-update"}  # one version: the newest
    (cited,) = {c.doc_id for c in answer.citations}
    assert cited == "krant-a-update" and answer.citations[0].date == "2023-03-03"
    source = next(s for s in answer.sources if s.doc_id == "krant-a-update")
    assert [(a.doc_id, a.date) for a in source.also_in] == [("krant-b", "2023-03-01"), ("krant-a", "2023-03-01")]
    assert source.also_in[0].title == "VS beloven Centraal-Azië extra geld"
    assert all(not s.also_in for s in answer.sources if s.doc_id != "krant-a-update")

    # search too; and deleting a version unlinks it from the others
    assert {h.doc_id for h in fake_bot.search(QUESTION, k=5) if h.doc_id.startswith("krant-")} == {"krant-a-update"}
    assert fake_bot.delete("krant-a-update")
    assert fake_bot.index.records(["krant-a"])["krant-a"].dups == ("krant-b",)
    left = {s.doc_id for s in fake_bot.ask(QUESTION, mode="extractive").sources if s.doc_id.startswith("krant-")}
    assert len(left) == 1 and left <= {"krant-a", "krant-b"}  # still one story: one version answers


def test_an_index_without_signatures_is_linked_on_the_next_ingest(fake_bot, tmp_path: Path) -> None:
    folder = plant(tmp_path / "in")
    fake_bot.ingest([folder])
    records = fake_bot.index.records()
    fake_bot.index.update_records({d: {"minhash": "", "dups": ""} for d in records})  # as an older version left it,
    fake_bot.index.client.delete_collection(f"{fake_bot.index.name}-story-keys")  # without band keys
    fake_bot.index.reopen()
    assert not fake_bot.index.story_keys.complete
    report = fake_bot.ingest([folder])
    assert fake_bot.index.story_keys.complete and fake_bot.index.story_keys.pending() == []
    assert sorted(fake_bot.index.story_keys.ids()) == sorted(records)
    assert report.counts()["unchanged"] == len(records) and report.linked == ["krant-a ~ krant-a-update ~ krant-b"]
    assert fake_bot.index.records(["krant-b"])["krant-b"].dups == ("krant-a", "krant-a-update")


def test_the_api_and_the_ui_show_also_in_as_text(fake_bot, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from newsrag.http.server import create_app
    from ui import render

    fake_bot.ingest([plant(tmp_path / "in")])
    body = TestClient(create_app(fake_bot, ui=False)).post(
        "/ask", json={"question": QUESTION, "mode": "extractive"}).json()
    (source,) = [s for s in body["sources"] if s["doc_id"].startswith("krant-")][:1]
    assert [a["doc_id"] for a in source["also_in"]] == ["krant-b", "krant-a"]
    client = TestClient(create_app(fake_bot, ui=False))
    hits = client.post("/search", json={"query": QUESTION, "k": 5}).json()["hits"]
    assert {a["doc_id"] for h in hits if h["doc_id"] == "krant-a-update" for a in h["also_in"]} == {"krant-a", "krant-b"}
    assert all(h["also_in"] == [] for h in hits if not h["doc_id"].startswith("krant-"))

    evil = Source(n=1, chunk_id="x#00000", doc_id="x", title="t", date="2024-01-02", text="t", start=0, end=1,
                  score=0.9, also_in=[AlsoIn(doc_id="y", title="<img src=x onerror=alert(1)>", date="2024-01-01")])
    html = render.sources_html(Answer(question="q", answer="a", language="nl", sources=[evil]), {})
    assert "ook in: " in html and "&lt;img src=x onerror=alert(1)&gt; (2024-01-01)" in html and "<img" not in html
    assert "also in: " in render.pending_sources_html([evil], "en")


def test_with_the_real_embedder_and_chroma(tmp_path: Path, real_embeddings) -> None:
    from newsrag.chatbot import Chatbot

    bot = Chatbot(make_settings(tmp_path / "home", answer_mode="extractive"), embeddings=real_embeddings)
    bot.ingest([plant(tmp_path / "in")])
    for question in (QUESTION, "How much extra money did Blinken promise the region?"):
        hits = bot.search(question, k=5)
        assert len({h.doc_id for h in hits if h.doc_id.startswith("krant-")}) == 1, [h.chunk_id for h in hits]
        assert any(GOLD_QUOTE in h.text for h in hits)  # recall kept: the gold passage is still found
    answer = bot.ask(QUESTION)
    assert {c.doc_id for c in answer.citations} == {"krant-a-update"}
    assert any(GOLD_QUOTE in c.quote for c in answer.citations)
    assert answer.citations[0].date == "2023-03-03"
    for source in answer.sources:  # several passages of the one version; each names the others
        assert {a.doc_id for a in source.also_in} == ({"krant-a", "krant-b"} if source.doc_id.startswith("krant-")
                                                     else set())


def test_linking_finds_the_one_copy_among_many() -> None:
    """How fast linking is: docs/benchmarks.md (bench/stories_bench.py)."""
    import numpy as np

    rng = np.random.default_rng(0)
    sigs = {f"d{i}": (rng.integers(0, 2**32, stories.NUM_PERM, dtype=np.uint64).astype(np.uint32), 400)
            for i in range(2000)}
    sigs["copy"] = sigs["d7"]
    assert stories.stories(sigs) == {"copy": ("d7",), "d7": ("copy",)}


def test_the_cli_names_the_stories_it_linked(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSRAG_MIN_SCORE", "0")  # the fake embedder's similarities are low
    result = run_cli("ingest", str(plant(tmp_path / "in")))
    assert result.exit_code == 0, result.output
    assert "one story: krant-a ~ krant-a-update ~ krant-b" in result.stdout
    assert "one story" not in run_cli("ingest", str(tmp_path / "in")).stdout  # nothing new
    asked = run_cli("ask", "--mode", "extractive", QUESTION)
    assert asked.exit_code == 0, asked.output
    assert "also in: VS beloven Centraal-Azië extra geld (2023-03-01, krant-b); Blinken zoekt steun" in \
        " ".join(asked.stdout.split())


def test_updating_a_linked_article_keeps_its_story_and_reports_nothing_new(fake_bot, tmp_path: Path) -> None:
    folder = plant(tmp_path / "in")
    fake_bot.ingest([folder])
    write(folder / "krant-b.txt", (folder / "krant-b.txt").read_text(encoding="utf-8") + "\n\nEen correctie.")
    report = fake_bot.ingest([folder])
    assert report.updated == ["krant-b"] and report.linked == []
    assert fake_bot.index.records(["krant-b"])["krant-b"].dups == ("krant-a", "krant-a-update")


# -- linking around what changed ------------------------------------------------------------------------

def paragraphs(seed: int, n: int) -> list[str]:
    """``n`` paragraphs of 40 words drawn from a small made-up vocabulary."""
    import random

    rng = random.Random(seed)
    words = [f"{a}{b}" for a in ("kaas", "haven", "storm", "raad", "dijk", "boer") for b in ("en", "ing", "aar", "loos")]
    return [" ".join(rng.choice(words) + str(rng.randrange(50)) for _ in range(40)) for _ in range(n)]


def assert_as_a_full_pass(bot, full_reads: list | None = None) -> dict[str, tuple[str, ...]]:
    """The stored stories are those of a pass over all signatures (and, given ``full_reads``, were
    found without reading every record)."""
    assert not full_reads, "every record read"
    records = bot.index.records()
    if full_reads is not None:
        full_reads.clear()
    full = stories.stories({d: stories.decode(r.minhash) for d, r in records.items()})
    assert {d: r.dups for d, r in records.items() if r.dups} == full
    assert bot.index.story_keys.pending() == []
    return full


def test_linking_around_what_changed_gives_the_stories_of_a_full_pass(fake_bot, tmp_path: Path, monkeypatch) -> None:
    """A chain a ~ b ~ c (a and c alone are not one story), a pair d ~ d2 and unrelated articles, then
    additions, an update that breaks the chain, a new link that mends it, a prune and a delete: after
    each, the stored stories are those of a pass over every signature, found without reading every
    record."""
    from rag import story_links
    from rag.store import NewsIndex

    monkeypatch.setattr(story_links, "FULL_SHARE", 1.0)  # always around what changed
    p = paragraphs(1, 11)
    folder = tmp_path / "in"
    texts = {"a": p[:6], "b": p[:10], "c": p[2:11], "d": paragraphs(2, 6),
             **{f"x{i}": paragraphs(10 + i, 6) for i in range(15)}}
    texts["d2"] = texts["d"][:5] + ["Een nieuwe slotalinea met andere woorden dan de rest."]
    for name, paras in texts.items():
        write(folder / f"{name}.txt", "date 2024-01\n\n" + "\n\n".join(paras))
    fake_bot.ingest([folder])
    assert assert_as_a_full_pass(fake_bot) == {"a": ("b", "c"), "b": ("a", "c"), "c": ("a", "b"),
                                               "d": ("d2",), "d2": ("d",)}

    everything, full_reads = NewsIndex.records, []

    def records(index, doc_ids=None):
        full_reads.extend([1] if doc_ids is None else [])
        return everything(index, doc_ids)
    monkeypatch.setattr(NewsIndex, "records", records)

    write(folder / "e.txt", "date 2024-02\n\n" + "\n\n".join(texts["d"] + paragraphs(3, 1)))  # d, updated
    write(folder / "y.txt", "date 2024-02\n\n" + "\n\n".join(paragraphs(4, 6)))
    assert fake_bot.ingest([folder]).linked == ["d ~ d2 ~ e"]
    assert_as_a_full_pass(fake_bot, full_reads)

    write(folder / "b.txt", "date 2024-01\n\n" + "\n\n".join(paragraphs(5, 8)))  # the chain's middle, rewritten
    assert fake_bot.ingest([folder]).linked == []
    assert "c" not in assert_as_a_full_pass(fake_bot, full_reads).get("a", ())

    write(folder / "b2.txt", "date 2024-03\n\n" + "\n\n".join(p[:10]))  # and back, under another name
    assert fake_bot.ingest([folder]).linked == ["a ~ b2 ~ c"]
    assert_as_a_full_pass(fake_bot, full_reads)

    (folder / "d.txt").unlink()
    report = fake_bot.ingest([folder], prune=True)
    assert report.removed == ["d"] and "d" not in fake_bot.index.story_keys.ids()
    assert_as_a_full_pass(fake_bot, full_reads)

    assert fake_bot.delete("b2")
    assert assert_as_a_full_pass(fake_bot, full_reads).get("a", ()) == ()


def test_a_run_killed_before_linking_is_linked_by_the_next(fake_bot, tmp_path: Path, monkeypatch) -> None:
    from ingest import pipeline

    monkeypatch.setattr(pipeline, "link_stories", lambda index, before=None: [])  # killed before linking
    fake_bot.ingest([plant(tmp_path / "in")])
    assert fake_bot.index.records(["krant-a"])["krant-a"].dups == ()
    assert "krant-a" in fake_bot.index.story_keys.pending()
    monkeypatch.undo()
    assert fake_bot.ingest([tmp_path / "in"]).linked == ["krant-a ~ krant-a-update ~ krant-b"]
    assert_as_a_full_pass(fake_bot)


class _Index:
    """Records and chunks from memory, counting the records read."""

    def __init__(self, read: list[str], dates: dict, dups: dict, hits: list):
        self.read, self.dates, self.dups, self.hits = read, dates, dups, hits

    def records(self, doc_ids):
        from rag.records import ArticleRecord

        self.read.extend(doc_ids)
        return {d: ArticleRecord(d, "h", 1, d, self.dates[d], "", dups=self.dups.get(d, ())) for d in doc_ids}

    def chunk_records(self, chunk_ids, include):
        got = [h for h in self.hits if h.chunk_id in chunk_ids]
        return {"ids": [h.chunk_id for h in got], "documents": ["t"] * len(got), "embeddings": [[0.0]] * len(got),
                "metadatas": [{"doc_id": h.doc_id, "title": h.doc_id, "date": h.date, "start": 0, "end": 1}
                              for h in got]}


def test_retrieval_reads_the_stories_of_the_first_articles_only_and_collapses_as_a_read_of_all(fake_embeddings) -> None:
    """Random rankings of 60 chunks over 50 articles, most of them in stories, half of the chunks found
    by keyword search only: the first k kept equal collapsing with every article's story and date
    known, mostly reading fewer records."""
    import random

    from rag.retrieval import Retriever
    from rag.store import Hit

    rng = random.Random(5)
    fewer = 0
    for trial in range(300):
        docs = [f"d{i:02d}" for i in range(50)]
        rng.shuffle(docs)
        groups, i = [], 0
        while i < 40:  # most articles in stories of 2 to 5: many kept chunks lie past the first read
            size = rng.randint(2, 5)
            groups, i = groups + [docs[i:i + size]], i + size
        dups = {d: tuple(x for x in g if x != d) for g in groups for d in g}
        dates = {d: f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}" for d in docs}
        hits = [Hit(f"{d}#{n:05d}", d, d, dates[d], "t", 0, 1, "", 0.0)
                for d, n in {(rng.choice(docs), rng.randrange(2)) for _ in range(60)}]
        rng.shuffle(hits)
        dense = {h.chunk_id: h for h in hits if rng.random() < 0.5}
        read: list[str] = []
        k = rng.randint(1, 5)
        got = Retriever(_Index(read, dates, dups, hits), fake_embeddings, bm25_weight=0.3, fetch_k=20)._best([h.chunk_id for h in hits], dense, [0.0], k)
        assert [h.chunk_id for h in got] == [h.chunk_id for h in stories.collapse(hits, dups)[:k]], trial
        assert len(read) == len(set(read))
        fewer += len(read) < len({h.doc_id for h in hits})
    assert fewer > 150
