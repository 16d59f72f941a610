"""Near-duplicate detection benchmark (``rag.stories``): signature speed, linking speed, and whether the
planted duplicates are found and nothing else is.

    .venv/bin/python bench/stories_bench.py                 # N = 20,000 articles
    .venv/bin/python bench/stories_bench.py --n 100000

The corpus: N synthetic articles of ~500 words drawn at random from the sample articles' vocabulary
(unrelated stories: they share words, rarely four in a row), of which 1% get a planted duplicate:
another paper's edit (5% of the words replaced, a new headline) or an update (a paragraph added).
Measures the MinHash signature per article (done once, at ingest) and ``stories()`` over all N
signatures (a full pass: on an index without band keys, or when over a fifth of the archive waits to
be linked; otherwise ``rag.story_links`` links around what changed). What it leaves out: Chroma's
own time to read N records and write the links (see docs/benchmarks.md for ingest figures).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

import numpy as np

from rag import stories

ROOT = Path(__file__).resolve().parents[1]


def corpus(n: int, seed: int = 0) -> tuple[dict[str, str], set[tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    vocab = sorted({w for p in (ROOT / "data" / "articles").glob("*.txt")
                    for w in re.findall(r"\w+", p.read_text(encoding="utf-8"))})
    texts, planted = {}, set()
    for i in range(n):
        texts[f"a{i}"] = " ".join(rng.choice(vocab, 500))
    for i in range(0, n, 100):
        words = texts[f"a{i}"].split()
        if i % 200 == 0:  # another paper's edit
            for j in rng.choice(len(words), len(words) // 20, replace=False):
                words[j] = rng.choice(vocab)
            copy = " ".join(words)
        else:  # an update: a paragraph added
            copy = texts[f"a{i}"] + "\n\n" + " ".join(rng.choice(vocab, 120))
        texts[f"dup{i}"] = copy
        planted.add((f"a{i}", f"dup{i}"))
    return texts, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    texts, planted = corpus(args.n)
    t0 = time.perf_counter()
    sigs = {d: stories.signature(t) for d, t in texts.items()}
    t_sig = time.perf_counter() - t0
    t0 = time.perf_counter()
    found = stories.stories(sigs)
    t_link = time.perf_counter() - t0
    pairs = {(a, b) for a, others in found.items() for b in others if a < b}
    hit = len(planted & {tuple(sorted(p)) for p in pairs})
    extra = len(pairs - planted)
    load = os.getloadavg()[0]
    print(f"articles {len(texts):,} (planted pairs {len(planted):,}); load average {load:.2f} on {os.cpu_count()} cores")
    print(f"signature: {t_sig:.1f} s, {t_sig / len(texts) * 1000:.2f} ms/article "
          f"(at 100k: {t_sig / len(texts) * 100_000:.0f} s, spread over the ingests that add them)")
    print(f"link all (stories): {t_link:.2f} s")
    print(f"planted pairs found {hit}/{len(planted)}; other pairs linked {extra}")


if __name__ == "__main__":
    main()
