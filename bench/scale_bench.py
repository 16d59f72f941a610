"""Scale benchmark: the store and the keyword index at 10k and N chunks (default 100k), not the model.

    .venv/bin/python bench/scale_bench.py --chunks 100000 --json bench/out/scale.json

For each size it generates an archive (JSONL, articles of 7 paragraphs = 7 chunks of ~750 characters,
words drawn Zipf-like from a 40k-word vocabulary: Dutch function words at the top, then made-up
Dutch-looking words; dates 2000-2024) and ingests
it through the real pipeline (``ingest.pipeline.ingest``: Chroma, keyword index, change log) with a
cheap deterministic embedder (hashed words into 384 dimensions, like multilingual-e5-small's), so a
100k run takes minutes. Then, per size:

  incremental_10_s   10 new articles (a file of their own; 3 of them edited copies of archive
                     articles, so they are linked into stories) ingested into the archive, embedding
                     time subtracted
  noop_reingest_s    the whole archive ingested again, unchanged (read, hash, compare: nothing written)
  noop_prune_s       the same with --prune (nothing is gone)
  prune_10_s         the 10 articles' file deleted, its folder ingested with --prune: the 10 removed
                     and their stories unlinked
  worker_fill_s      a new worker's own keyword index filled from the store (once per home)
  worker_catch_up_10_s  that worker catching up with the 10 new articles from the change log
  *_p50/p95_ms       in a fresh serving process: dense (Chroma), keyword (FTS5) and hybrid retrieval
                     of 200 generated queries, hybrid also with a one-year date filter (query
                     embedding excluded: it is the model's cost, measured in docs/benchmarks.md)
  serve_rss_mb       peak RSS of that serving process (index opened, all queries run)
  index_mb           the index folder on disk (Chroma + keyword index)

The JSON has the figures of the largest size at the top level (the keys the issue lists), each
size under ``sizes``, the growth from the smallest to the largest under ``growth``, and the load
average before and after. What it leaves out: the real embedder (its speed is in
docs/benchmarks.md), a Chroma server (embedded Chroma here), and concurrency.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from langchain_core.embeddings import Embeddings  # noqa: E402

DIM = 384
PARAGRAPHS = 7  # = chunks per article
COPIES = 3  # of the 10 new articles, edited copies of archive articles
KEYS = ("chunks", "dense_p95_ms", "keyword_p95_ms", "hybrid_p95_ms", "hybrid_dated_p95_ms", "incremental_10_s",
        "noop_reingest_s", "serve_rss_mb", "index_mb")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class HashedWords(Embeddings):
    """Deterministic and cheap: each word adds +-1 at two hashed positions; unit length."""

    def __init__(self) -> None:
        self.seconds = 0.0  # time spent embedding, to subtract from ingest times

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(DIM, dtype=np.float32)
        for word in text.lower().split():
            h = zlib.crc32(word.encode())
            v[h % DIM] += 1.0
            v[(h >> 9) % DIM] -= 0.5
        return v / max(float(np.linalg.norm(v)), 1e-9)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        t0 = time.perf_counter()
        out = [self._vec(t).tolist() for t in texts]
        self.seconds += time.perf_counter() - t0
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text).tolist()

    @property
    def identity(self):
        from rag.embedder_id import EmbedderId

        return EmbedderId("bench-hashed-words", "none", DIM)


def vocabulary(n: int = 40_000, seed: int = 7) -> list[str]:
    """Dutch function words at the top ranks (as in real text, about half the tokens, dropped by the
    analyzer), then made-up content words."""
    from rag.stopwords import DUTCH

    rng = random.Random(seed)
    onsets = ["", "b", "d", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "st", "sch", "kr", "gr"]
    vowels = ["a", "e", "i", "o", "u", "aa", "ee", "oo", "ij", "ou", "ui", "ie", "eu"]
    codas = ["", "n", "r", "s", "t", "k", "l", "ng", "rd", "cht", "ld", "st"]
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                          for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
    function = sorted(DUTCH)
    return function + sorted(words - set(function))[:n - len(function)]


class Writer:
    """Articles of ``PARAGRAPHS`` paragraphs of ~750 characters, words drawn Zipf-like."""

    def __init__(self, seed: int) -> None:
        self.words = vocabulary()
        self.rng = np.random.default_rng(seed)
        ranks = np.arange(1, len(self.words) + 1)
        self.cdf = np.cumsum(1 / ranks ** 1.05)
        self.cdf /= self.cdf[-1]

    def sentence(self) -> str:
        picks = np.minimum(np.searchsorted(self.cdf, self.rng.random(int(self.rng.integers(8, 16)))),
                           len(self.words) - 1)
        text = " ".join(self.words[i] for i in picks)
        return text[0].upper() + text[1:] + "."

    def paragraph(self) -> str:
        out = []
        while sum(len(s) + 1 for s in out) < 730:
            out.append(self.sentence())
        return " ".join(out)

    def article(self, n: int) -> dict:
        day = 1 + n * 7919 % (25 * 365)
        year, rest = 2000 + day // 365, day % 365
        return {"id": f"a{n:07d}", "date": f"{year}-{1 + rest // 31 % 12:02d}-{1 + rest % 28:02d}",
                "title": self.sentence()[:60], "text": "\n\n".join(self.paragraph() for _ in range(PARAGRAPHS))}


def write_archive(path: Path, articles: range, seed: int, copies_of: Path | None = None) -> None:
    """Articles ``articles`` as JSONL; with ``copies_of``, the last ``COPIES`` are edited copies of that
    archive's first ones (one sentence changed): another paper's version of the same story."""
    writer = Writer(seed)
    firsts = []
    if copies_of is not None:
        with copies_of.open(encoding="utf-8") as archive:
            firsts = [json.loads(next(archive)) for _ in range(COPIES)]
    with path.open("w", encoding="utf-8") as out:
        for i, n in enumerate(articles):
            article = writer.article(n)
            if firsts and i >= len(articles) - COPIES:
                paragraphs = firsts[i - (len(articles) - COPIES)]["text"].split("\n\n")
                paragraphs[1] = paragraphs[1].replace(paragraphs[1].split(". ")[1], writer.sentence().rstrip("."), 1)
                article["text"] = "\n\n".join(paragraphs)
            out.write(json.dumps(article) + "\n")


def queries(n: int, seed: int = 11) -> list[str]:
    writer = Writer(seed)
    return [" ".join(writer.sentence().rstrip(".").split()[:6]) for _ in range(n)]


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def build(home: Path, n_chunks: int) -> dict:
    from newsrag.chatbot import Chatbot
    from tests.conftest import make_settings

    n_articles = n_chunks // PARAGRAPHS
    archive, extra = home / "archive.jsonl", home / "extra" / "extra.jsonl"
    extra.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    write_archive(archive, range(n_articles), seed=1)
    write_archive(extra, range(n_articles, n_articles + 10), seed=2, copies_of=archive)
    log(f"{n_articles} articles generated in {time.perf_counter() - t0:.1f}s")

    embeddings = HashedWords()
    bot = Chatbot(make_settings(home, answer_mode="extractive"), embeddings=embeddings)
    t0 = time.perf_counter()
    report = bot.ingest([archive])
    build_s = time.perf_counter() - t0
    chunks = bot.index.count()
    build_embedding_s = embeddings.seconds
    log(f"built: {chunks} chunks in {build_s:.1f}s (embedding {build_embedding_s:.1f}s)")

    # Another worker's own keyword index (a new home on a shared Chroma server): filled once.
    from rag.keyword import KeywordIndex
    from rag.keyword_sync import sync

    other = KeywordIndex(home / "other-worker")
    t0 = time.perf_counter()
    sync(other, bot.index)
    fill = time.perf_counter() - t0
    log(f"a new worker's keyword index filled in {fill:.1f}s")

    embeddings.seconds = 0.0
    t0 = time.perf_counter()
    report = bot.ingest([extra.parent])  # 10 new articles arrive in a file of their own
    incremental = time.perf_counter() - t0 - embeddings.seconds
    assert len(report.added) == 10 and report.keyword_chunks == 10 * PARAGRAPHS, report.counts()
    assert len(report.linked) == COPIES, report.linked
    log(f"10-article incremental ingest: {incremental:.2f}s (+{embeddings.seconds:.2f}s embedding)")
    t0 = time.perf_counter()
    assert sync(other, bot.index) == 10 * PARAGRAPHS
    catch_up = time.perf_counter() - t0
    log(f"the other worker caught up in {catch_up:.3f}s")
    shutil.rmtree(home / "other-worker")

    t0 = time.perf_counter()
    report = bot.ingest([archive, extra.parent])
    noop = time.perf_counter() - t0
    assert not report.changed and report.chunks_embedded == 0, report.counts()
    log(f"no-op re-ingest: {noop:.2f}s")
    t0 = time.perf_counter()
    report = bot.ingest([archive, extra.parent], prune=True)
    noop_prune = time.perf_counter() - t0
    assert not report.changed, report.counts()
    log(f"no-op re-ingest with --prune: {noop_prune:.2f}s")

    index_mb = folder_mb(home / "index")
    extra.unlink()
    t0 = time.perf_counter()
    report = bot.ingest([extra.parent], prune=True)  # the 10 articles' file is gone
    prune = time.perf_counter() - t0
    assert len(report.removed) == 10, report.counts()
    assert not any(r.dups for r in bot.index.records([f"a{n:07d}" for n in range(COPIES)]).values())
    log(f"prune of the 10: {prune:.2f}s")
    return {"chunks": chunks, "articles": n_articles + 10, "build_s": round(build_s, 1),
            "build_embedding_s": round(build_embedding_s, 1), "incremental_10_s": round(incremental, 3),
            "noop_reingest_s": round(noop, 2), "noop_prune_s": round(noop_prune, 2), "prune_10_s": round(prune, 3),
            "worker_fill_s": round(fill, 1), "worker_catch_up_10_s": round(catch_up, 3), "index_mb": round(index_mb, 1)}


def serve(home: Path, n_queries: int) -> dict:
    """Run in a fresh process: open the index, run the queries, report latencies and peak RSS."""
    from eval.metrics import percentile
    from newsrag.chatbot import Chatbot
    from rag.dates import DateFilter
    from rag.retrieval import Retriever
    from tests.conftest import make_settings

    embeddings = HashedWords()
    bot = Chatbot(make_settings(home, answer_mode="extractive"), embeddings=embeddings)
    hybrid = bot.retriever  # opens Chroma and the keyword index
    dense = Retriever(bot.index, embeddings, None, bm25_weight=0.0, fetch_k=bot.settings.fetch_k)
    qs = queries(n_queries)
    vectors = {q: embeddings.embed_query(q) for q in qs}  # the model's cost is not measured here
    embeddings.embed_query = lambda q: vectors[q]  # type: ignore[method-assign]
    year = DateFilter("2012-01-01", "2012-12-31")
    runs = {"dense": lambda q: dense.retrieve(q, 5), "keyword": lambda q: bot.keywords.search(q, 20),
            "hybrid": lambda q: hybrid.retrieve(q, 5), "hybrid_dated": lambda q: hybrid.retrieve(q, 5, year)}
    out: dict = {}
    for name, run in runs.items():
        for q in qs[:10]:
            run(q)  # warm up: pages in, caches
        times = []
        for q in qs:
            t0 = time.perf_counter()
            found = run(q)
            times.append((time.perf_counter() - t0) * 1000)
        assert found is not None
        out[f"{name}_p50_ms"] = round(percentile(times, 50), 2)
        out[f"{name}_p95_ms"] = round(percentile(times, 95), 2)
    out["serve_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def measure(size: int, work: Path, n_queries: int) -> dict:
    home = work / f"home-{size}"
    figures = build(home, size)
    proc = subprocess.run([sys.executable, __file__, "--serve", str(home), "--queries", str(n_queries)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"serving process failed:\n{proc.stderr[-3000:]}")
    figures.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    log(f"{size}: {figures}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000, help="the smaller size the growth is measured from")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="build the indexes here and keep them")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(serve(args.serve, args.queries)))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="newsrag-scale-"))
    load_before = os.getloadavg()
    try:
        sizes = {n: measure(n, work, args.queries) for n in sorted({args.small, args.chunks})}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    small, large = sizes[min(sizes)], sizes[max(sizes)]
    growth = {k: round(large[k] / small[k], 2) for k in large if isinstance(large[k], (int, float)) and small.get(k)}
    result = {**{k: large[k] for k in KEYS}, "sizes": {str(n): f for n, f in sizes.items()}, "growth": growth,
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
