"""Ingest benchmark: newsrag's pipeline against a plain LangChain pipeline, same model, same corpus.

    .venv/bin/python bench/ingest_bench.py            # N = 1000 synthetic articles
    .venv/bin/python bench/ingest_bench.py --n 200 --json bench/out/ingest.json

The corpus is N variants of the three sample articles (new ids and dates, paragraphs swapped, names
and numbers replaced, so no two texts are equal). Each phase runs in its own process, as a user's
command would, and reports wall time (process start to exit, model load included), ingest time,
chunks/s, peak RSS and index size on disk:

  newsrag 1st   ``Chatbot.ingest`` into an empty home (Chroma + BM25 index), with the app's default
                embedder (multilingual-e5-small on onnxruntime, int8) unless ``--model`` names
                another folder (then sentence-transformers)
  newsrag 2nd   the same command again on unchanged input (content hashes: nothing to embed)
  langchain 1st the tutorial pipeline: RecursiveCharacterTextSplitter(800, 80) +
                HuggingFaceEmbeddings(<local e5 folder>, normalize) + Chroma.from_documents
  langchain 2nd that script run again, as its user would: it has no dedup, so it embeds everything
                again (and the collection holds every chunk twice)

Progress goes to stderr; the summary and the ratios to stdout. What it leaves out: query speed,
and GPU (there is none here).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "articles"
DEFAULT_MODEL = ROOT / ".newsrag" / "models" / "multilingual-e5-small"

# Names swapped in the variants: (name in the samples, replacements).
NAMES = [
    ("Blinken", ["Rubio", "Kerry", "Pompeo", "Albright", "Powell"]),
    ("Xi Jinping", ["Hu Jintao", "Li Qiang", "Wen Jiabao"]),
    ("Loekasjenko", ["Tichanovskaja", "Makei", "Golovtsjenko"]),
    ("Lavrov", ["Sjojgoe", "Medvedev", "Peskov"]),
    ("Kazachstan", ["Oezbekistan", "Kirgizië", "Tadzjikistan"]),
    ("Astana", ["Tasjkent", "Bisjkek", "Doesjanbe"]),
    ("Wang Yi", ["Qin Gang", "Li Zhaoxing", "Yang Jiechi"]),
]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- corpus ----------------------------------------------------------------------------------------

def make_corpus(folder: Path, n: int, seed: int = 1) -> tuple[int, int]:
    """Write ``n`` variant articles in the sample format; returns (files, bytes)."""
    rng = random.Random(seed)
    samples = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))]
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        body = samples[i % len(samples)].split(" ", 3)[3]  # drop " date YYYY-MM "
        paras = body.split("\n\n")
        for _ in range(3):  # swap body paragraphs, never the opening one
            a, b = rng.randrange(1, len(paras)), rng.randrange(1, len(paras))
            paras[a], paras[b] = paras[b], paras[a]
        text = "\n\n".join(paras)
        for name, others in NAMES:
            if rng.random() < 0.6:
                text = text.replace(name, rng.choice(others))
        text = re.sub(r"\d+", lambda m: str(rng.randint(2, 999)) if len(m.group()) < 4 else m.group(), text)
        text += f"\n\nDit is variant {i} van de benchmark, gemaakt met zaad {rng.randint(0, 10**9)}."
        stamp = f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}"
        path = folder / f"bench_{i:05d}.txt"
        path.write_text(f" date {stamp} {text}", encoding="utf-8")
        total += path.stat().st_size
    return n, total


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def cpu_s() -> float:
    """CPU seconds of this process (all threads): on a shared machine, steadier than wall time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- phases (each in its own process) ----------------------------------------------------------------

def phase_newsrag(corpus: Path, home: Path, model: Path) -> dict:
    t0 = time.perf_counter()
    from newsrag.chatbot import Chatbot
    from rag.settings import Settings

    if Path(model).resolve() == DEFAULT_MODEL.resolve():  # the app's default embedder (ONNX once exported)
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "models").exists():
            (home / "models").symlink_to(DEFAULT_MODEL.parent)
        bot = Chatbot(Settings(home=home))
    else:
        bot = Chatbot(Settings(home=home, embed_model=str(model)))
    if not (home / "index").exists():  # a first run: load the model now, to time it apart from the ingest
        log(f"newsrag embedder: {bot.embeddings!r}")  # (a rerun loads it only if something needs embedding)
    t1, c1 = time.perf_counter(), cpu_s()
    last = [0.0]

    def progress(done: int, total: int, chunks: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 10 or done == total:
            last[0] = now
            rate = chunks / (now - t1) if now > t1 else 0.0
            log(f"newsrag: {done / 2**20:.1f}/{total / 2**20:.1f} MB read, {chunks} chunks embedded "
                f"({rate:.1f} chunks/s)")

    report = bot.ingest([corpus], progress=progress)
    t2 = time.perf_counter()
    chunks = bot.index.count()
    return {"load_s": t1 - t0, "ingest_s": t2 - t1, "ingest_cpu_s": cpu_s() - c1, "embedded": report.chunks_embedded,
            "chunks_in_index": chunks,
            "counts": report.counts(), "peak_rss_mb": peak_rss_mb(), "index_bytes": folder_size(home / "index")}


def phase_langchain(corpus: Path, store: Path, model: Path) -> dict:
    """The tutorial: load files, split, embed, Chroma.from_documents. Nothing more."""
    t0 = time.perf_counter()
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = HuggingFaceEmbeddings(model_name=str(model), model_kwargs={"device": "cpu"},
                                       encode_kwargs={"normalize_embeddings": True}, show_progress=True)
    t1, c1 = time.perf_counter(), cpu_s()
    docs = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": str(p)})
            for p in sorted(corpus.glob("*.txt"))]
    chunks = RecursiveCharacterTextSplitter(chunk_size=800, chunk_overlap=80).split_documents(docs)
    log(f"langchain: {len(docs)} documents, {len(chunks)} chunks; embedding (progress bar below)")
    db = Chroma.from_documents(chunks, embeddings, persist_directory=str(store))
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "ingest_s": t2 - t1, "ingest_cpu_s": cpu_s() - c1, "embedded": len(chunks),
            "chunks_in_index": db._collection.count(),
            "peak_rss_mb": peak_rss_mb(), "index_bytes": folder_size(store)}


def run_phase(name: str, *args: str) -> dict:
    """Run one phase as a child process; its JSON result plus the wall time seen from outside."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "PYTHONPATH": str(ROOT)}
    log(f"--- {name} ---")
    load = os.getloadavg()[0]
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--phase", *args], env=env, cwd=ROOT,
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    result["load_avg"] = [load, os.getloadavg()[0]]  # 1-minute load average at start and end
    log(f"{name}: {result['wall_s']:.1f} s wall, {result['embedded']} chunks embedded")
    return result


# -- report ----------------------------------------------------------------------------------------

def summary(n: int, corpus_bytes: int, results: dict[str, dict]) -> str:
    lines = [f"corpus: {n} articles, {corpus_bytes / 2**20:.1f} MB",
             f"{'phase':<14} {'wall s':>8} {'load s':>7} {'ingest s':>9} {'CPU s':>7} {'embedded':>9} {'chunks/s':>9} "
             f"{'in index':>9} {'peak RSS MB':>12} {'index MB':>9} {'load avg':>10}"]
    for name, r in results.items():
        rate = r["embedded"] / r["ingest_s"] if r["embedded"] else 0.0
        lines.append(f"{name:<14} {r['wall_s']:>8.1f} {r['load_s']:>7.1f} {r['ingest_s']:>9.1f} {r['ingest_cpu_s']:>7.1f} "
                     f"{r['embedded']:>9} "
                     f"{rate:>9.1f} {r['chunks_in_index']:>9} {r['peak_rss_mb']:>12.0f} {r['index_bytes'] / 2**20:>9.1f} "
                     f"{'{:.1f}-{:.1f}'.format(*r['load_avg']):>10}")
    ours1, ours2, lc1, lc2 = (results.get(k) for k in ("newsrag 1st", "newsrag 2nd", "langchain 1st", "langchain 2nd"))
    if ours1 and lc1:
        lines.append(f"first ingest, wall time langchain / newsrag: {lc1['wall_s'] / ours1['wall_s']:.2f}x; "
                     f"ingest only: {lc1['ingest_s'] / ours1['ingest_s']:.2f}x; "
                     f"ingest CPU: {lc1['ingest_cpu_s'] / ours1['ingest_cpu_s']:.2f}x")
    if ours2 and lc2:
        lines.append(f"second run (unchanged input), wall time langchain / newsrag: {lc2['wall_s'] / ours2['wall_s']:.1f}x; "
                     f"ingest only: {lc2['ingest_s'] / max(ours2['ingest_s'], 1e-9):.0f}x; "
                     f"chunks in the langchain store afterwards: {lc2['chunks_in_index']} "
                     f"(first run: {lc1['chunks_in_index'] if lc1 else '?'})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="synthetic articles (default 1000)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="local sentence-transformers folder")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one, removed)")
    parser.add_argument("--skip-langchain", action="store_true", help="only time newsrag")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--reruns", type=int, default=1, help="unchanged re-ingests to run (the median is reported)")
    parser.add_argument("--phase", nargs=4, metavar=("KIND", "CORPUS", "TARGET", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        kind, corpus, target, model = args.phase
        fn = phase_newsrag if kind == "newsrag" else phase_langchain
        print(json.dumps(fn(Path(corpus), Path(target), Path(model))))
        return

    if not (args.model / "modules.json").exists():
        sys.exit(f"no model folder at {args.model}: run `make setup` first")
    work = args.work or Path(tempfile.mkdtemp(prefix="newsrag-bench-"))
    try:
        corpus = work / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        n, size = make_corpus(corpus, args.n)
        log(f"corpus: {n} articles, {size / 2**20:.1f} MB in {corpus}")
        home, store = work / "newsrag-home", work / "langchain-chroma"
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(store, ignore_errors=True)
        results = {}
        for name, kind, target in [("newsrag 1st", "newsrag", home), ("newsrag 2nd", "newsrag", home),
                                   ("langchain 1st", "langchain", store), ("langchain 2nd", "langchain", store)]:
            if kind == "langchain" and args.skip_langchain:
                continue
            if name == "newsrag 2nd" and args.reruns > 1:  # the median run of several unchanged re-ingests
                runs = sorted((run_phase(f"{name} ({i + 1}/{args.reruns})", kind, str(corpus), str(target),
                                         str(args.model)) for i in range(args.reruns)), key=lambda r: r["wall_s"])
                results[name] = {**runs[len(runs) // 2], "wall_s_all": [r["wall_s"] for r in runs]}
                log(f"{name}: wall s of each run, sorted: {' '.join(f'{r:.2f}' for r in results[name]['wall_s_all'])}")
                continue
            results[name] = run_phase(name, kind, str(corpus), str(target), str(args.model))
        text = summary(n, size, results)
        machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        print(f"ingest benchmark, {date.today()}, {machine}\n{text}")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"n": n, "corpus_bytes": size, "date": str(date.today()),
                                             "machine": machine, "results": results}, indent=2))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
