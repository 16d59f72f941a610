"""Answer latency over a question set with the default local model: time to sources, time to first
token and total, at p50 and p95, plus prompt size. Targets: sources <= 1 s, first token <= 4 s (p50).

    .venv/bin/python bench/answer_latency.py [QUESTIONS.jsonl] [--mode local] [--home DIR]

The index is the sample articles (ingested into a temporary home unless --home is given). The
first question is a warm-up (model load) and is not counted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from newsrag.chatbot import Chatbot
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


def main() -> None:
    shared = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    ap = argparse.ArgumentParser()
    ap.add_argument("questions", nargs="?", type=Path, default=shared if shared.exists() else ROOT / "eval" / "questions.jsonl")
    ap.add_argument("--mode", default="local")
    ap.add_argument("--home", type=Path, default=None)
    args = ap.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="newsrag-latency-"))
    models = ROOT / ".newsrag" / "models"
    settings = Settings.from_env(home=home, embed_model=str(models / "multilingual-e5-small"),
                                 llm_model_path=str(models / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
                                 answer_mode=args.mode)
    bot = Chatbot.from_settings(settings)
    if bot.index.count() == 0:
        bot.ingest([ROOT / "data" / "articles"])
    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    bot.ask("Wat is de C5+1?")  # warm-up: loads the embedder and the model

    to_sources, to_token, total, prompt_tokens, reused = [], [], [], [], []
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
        if first is not None:  # abstentions decided before generation have no first token
            to_token.append(first)
        stats = getattr(bot.llm_for(args.mode), "last_stats", {}) if args.mode == "local" and first else {}
        if stats:
            prompt_tokens.append(stats.get("input_tokens", 0))
            reused.append(stats.get("reused_tokens", 0))
        print(f"{row['id']:>8}  sources {to_sources[-1]:5.2f}s  first token {first or 0:5.2f}s  total {total[-1]:5.2f}s"
              f"  {'ABSTAIN' if answer.abstained else ''} {answer.answer[:70]!r}", flush=True)

    print(f"\n{len(rows)} questions, mode {args.mode}, model {bot.chain(args.mode).model}")
    for name, values in [("time to sources", to_sources), ("time to first token", to_token), ("total", total)]:
        print(f"{name:>20}: p50 {pct(values, 50):5.2f}s   p95 {pct(values, 95):5.2f}s   (n={len(values)})")
    if prompt_tokens:
        print(f"{'prompt tokens':>20}: mean {statistics.mean(prompt_tokens):.0f}, "
              f"reused from cache {statistics.mean(reused):.0f}")


if __name__ == "__main__":
    main()
