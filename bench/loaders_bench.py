"""How long the loaders take on oversized input: the timings the tests used to assert, measured here.

    .venv/bin/python bench/loaders_bench.py            # each case 3 times, the median
    .venv/bin/python bench/loaders_bench.py --reps 5

Cases (the same files tests/test_loaders.py and tests/test_ingest.py use, which check the memory
bounds and the one-line errors):

  refuse 50 MB text      a 50 MB article is refused by its size, without being read
  first 3 of 50 MB JSONL the first three articles of a 50 MB feed, read a line at a time
  skip a 50 MB line      a JSONL file whose second line is 50 MB: skipped by line, the rest loaded
  ingest bad folder      ``Chatbot.ingest`` of a folder of bad files (one of them the 50 MB article)
                         next to the sample articles, with a cheap deterministic embedder

Prints JSON: seconds per case (median), with the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.loaders import load_file  # noqa: E402
from tests.test_ingest import bad_folder  # noqa: E402
from tests.test_loaders import big_jsonl, big_text_file, jsonl_with_a_50mb_line  # noqa: E402


def timed(run, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 3)


def ingest_bad_folder(tmp: Path) -> None:
    from newsrag.chatbot import Chatbot
    from tests.conftest import make_settings
    from tests.fakes import BagOfWordsEmbeddings

    case = Path(tempfile.mkdtemp(dir=tmp))
    folder, _ = bad_folder(case)
    Chatbot(make_settings(case / "home", answer_mode="extractive"), embeddings=BagOfWordsEmbeddings()).ingest([folder])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        text = big_text_file(tmp / "groot.txt")
        feed, _ = big_jsonl(tmp / "feed.jsonl")
        giant = jsonl_with_a_50mb_line(tmp / "giant.jsonl")

        def first_three() -> None:
            items = load_file(feed)
            [next(items) for _ in range(3)]
            items.close()

        seconds = {
            "refuse 50 MB text": timed(lambda: list(load_file(text)), args.reps),
            "first 3 of 50 MB JSONL": timed(first_three, args.reps),
            "skip a 50 MB line": timed(lambda: list(load_file(giant)), args.reps),
            "ingest bad folder": timed(lambda: ingest_bad_folder(tmp), args.reps),
        }
    print(json.dumps({"seconds": seconds, "reps": args.reps,
                      "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)]}, indent=2))


if __name__ == "__main__":
    main()
