"""Find the passages for a question: dense search in Chroma, optionally fused with BM25 by weight.

A date filter is applied to dense search by the chunk ids the keyword index gives for the range
(when there is one): Chroma's own range filter reads every chunk's metadata. Keyword search ranks
among the range's chunks too, so a dated question gets its best keyword matches of that period.
Fusion is weighted reciprocal-rank fusion: ``(1 - w) / (60 + dense rank) + w / (60 + keyword rank)``.
Every hit keeps its real cosine similarity to the query (keyword-only hits get theirs computed from
their stored vectors), because abstention is decided on similarity, not on fused ranks.
Near-duplicate articles (one story in two papers, or an updated version) are answered once: hits of
a story's other versions are dropped for its newest retrieved version (``rag.stories.collapse``)
before the best ``k`` are taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import NamedTuple, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.dates import DateFilter
from rag.keyword import KeywordIndex
from rag.store import Hit, NewsIndex
from rag.stories import collapse

RRF_K = 60


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


def fuse(dense: Sequence[str], keyword: Sequence[str], weight: float) -> list[tuple[str, float]]:
    """Weighted RRF of two ranked id lists -> [(id, fused score)], best first."""
    scores: dict[str, float] = {}
    for rank, cid in enumerate(dense):
        scores[cid] = scores.get(cid, 0.0) + (1 - weight) / (RRF_K + rank + 1)
    for rank, cid in enumerate(keyword):
        scores[cid] = scores.get(cid, 0.0) + weight / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda kv: -kv[1])


class Retriever:
    def __init__(self, index: NewsIndex, embeddings: Embeddings, keywords: KeywordIndex | None = None,
                 *, bm25_weight: float = 0.3, fetch_k: int = 20):
        self.index, self.embeddings, self.keywords = index, embeddings, keywords
        self.bm25_weight, self.fetch_k = bm25_weight, fetch_k

    @property
    def hybrid(self) -> bool:
        return self.keywords is not None and self.bm25_weight > 0

    def retrieve(self, query: str, k: int, dates: DateFilter | None = None) -> Retrieval:
        t0 = time.perf_counter()
        vector = self.embeddings.embed_query(query)
        t1 = time.perf_counter()
        where = dates.where() if dates else None
        span = dates.bounds() if dates and where else None
        ids = None
        if span and self.keywords is not None:  # it knows each chunk's dates: faster than Chroma's filter
            ids = self.keywords.chunk_ids_between(*span)
        dense = self.index.search(vector, max(k, self.fetch_k), where, ids)  # more than k: stories collapse
        ranked = [h.chunk_id for h in dense]
        if self.hybrid and self.keywords is not None:
            keyword_ids = [cid for cid, _ in self.keywords.search(query, self.fetch_k, span)]
            ranked = [cid for cid, _ in fuse(ranked, keyword_ids, self.bm25_weight)]
        hits = self._best(ranked, {h.chunk_id: h for h in dense}, vector, k)
        return Retrieval(hits, vector, {"embed": t1 - t0, "retrieve": time.perf_counter() - t1})

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
