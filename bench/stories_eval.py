"""Planted duplicates against retrieval: do duplicates leave the top-k, and does recall stay?

    .venv/bin/python bench/stories_eval.py                  # eval/questions.jsonl + eval/holdout.jsonl, k = 5

The index holds the sample articles and eval/articles, and for each of them two planted versions of
the same story: another paper's copy (its own headline, the last paragraph left out) and an update
(dated later, a paragraph added). Every question with gold quotes is retrieved twice with the real
embedder and the default hybrid retriever: with stories collapsed (newsrag) and without
(``rag.retrieval.collapse`` switched off). Reported: hits in the top-k that repeat a story already
in it (per question, mean), and recall@k and hit@k by gold quote (a version holding the quote counts,
so finding the update instead of the original is no loss).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UPDATE = ("\n\nUpdate: later on the day the ministry confirmed the figures to this newspaper, and said "
          "further talks are planned for next week.")


def plant(folder: Path) -> dict[str, str]:
    """Writes the articles and their versions; returns doc_id -> story (the original's id)."""
    story = {}
    for src in [*(ROOT / "data" / "articles").glob("*.txt"), *(ROOT / "eval" / "articles").glob("*.txt")]:
        text = src.read_text(encoding="utf-8")
        m = re.match(r"^\s*date\s+(\S+)\s*", text)
        date, body = (m.group(1), text[m.end():]) if m else ("", text)
        paragraphs = body.split("\n\n")
        (folder / src.name).write_text(text, encoding="utf-8")
        (folder / f"{src.stem}-copy.txt").write_text(
            f"date {date}\n# Overgenomen: {paragraphs[0][:60]}\n\n" + "\n\n".join(paragraphs[:-1]), encoding="utf-8")
        later = f"{date}-28" if len(date) == 7 else date  # a day within the month: newer than the month
        (folder / f"{src.stem}-update.txt").write_text(f"date {later}\n{body}{UPDATE}", encoding="utf-8")
        for d in (src.stem, f"{src.stem}-copy", f"{src.stem}-update"):
            story[d] = src.stem
    return story


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", nargs="*", default=[ROOT / "eval" / "questions.jsonl", ROOT / "eval" / "holdout.jsonl"])
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()

    from newsrag.chatbot import Chatbot
    from rag import retrieval
    from rag.settings import Settings

    questions = [q for p in args.questions for line in Path(p).read_text().splitlines() if line.strip()
                 for q in [json.loads(line)] if q.get("sources") and not q.get("history")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "articles"
        folder.mkdir()
        story = plant(folder)
        home = Path(tmp) / "home"
        home.mkdir()
        (home / "models").symlink_to(ROOT / ".newsrag" / "models")
        bot = Chatbot(Settings.from_env(home=home))
        report = bot.ingest([folder])
        print(f"{len(report.added)} articles, {len(report.linked)} stories linked: {report.linked}")
        results = {}
        collapse = retrieval.collapse
        for name, switch in (("without stories", lambda hits, dups: list(hits)), ("newsrag", collapse)):
            retrieval.collapse = switch
            repeats = recall = hit = 0.0
            for q in questions:
                hits = bot.search(q["question"], k=args.k)
                docs_per_story: dict[str, set[str]] = {}
                for h in hits:
                    docs_per_story.setdefault(story.get(h.doc_id, h.doc_id), set()).add(h.doc_id)
                repeats += sum(len(d) - 1 for d in docs_per_story.values())
                found = [any(" ".join(g["quote"].split()) in " ".join(h.text.split()) for h in hits)
                         for g in q["sources"]]
                recall += sum(found) / len(found)
                hit += any(found)
            retrieval.collapse = collapse
            n = len(questions)
            results[name] = (repeats / n, recall / n, hit / n)
        print(f"{len(questions)} questions with gold quotes, k = {args.k}")
        print(f"{'':18} {'other versions in top-k':>24} {'recall@k':>9} {'hit@k':>6}")
        for name, (rep, rec, h) in results.items():
            print(f"{name:18} {rep:24.2f} {rec:9.3f} {h:6.3f}")


if __name__ == "__main__":
    main()
