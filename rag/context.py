"""Evidence: the retrieved passages cut into sentences, each embedded once per question.

The same sentence vectors serve twice: to pick the few most relevant sentences for the prompt
(prompt size is the latency lever with a small local model), and to check the answer's
citations afterwards. Sentences that read like instructions to a model are dropped here, so an
article can neither steer the model nor be cited for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.answer import Source
from rag.keyword import terms
from rag.sentences import sentences

_INJECTION = re.compile(
    r"\b(negeer|vergeet|ignore|disregard|forget)\b.{0,40}\b(instructies|opdrachten|instructions|prompts?|rules|regels)\b"
    r"|\b(system ?prompt|systeemprompt|you are now|je bent nu|jailbreak)\b",
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    return bool(_INJECTION.search(text))


LEXICAL_WEIGHT = 0.1


@dataclass(frozen=True)
class Unit:
    source: int  # the source number n
    text: str
    start: int  # span in the article
    end: int


@dataclass
class Evidence:
    units: list[Unit]
    vectors: np.ndarray  # (len(units), dim), unit-norm

    def similarities(self, vector: Sequence[float]) -> np.ndarray:  # (len(units),)
        if not self.units:
            return np.zeros(0, dtype=np.float32)
        return self.vectors @ np.asarray(vector, dtype=np.float32)

    def relevance(self, question: str, vector: Sequence[float]) -> np.ndarray:  # (len(units),)
        """Similarity to the question plus a bonus for sharing its (stemmed) words.

        Embeddings of short sentences are drawn to names ("Blinken") more than to what is asked
        ("zegde ... toe"); word overlap corrects that. Across languages the overlap is ~0 for every
        sentence, so the embedding decides alone.
        """
        wanted = terms(question)
        overlap = np.array([len(wanted & terms(u.text)) / len(wanted) if wanted else 0.0 for u in self.units],
                           dtype=np.float32)
        return self.similarities(vector) + LEXICAL_WEIGHT * overlap


def build_evidence(sources: Sequence[Source], embeddings: Embeddings) -> Evidence:
    units = []
    for src in sources:
        for s, e in sentences(src.text):
            text = src.text[s:e]
            if len(text) >= 12 and not looks_like_instruction(text):
                units.append(Unit(src.n, text, src.start + s, src.start + e))
    vectors = np.asarray(embeddings.embed_documents([u.text for u in units]), dtype=np.float32) if units else \
        np.zeros((0, 1), dtype=np.float32)
    return Evidence(units, vectors)


def select_context(evidence: Evidence, scores: np.ndarray, sources: Sequence[Source],
                   max_sentences: int = 6, per_source: int = 3) -> list[tuple[int, str, str, str]]:
    """The best-scoring sentences, grouped by source in article order: [(n, title, date, excerpt)]."""
    sims = scores
    chosen: dict[int, list[int]] = {}
    for i in np.argsort(-sims):
        unit = evidence.units[int(i)]
        picked = chosen.setdefault(unit.source, [])
        if len(picked) < per_source:
            picked.append(int(i))
        if sum(map(len, chosen.values())) >= max_sentences:
            break
    by_n = {s.n: s for s in sources}
    out = []
    for n in sorted(k for k, v in chosen.items() if v):
        units = sorted((evidence.units[i] for i in chosen[n]), key=lambda u: u.start)
        excerpt = ""
        for prev, unit in zip([None] + units[:-1], units):
            gap = " " if prev is not None and unit.start - prev.end <= 2 else (" … " if prev else "")
            excerpt += gap + unit.text
        out.append((n, by_n[n].title, by_n[n].date, excerpt))
    return out
