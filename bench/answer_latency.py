"""Answer latency over a question set: time to sources, to the first (checked) answer text, and total,
at p50 and p95, with the prefill speed measured in the same run so a loaded machine's figures can be
read; optionally the same bench for another git revision in the same run, as a ratio.

    .venv/bin/python bench/answer_latency.py [QUESTIONS.jsonl] [--mode local] [--home DIR] [--against REV]
                                             [--articles DIR ...]

The index is the sample articles, or the --articles folders, ingested into a temporary home (with
--home, into that home when its index is empty: a home that holds an index is used as it is), with the
app's default models. Before the questions, ``Chatbot.warm_up`` (what a serving process does) and
one warm-up question, not counted. ``--against REV`` checks REV out into a temporary git worktree
and runs this same file on that code first, then on this checkout's, so both are measured alike on
the same machine; the figures, per-stage p50s and the ratio of the p50s are printed with the load
average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: llama.cpp threads yield under load

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / ".newsrag" / "models"


def measure(questions: Path, mode: str, home: Path, threads: int | None = None,
            articles: list[Path] | None = None) -> dict:
    from eval.metrics import percentile as pct  # the one percentile definition behind every p50/p95
    from newsrag.chatbot import Chatbot
    from rag.settings import Settings

    if not (home / "models").exists():  # the app's default models (the ONNX embedder once exported)
        home.mkdir(parents=True, exist_ok=True)
        (home / "models").symlink_to(MODELS.resolve())
    settings = Settings.from_env(home=home, answer_mode=mode, **({"llm_threads": threads} if threads else {}))
    bot = Chatbot.from_settings(settings)
    if bot.index.count() == 0:
        bot.ingest(articles or [ROOT / "data" / "articles"])
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    if hasattr(bot, "warm_up"):  # what a serving process does before its first question
        bot.warm_up()
    bot.ask("Wat is de C5+1?")  # warm-up (older revisions load their models here)
    llm = bot.llm_for(mode)
    before = getattr(llm, "prefill_totals", (0, 0.0))
    to_sources, to_text, total = [], [], []
    stages: dict[str, list[float]] = {}  # per-stage seconds (Answer.timings), over the questions
    for row in rows:
        t0 = time.perf_counter()
        first = None
        for event in bot.stream(row["question"], row.get("history", [])):
            now = time.perf_counter() - t0
            if event.kind == "sources":
                to_sources.append(now)
            elif event.kind == "token" and first is None:
                first = now
            elif event.kind == "answer":
                total.append(now)
                answer = event.answer
        to_text.append(first if first is not None else total[-1])  # a refusal is the first text
        for stage, seconds in answer.timings.items():
            stages.setdefault(stage, []).append(seconds)
        print(f"{row['id']:>10}  sources {to_sources[-1]:5.2f}s  first text {to_text[-1]:5.2f}s  total {total[-1]:5.2f}s"
              f"  {'ABSTAIN' if answer.abstained else ''} {answer.answer[:70]!r}", file=sys.stderr, flush=True)
    after = getattr(llm, "prefill_totals", (0, 0.0))
    tokens, seconds = after[0] - before[0], after[1] - before[1]
    return {"n": len(rows), "mode": mode, "model": bot.chain(mode).model,
            "sources_p50": pct(to_sources, 50), "sources_p95": pct(to_sources, 95),
            "first_text_p50": pct(to_text, 50), "first_text_p95": pct(to_text, 95),
            "total_p50": pct(total, 50), "total_p95": pct(total, 95),
            "prefill_tokens_per_question": tokens / len(rows) if rows else 0,
            "prefill_tok_s": tokens / seconds if seconds else None,
            "stages_p50": {stage: pct(values, 50) for stage, values in stages.items()},
            "threads": settings.llm_threads}


def run_other(rev: str, questions: Path, mode: str, threads: int | None = None,
              articles: list[Path] | None = None) -> dict:
    """This bench (this file, the same measurement) run on the code of ``rev``: a temporary worktree
    first on the path, this checkout's models and articles. Only ``Chatbot``'s public API is used
    (``warm_up`` when it has one), so older revisions run as they are."""
    tree = Path(tempfile.mkdtemp(prefix="newsrag-rev-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
    try:
        (tree / ".newsrag").symlink_to(ROOT / ".newsrag")
        out = subprocess.run([sys.executable, __file__, str(questions), "--mode", mode, "--json",
                              *(["--threads", str(threads)] if threads else []),
                              *(a for folder in articles or [] for a in ("--articles", str(folder)))],
                             cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        shutil.rmtree(tree.parent, ignore_errors=True)


def show(label: str, r: dict) -> None:
    speed = f"{r['prefill_tok_s']:.0f} tok/s" if r.get("prefill_tok_s") else "n/a"
    print(f"{label}: {r['n']} questions, mode {r['mode']}, model {r['model']}; prefill {speed}, "
          f"{r.get('prefill_tokens_per_question', 0):.0f} prompt tokens processed per question")
    for name in ("sources", "first_text", "total"):
        print(f"  {name.replace('_', ' '):>12}: p50 {r[name + '_p50']:5.2f}s   p95 {r[name + '_p95']:5.2f}s")
    if r.get("stages_p50"):
        print("  stages, p50: " + ", ".join(f"{k} {v:.2f}s" for k, v in r["stages_p50"].items()))


def main() -> None:
    shared = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    ap = argparse.ArgumentParser()
    ap.add_argument("questions", nargs="?", type=Path, default=shared if shared.exists() else ROOT / "eval" / "questions.jsonl")
    ap.add_argument("--mode", default="local")
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--against", metavar="REV", help="also run this bench at REV (git) first, and print ratios")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line (for --against)")
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: the settings')")
    ap.add_argument("--articles", type=Path, action="append", default=None,
                    help="a folder of articles to index (repeatable; default: data/articles)")
    args = ap.parse_args()
    questions = args.questions.resolve()
    articles = [a.resolve() for a in args.articles] if args.articles else None

    load = os.getloadavg()[0]
    other = run_other(args.against, questions, args.mode, args.threads, articles) if args.against else None
    home = args.home or Path(tempfile.mkdtemp(prefix="newsrag-latency-"))
    try:
        mine = measure(questions, args.mode, home, args.threads, articles)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)  # the temporary index and its saved prompt states
    if args.json:
        print(json.dumps(mine))
        return
    if other:
        show(f"{args.against}", other)
    show("this checkout", mine)
    if other:
        for name in ("first_text_p50", "total_p50"):
            print(f"  ratio {name}: {mine[name] / other[name]:.2f}x ({args.against} = 1)")
    print(f"load average: {load:.2f} at start, {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
