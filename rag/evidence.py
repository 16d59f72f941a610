"""Evidence: the retrieved passages cut into sentences, each embedded once per question.

The same sentence vectors serve twice: to rank the sentences the model judges (``top_units``;
each one costs prompt time with a small local model), and to check the answer's citations
afterwards. Sentences that read like instructions to a model are dropped here, so an
article can neither steer the model nor be cited for it; nor are photo credits evidence.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.answer import Source
from rag.dates import without_years
from rag.keyword import terms
from rag.language import detect_language, language_lift
from rag.sentences import sentences

_INJECTION = re.compile(
    r"\b(negeer|vergeet|ignore|disregard|forget)\b.{0,40}\b(instructies|opdrachten|instructions|prompts?|rules|regels)\b"
    r"|\b(system ?prompt|systeemprompt|you are now|je bent nu|jailbreak)\b",
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    return bool(_INJECTION.search(text))


# A photo credit ("Foto Olivier Douliery/AP", "Beeld ANP") answers nothing and matched nonsense
# questions; the caption before it is kept (it can hold facts: who stood beside whom, and where).
_CREDIT = re.compile(r"^(foto'?s?|beeld|photo|image|illustratie|illustration)\b[^.!?]{0,60}$", re.IGNORECASE)


def is_credit(text: str) -> bool:
    return bool(_CREDIT.match(text.strip()))


LEXICAL_WEIGHT = 0.1
# How much of a sentence's closeness to the names a question is about is taken off its relevance
# (``Evidence.relevance``). Measured on the recorded evidence of the training sets (482 answerable
# one-part questions with a gold sentence; docs/eval.md, stop 50): the gold sentence among those
# judged 360 -> 374 (0.1: 363, 0.2: 367, 0.3: 370, 0.5: 372, 0.6: 376 with 7 lost, 0.8: 371, 1.0: 371).
SUBJECT_WEIGHT = 0.4


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
    lift: np.ndarray | None = None  # (len(units),): added to relevance (``rag.language.language_lift``)

    def similarities(self, vector: Sequence[float]) -> np.ndarray:  # (len(units),)
        if not self.units:
            return np.zeros(0, dtype=np.float32)
        return self.vectors @ np.asarray(vector, dtype=np.float32)

    def relevance(self, question: str, vector: Sequence[float], *, dated: bool = False,
                  subject: Sequence[float] | None = None) -> np.ndarray:  # (len(units),)
        """Similarity to the question plus a bonus for sharing its (stemmed) words, each weighted by
        how rare it is among these sentences (``word_weights``), less a part of the similarity to
        ``subject``, the vector of the names the question is about (``rag.names.named_subject``).

        Embeddings of short sentences are drawn to names ("Blinken") more than to what is asked
        ("zegde ... toe"); word overlap corrects that. Across languages the overlap is ~0 for every
        sentence, so the embedding decides alone, plus ``lift`` where the sentences mix languages.
        ``dated``: the question's years are its date filter, which keeps to them, so they are no such
        word: as a word, "2021" drew "Minister Wuyts stelde de commissie in september 2021 in." (an
        article of 2023) to the top for "Which towns had to be evacuated in the 2021 flood?". A year
        that filters nothing ("in 2030", after the newest article) stays a word: it tells the 2030
        target from the 2050 one.

        ``subject``: every sentence that names "FC Veenhorst" is close to "Wie is de nieuwe directeur
        van FC Veenhorst?", the five judged ones too („FC Veenhorst staat aan de rand van de
        afgrond.”), and the answer („Zijn opvolger is Annelies Voskamp …”) names the club only in the
        sentence before it. What is left after the closeness to the names (``SUBJECT_WEIGHT``) is the
        closeness to what is asked of them.
        """
        wanted = terms(without_years(question) if dated else question)
        found = [wanted & terms(u.text) for u in self.units]
        weight = word_weights(wanted, found)
        overlap = np.array([sum(weight[w] for w in words) / len(wanted) if wanted else 0.0 for words in found],
                           dtype=np.float32)
        lift = self.lift if self.lift is not None else 0.0
        named = SUBJECT_WEIGHT * self.similarities(subject) if subject is not None else 0.0
        return self.similarities(vector) + LEXICAL_WEIGHT * overlap + lift - named

    def following(self, i: int, source: Source) -> int | None:
        """The unit that is the next sentence of unit ``i`` in its paragraph: the next unit of its
        passage ``source``, with nothing but spaces between them (a sentence left out of the evidence,
        an instruction-like one say, or a paragraph break in between: None). None when ``i`` ends it."""
        after = i + 1
        if after >= len(self.units) or self.units[after].source != self.units[i].source:
            return None
        gap = source.text[self.units[i].end - source.start:self.units[after].start - source.start]
        return after if not gap.strip() and "\n\n" not in gap else None

    def preceding(self, i: int, source: Source) -> int | None:
        """The unit that is the sentence before unit ``i`` in its paragraph (``following``'s inverse)."""
        return i - 1 if i > 0 and self.following(i - 1, source) == i else None

    def joined(self, first: int, last: int, source: Source) -> Unit:
        """Units ``first`` to ``last`` of the passage ``source`` as one unit, its text the article's
        own, character for character."""
        start, end = self.units[first].start, self.units[last].end
        return Unit(self.units[first].source, source.text[start - source.start:end - source.start], start, end)


def word_weights(wanted: set[str], found: Sequence[set[str]]) -> dict[str, float]:
    """Each word of the question weighted by how few of the evidence sentences hold it (its inverse
    document frequency among them, ``found``: the question's words each sentence holds), relative to
    the mean of the words some sentence holds; a word no sentence holds weighs 1, as every word did
    before. The words every retrieved sentence shares ("Zevenhoven-Noord", "chemiebrand") name the
    subject; the rare ones say what is asked of it: „Er vielen geen gewonden.” ranked 11th for
    "Hoeveel gewonden vielen er bij de chemiebrand in Zevenhoven-Noord?" with each shared word
    counted the same (a blind trial, stop 41). On the recorded evidence of the training sets the gold
    sentence is among the five judged for 211 of 243 questions, against 208 (docs/eval.md, stop 41).
    Weighing a word no sentence holds by its rarity too (it is the rarest) shrank every other word's
    share: "And who is that minister?" lost the minister's sentence to "who", which no Dutch sentence
    holds. These are weights among the sentences of one answer, not the corpus's: the keyword index
    weighs by the corpus (BM25, ``rag.keyword_query``), to find the passages in the first place."""
    n = len(found)
    rarity = {w: math.log(1 + n / (1 + held)) for w in wanted if (held := sum(w in words for words in found))}
    mean = sum(rarity.values()) / len(rarity) if rarity else 1.0
    return {w: rarity[w] / mean if w in rarity else 1.0 for w in wanted}


class SentenceVectors:
    """Sentence vectors per chunk, kept for the most recent chunks: popular passages come back
    question after question, and embedding their sentences is most of an answer's CPU time."""

    def __init__(self, embeddings: Embeddings, max_chunks: int = 4096):
        self.embeddings, self.max_chunks = embeddings, max_chunks
        self._cache: OrderedDict[tuple[str, str], tuple[list[tuple[int, int]], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, chunk_id: str, text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
        """(sentence spans within ``text``, their vectors (n, dim)) for one chunk."""
        key = (chunk_id, text)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        spans = [(s, e) for s, e in sentences(text) if e - s >= 12 and not looks_like_instruction(text[s:e])
                 and not is_credit(text[s:e])]
        vectors = np.asarray(self.embeddings.embed_documents([text[s:e] for s, e in spans]), dtype=np.float32) \
            if spans else np.zeros((0, 0), dtype=np.float32)
        with self._lock:
            self._cache[key] = (spans, vectors)
            while len(self._cache) > self.max_chunks:
                self._cache.popitem(last=False)
        return spans, vectors


def build_evidence(sources: Sequence[Source], vectors_for: SentenceVectors, question_language: str = "") -> Evidence:
    """``question_language``: when known, sentences in another language are lifted (``rag.language.language_lift``).
    A sentence's language is its article's, as ingest detected it (else its passage's)."""
    units: list[Unit] = []
    blocks: list[np.ndarray] = []
    languages: list[str] = []
    for src in sources:
        spans, vectors = vectors_for(src.chunk_id, src.text)
        units.extend(Unit(src.n, src.text[s:e], src.start + s, src.start + e) for s, e in spans)
        if len(spans):
            blocks.append(vectors)
            languages += [src.language or detect_language(src.text)] * len(spans)
    lift = language_lift(languages, question_language) if question_language else None  # "": unknown
    return Evidence(units, np.vstack(blocks) if blocks else np.zeros((0, 1), dtype=np.float32), lift)


def top_units(evidence: Evidence, scores: np.ndarray, n: int, per_source: int = 3) -> list[int]:
    """Indexes of the ``n`` best-scoring units, best first, at most ``per_source`` from one source."""
    picked: list[int] = []
    taken: dict[int, int] = {}
    for i in np.argsort(-scores, kind="stable"):
        source = evidence.units[int(i)].source
        if taken.get(source, 0) < per_source:
            picked.append(int(i))
            taken[source] = taken.get(source, 0) + 1
        if len(picked) >= n:
            break
    return picked


# A sentence that goes on from the one before it says little by itself, so its embedding misses
# the question: „Het Witte Huis liet echter weten dat het daar geen trek in had.” after Putin's
# proposal, „Dat komt er niet: huur en plaatsing zouden … 1,1 miljoen euro kosten.” after the request
# for a temporary pool. For choosing which sentences are judged, each ranks at least as high as the
# sentence before it, less this gap. Measured on the recorded evidence of ten training sets (243 fact
# and trap questions with a gold sentence; docs/eval.md, stop 38): the gold sentence among the five
# judged 198 -> 208 (0.02: 205, 0.04: 205, 0.08: 207, 0.10: 203, 0.15: 199).
FOLLOWER_GAP = 0.06


def carried(evidence: Evidence, scores: np.ndarray, sources: Sequence[Source], gap: float = FOLLOWER_GAP) -> np.ndarray:
    """``scores`` with each unit raised to its paragraph predecessor's score less ``gap`` (from the
    scores given, so a chain of sentences does not carry on). A unit ruled out (-inf) stays out, and
    one whose predecessor is ruled out carries nothing."""
    by_n = {s.n: s for s in sources}
    out = scores.copy()
    for i, unit in enumerate(evidence.units):
        after = evidence.following(i, by_n[unit.source])
        if after is not None and np.isfinite(scores[i]) and np.isfinite(scores[after]):
            out[after] = max(scores[after], scores[i] - gap)
    return out


def pick_evidence(ranked: Sequence[int], probs: Sequence[float], evidence: Evidence, threshold: float,
                  article: Mapping[int, str]) -> list[int]:
    """The unit(s) an answer is phrased from: the most likely one, plus the most likely sentence of
    another article when it passes the threshold too (a question that spans two articles).

    ``ranked``: unit indexes, most likely first; ``probs``: their P(answers), in the same order;
    ``article``: the article (doc id) of each source n: two passages of one article are one article."""
    chosen = [ranked[0]]
    first = article[evidence.units[ranked[0]].source]
    for unit, p in zip(ranked[1:], probs[1:]):
        if article[evidence.units[unit].source] != first and p >= threshold:
            chosen.append(unit)
            break
    return chosen
