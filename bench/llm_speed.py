"""Speed of the local LLM (rag.llm.ChatLlamaCpp, llama-cpp-py-sync) on this machine.

Prints: load time; prompt processing and generation tokens/s; time to first token for a cold ~600-token
Dutch RAG prompt and for the same system prompt with a new ~150-token user message (prefix cache);
peak RSS. Each figure is the best of --repeats runs, with the load average beside it, since the
machine's 2 cores may be shared. Compare with llama-cpp-python 0.3.36 in shared/notes/models.md
(prompt ~92 tok/s, generation 26-31 tok/s, 1.9 GB RSS, load 4 s, 2 threads).

    .venv/bin/python bench/llm_speed.py [--model PATH] [--threads 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from langchain_core.messages import HumanMessage, SystemMessage  # noqa: E402

from rag.llm import ChatLlamaCpp  # noqa: E402

ARTICLES = ROOT / "data" / "articles"
SYSTEM = ("Je beantwoordt vragen over nieuwsartikelen. Gebruik alleen de genummerde bronnen hieronder. "
          "Zet na elke bewering het nummer van de bron tussen haken, zoals [1]. Staat het antwoord niet "
          "in de bronnen, antwoord dan precies: \"Dat staat niet in de artikelen.\"\n\n")


def words(text: str, n: int) -> str:
    return " ".join(text.split()[:n])


def loadavg() -> str:
    return open("/proc/loadavg").read().split()[0]


def rss_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def first_token(llm: ChatLlamaCpp, messages, max_tokens: int) -> tuple[float, str, dict]:
    start = time.perf_counter()
    ttft, text = None, ""
    for chunk in llm.stream(messages, max_tokens=max_tokens):
        if chunk.content and ttft is None:
            ttft = time.perf_counter() - start
        text += chunk.content
    return ttft or float("nan"), text, llm.last_stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=str(ROOT / ".newsrag/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    a, b, c = (ARTICLES / n for n in sorted(os.listdir(ARTICLES))[:3])
    system = SYSTEM + "\n\n".join(f"[{i}] {words(p.read_text(), 62)}" for i, p in enumerate((a, b, c), 1))
    user_a = words(a.read_text().split("Russische invloedssfeer")[-1], 62) + "\n\nVraag: Wat besprak Blinken in Astana?"
    user_b = words(c.read_text()[1500:], 72) + "\n\nVraag: Waar gaat dit fragment over?"
    long_q = "Vat bron [1] uitgebreid samen in minstens tien zinnen."

    llm = ChatLlamaCpp(model_path=args.model, n_threads=args.threads, max_tokens=16)
    rss0 = rss_mb()[0]
    t = time.perf_counter()
    llm.load()
    print(f"load: {time.perf_counter() - t:.2f} s (RSS {rss0:.0f} -> {rss_mb()[0]:.0f} MB, load avg {loadavg()})")
    llama = llm._llama  # bench only: to count tokens and to empty the KV cache between cold runs
    n = lambda s: len(llama.tokenize(s, add_special=False))  # noqa: E731
    print(f"prompt: system {n(system)} tokens, user A {n(user_a)}, user B {n(user_b)}")

    cold, warm, gen = [], [], []
    for _ in range(args.repeats):
        with llm._lock:
            llama._clear_context_state()
        ttft, _, s = first_token(llm, [SystemMessage(system), HumanMessage(user_a)], 16)
        cold.append((ttft, s["prefilled_tokens"] / s["prefill_seconds"], s, loadavg()))
        ttft, _, s = first_token(llm, [SystemMessage(system), HumanMessage(user_b)], 16)
        warm.append((ttft, s, loadavg()))
        start = time.perf_counter()
        ttft, text, s = first_token(llm, [SystemMessage(system), HumanMessage(long_q)], 128)
        tokens = n(text)
        gen.append(((tokens - 1) / (time.perf_counter() - start - ttft), tokens, loadavg()))

    ttft, speed, s, la = min(cold, key=lambda r: r[0])
    print(f"cold prompt ({s['input_tokens']} tokens): TTFT {ttft:.2f} s, prompt {speed:.1f} tok/s "
          f"(best of {args.repeats}; all TTFT {[round(r[0], 2) for r in cold]}; load avg {la})")
    ttft, s, la = min(warm, key=lambda r: r[0])
    print(f"same system prompt, new user message ({s['input_tokens']} tokens, {s['reused_tokens']} reused, "
          f"{s['prefilled_tokens']} prefilled): TTFT {ttft:.2f} s (all {[round(r[0], 2) for r in warm]}; load avg {la})")
    speed, tokens, la = max(gen)
    print(f"generation: {speed:.1f} tok/s over {tokens} tokens (all {[round(r[0], 1) for r in gen]}; load avg {la})")
    rss, peak = rss_mb()
    print(f"RSS: {rss:.0f} MB now, peak {peak:.0f} MB (model file {Path(args.model).stat().st_size / 2**20:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
