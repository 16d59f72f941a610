"""Find the passages for a question: dense search in Chroma, optionally fused with BM25 by weight.

A date filter is applied to dense search by the chunk ids the keyword index gives for the range
(when there is one): Chroma's own range filter reads every chunk's metadata. Keyword search ranks
among the range's chunks too, so a dated question gets its best keyword matches of that period.
Fusion is weighted reciprocal-rank fusion: ``(1 - w) / (60 + dense rank) + w / (60 + keyword rank)``;
in an index of more than one language, a passage in another language than the question is ranked by
meaning as if it were in the question's (``lifted``) and gets a keyword rank no worse than its dense
rank (``fuse``'s ``blind``).
Every hit keeps its real cosine similarity to the query (keyword-only hits get theirs computed from
their stored vectors), because abstention is decided on similarity, not on fused ranks.
Near-duplicate articles (one story in two papers, or an updated version) are answered once: hits of
a story's other versions are dropped for its newest retrieved version (``rag.stories.collapse``)
before the best ``k`` are taken.

Before it reads, a retrieval notices what other processes wrote (``Freshness``): whichever front end
asks (CLI, HTTP API, MCP, the UI), it searches the index as it is now.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.dates import DateFilter
from rag.keyword import KeywordIndex
from rag.keyword_sync import sync
from rag.language import detect_language, in_other_language, language_lift
from rag.names import respell
from rag.store import Hit, NewsIndex
from rag.stories import collapse

RRF_K = 60
RECHECK_S = 5.0  # with a shared Chroma server: how often to look for other workers' writes
log = logging.getLogger(__name__)


class Freshness:
    """Keeps the index and the keyword index current with what other processes wrote; called before
    each retrieval (and by ``Chatbot`` before its other reads). Cheap when nothing changed:

    * the first call brings the keyword index up to date with the store (filling a new, damaged or
      older-format one); until that succeeds, every call tries again;
    * an embedded index that another process wrote (it should not: ``rag.lock``) is noticed by one
      ``stat`` and reopened (``reopen_if_changed``, which reads of the store alone call), and the
      keyword index caught up;
    * a Chroma server is written by other workers without a trace on this machine: the keyword
      index catches up from the store's change log (``rag.keyword_sync``) at most every ``interval``
      seconds, in whichever call finds it due. Concurrent calls do not wait for that, nor for another
      process updating the same keyword file (it is used as it is)."""

    def __init__(self, index: NewsIndex, keywords: KeywordIndex, *, shared: bool, interval: float = RECHECK_S):
        self.index, self.keywords, self.shared, self.interval = index, keywords, shared, interval
        self._lock = threading.Lock()
        self._current = False
        self._due = 0.0

    def __call__(self) -> None:
        self.reopen_if_changed()
        if not self._current:
            with self._lock:
                if not self._current:
                    self.catch_up()
        elif self.shared and time.monotonic() >= self._due and self._lock.acquire(blocking=False):
            try:
                self.catch_up(wait=0.5)
            finally:
                self._lock.release()

    def reopen_if_changed(self) -> None:
        """Reopen an embedded index that another process wrote (one ``stat`` when it did not); the
        keyword index then catches up on the next call."""
        if self.index.refresh_if_changed():
            self._current = False

    def catch_up(self, wait: float = 60.0) -> None:
        """Bring the keyword index up to date with the store now; when another process is updating
        the same file for longer than ``wait`` seconds, leave it as it is (tried again later)."""
        try:
            chunks = sync(self.keywords, self.index, wait=wait)
        except TimeoutError:
            return
        if chunks:
            log.info("keyword index: %d chunks caught up with the store", chunks)
        self.mark_current()

    def mark_current(self) -> None:
        """The keyword index was just brought up to date (an ingest of this process does that)."""
        self._current = True
        self._due = time.monotonic() + self.interval



class _Ref(NamedTuple):
    """A ranked chunk before it is read: what collapsing stories needs."""
    chunk_id: str
    doc_id: str
    date: str


@dataclass
class Retrieval:
    hits: list[Hit]
    query_vector: list[float]
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds

    @property
    def best_similarity(self) -> float:
        return max((h.score for h in self.hits), default=0.0)


def fuse(dense: Sequence[str], keyword: Sequence[str], weight: float,
         blind: frozenset[str] | set[str] = frozenset()) -> list[tuple[str, float]]:
    """Weighted RRF of two ranked id lists -> [(id, fused score)], best first.

    ``blind``: dense ids that keyword search cannot match, because they are written in another
    language than the query. For them a missing or poor keyword rank is no evidence against them,
    so it is taken to be as good as their dense rank (an English article about wind farms ranked
    first by meaning for "Wanneer moeten de nieuwe windparken draaien?" fell below five Dutch
    passages that share "nieuwe" and "moeten")."""
    keyword_rank = {cid: rank for rank, cid in enumerate(keyword)}
    scores: dict[str, float] = {}
    for rank, cid in enumerate(dense):
        scores[cid] = scores.get(cid, 0.0) + (1 - weight) / (RRF_K + rank + 1)
        if cid in blind:
            keyword_rank[cid] = min(keyword_rank.get(cid, rank), rank)
    for cid, rank in keyword_rank.items():
        scores[cid] = scores.get(cid, 0.0) + weight / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def lifted(hits: Sequence[Hit], language: str) -> list[Hit]:
    """Dense ``hits`` in the order of their similarity plus ``rag.language.language_lift`` (the
    cross-language gap for those in another language than the query's, ``language``), as sentences
    are ranked (``rag.evidence``). Each keeps its real similarity. "how deep do the foundation piles
    of the bridge go?" over Dutch articles and three English ones: three passages of an English
    article on wind farms (0.78-0.82) left room for two Dutch ones, and the answer's (0.78) was not
    among them."""
    lift = language_lift([h.language for h in hits], language)
    return [hits[i] for i in sorted(range(len(hits)), key=lambda i: -(hits[i].score + lift[i]))]


def blind_to_keywords(query: str, hits: Sequence[Hit]) -> set[str]:
    """The hits in another language than ``query``, when the hits also hold the query's language
    (keyword search then favours the query's language; ``in_other_language``). When none is in the
    query's language (an English question over Dutch articles), keyword search is equally blind to all
    of them and still finds the names and numbers they share with the question: nothing changes then."""
    other = in_other_language([h.language for h in hits], detect_language(query, default=""))
    return {h.chunk_id for h, is_other in zip(hits, other) if is_other}


class Retriever:
    """Passages for a query. ``fresh``: called before each retrieval (a ``Freshness``)."""

    def __init__(self, index: NewsIndex, embeddings: Embeddings, keywords: KeywordIndex | None = None,
                 *, bm25_weight: float, fetch_k: int, fresh: Callable[[], None] | None = None):
        self.index, self.embeddings, self.keywords = index, embeddings, keywords
        self.bm25_weight, self.fetch_k, self.fresh = bm25_weight, fetch_k, fresh

    @property
    def hybrid(self) -> bool:
        return self.keywords is not None and self.bm25_weight > 0

    def respelled(self, text: str) -> str:
        """``text`` with its names written as the articles write them ("Lukashenko" -> "Loekasjenko",
        ``rag.names.respell``), looked up in the keyword index; as it is without one."""
        return respell(text, self.keywords.spelled) if self.keywords is not None else text

    def retrieve(self, query: str, k: int, dates: DateFilter | None = None,
                 vector: list[float] | None = None) -> Retrieval:
        """The best ``k`` passages for ``query`` (``vector``: its embedding, when the caller has it)."""
        if self.fresh is not None:
            self.fresh()
        t0 = time.perf_counter()
        vector = self.embeddings.embed_query(query) if vector is None else vector
        t1 = time.perf_counter()
        where = dates.where() if dates else None
        span = dates.bounds() if dates and where else None
        ids = None
        if span and self.keywords is not None:  # it knows each chunk's dates: faster than Chroma's filter
            ids = self.keywords.chunk_ids_between(*span)
        dense = lifted(self.index.search(vector, max(k, self.fetch_k), where, ids),  # more than k: stories collapse
                       detect_language(query, default=""))
        ranked = [h.chunk_id for h in dense]
        if self.hybrid and self.keywords is not None:
            keyword_ids = [cid for cid, _ in self.keywords.search(query, self.fetch_k, span)]
            ranked = [cid for cid, _ in fuse(ranked, keyword_ids, self.bm25_weight, blind_to_keywords(query, dense))]
        hits = self._best(ranked, {h.chunk_id: h for h in dense}, vector, k)
        timings = {"embed": t1 - t0, "retrieve": time.perf_counter() - t1}
        log.info("retrieve %.2fs: %d passages (dense %d, fused %d%s), best similarity %.3f, for %r",
                 timings["embed"] + timings["retrieve"], len(hits), len(dense), len(ranked),
                 f", dates {dates.describe()}" if dates else "", max((h.score for h in hits), default=0.0),
                 query[:80])
        return Retrieval(hits, vector, timings)

    def _best(self, ranked: list[str], found: dict[str, Hit], vector: list[float], k: int) -> list[Hit]:
        """The first ``k`` of these chunks with one article per story (``rag.stories.collapse``).

        Articles' records (their stories) are read for the first ones only, twice as many as needed
        at a time: a story's versions name each other, so where the first ``k`` kept lie among the
        articles read, they are those a read of all would keep. Chunks only keyword search found are
        read from the store (with their vectors, for their similarity) once they are among the first
        ``k``; one the store no longer holds (the keyword index a little behind) is left out."""
        doc_of = {cid: found[cid].doc_id if cid in found else cid.rsplit("#", 1)[0] for cid in ranked}
        records: dict = {}
        dates = {h.doc_id: h.date for h in found.values()}
        n = 2 * k
        while True:
            docs = list(dict.fromkeys(doc_of[cid] for cid in ranked))
            head = set(docs[:n])
            records.update(self.index.records(sorted(head - records.keys())))
            others = {d for h in head if h in records for d in records[h].dups} & set(docs) - records.keys()
            records.update(self.index.records(sorted(others)))
            dates.update((d, r.date) for d, r in records.items() if d not in dates)
            dups = {d: r.dups for d, r in records.items() if r.dups}
            refs = [_Ref(cid, doc_of[cid], dates.get(doc_of[cid], "")) for cid in ranked]
            kept = collapse(refs, dups) if dups else refs
            if n < len(docs) and any(r.doc_id not in head for r in kept[:k]):
                n *= 2  # a chunk of an article not read yet is among the first: its story is unknown
                continue
            first = [r.chunk_id for r in kept[:k]]
            missing = [cid for cid in first if cid not in found]
            if not missing:
                return [found[cid] for cid in first]
            found.update((hit.chunk_id, hit) for hit in self._with_similarity(missing, vector))
            ranked = [cid for cid in ranked if cid in found or cid not in missing]

    def _with_similarity(self, chunk_ids: list[str], vector: list[float]) -> list[Hit]:
        if not chunk_ids:
            return []
        got = self.index.chunk_records(chunk_ids, ("documents", "metadatas", "embeddings"))
        q = np.asarray(vector, dtype=np.float32)
        return [Hit.from_record(i, d, m, float(np.dot(q, np.asarray(e, dtype=np.float32))))
                for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])]
