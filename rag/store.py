"""The index: chunks and article records in two Chroma collections, embedded or on a server.

``<name>`` holds one record per chunk (exact text, span, heading, the article's metadata) in cosine
space. ``<name>-articles`` holds one record per article: its full text, content hash and chunk count.
The article record is written *last*, so it marks an article as complete: a run killed halfway
leaves articles without a record (or with the old hash), and the next run writes them again onto
the same positional chunk ids — no duplicates. Vectors are always computed by our embedder and
passed in; Chroma's own embedding function is never used (it would reach for a model hub).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from rag.documents import Article, Chunk

_MANIFEST_VECTOR = [1.0]  # article records are never searched by vector


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with the article facts a citation needs."""
    chunk_id: str
    doc_id: str
    title: str
    date: str
    text: str
    start: int
    end: int
    heading: str
    score: float  # cosine similarity for dense hits, fused score after fusion

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict[str, Any], score: float) -> "Hit":
        return cls(chunk_id, str(meta["doc_id"]), str(meta.get("title", "")), str(meta.get("date", "")),
                   text, int(meta["start"]), int(meta["end"]), str(meta.get("heading", "")), score)


@dataclass(frozen=True)
class ArticleRecord:
    doc_id: str
    content_hash: str
    n_chunks: int
    title: str
    date: str
    source: str
    path: str = ""  # the file the article came from


class NewsIndex:
    def __init__(self, client: Any, name: str = "newsrag"):
        self.client = client
        self.name = name
        cosine = {"hnsw": {"space": "cosine"}}
        self.chunks = client.get_or_create_collection(name, configuration=cosine, embedding_function=None)
        self.articles = client.get_or_create_collection(f"{name}-articles", embedding_function=None)
        self.max_batch = int(client.get_max_batch_size())  # records per Chroma call

    # -- writing -------------------------------------------------------------------------------
    def write_article(self, article: Article, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Replace all of an article's chunks, then mark it complete with its record."""
        self.write_articles([(article, chunks, vectors)])

    def write_articles(self, items: Sequence[tuple[Article, Sequence[Chunk], Sequence[Sequence[float]]]]) -> None:
        """``write_article`` for several articles in few Chroma calls (each call is a transaction of
        its own, ~50 ms): all their chunks first, then what is left of longer old versions, then the
        records that mark the articles complete."""
        rows = [(chunk, vector, meta) for article, chunks, vectors in items for meta in [article.metadata()]
                for chunk, vector in zip(chunks, vectors, strict=True)]
        step = self.max_batch  # a 5 MB article can have more chunks than Chroma takes in one call
        for i in range(0, len(rows), step):
            part = rows[i:i + step]
            self.chunks.upsert(
                ids=[c.chunk_id for c, _, _ in part],
                embeddings=[list(v) for _, v, _ in part],
                documents=[c.text for c, _, _ in part],
                metadatas=[{**meta, "chunk_index": c.index, "start": c.start, "end": c.end, "heading": c.heading}
                           for c, _, meta in part],
            )
        for article, chunks, _ in items:
            self.chunks.delete(where={"$and": [{"doc_id": article.doc_id}, {"chunk_index": {"$gte": len(chunks)}}]})
        for i in range(0, len(items), step):
            part = items[i:i + step]
            self.articles.upsert(ids=[a.doc_id for a, _, _ in part], embeddings=[_MANIFEST_VECTOR] * len(part),
                                 documents=[a.text for a, _, _ in part],
                                 metadatas=[{**a.metadata(), "hash": a.content_hash, "n_chunks": len(c)}
                                            for a, c, _ in part])

    def delete_article(self, doc_id: str) -> bool:
        found = bool(self.articles.get(ids=[doc_id], include=[])["ids"])
        self.articles.delete(ids=[doc_id])  # record first: a half-deleted article reads as absent
        self.chunks.delete(where={"doc_id": doc_id})
        return found

    # -- reading -------------------------------------------------------------------------------
    def records(self, doc_ids: Sequence[str] | None = None) -> dict[str, ArticleRecord]:
        """Article records, for the given ids or all of them."""
        out: dict[str, ArticleRecord] = {}
        if doc_ids is not None and not doc_ids:
            return out
        offset, page = 0, 5000
        while True:
            got = (self.articles.get(ids=list(doc_ids), include=["metadatas"]) if doc_ids is not None
                   else self.articles.get(include=["metadatas"], limit=page, offset=offset))
            for doc_id, m in zip(got["ids"], got["metadatas"]):
                out[doc_id] = ArticleRecord(doc_id, str(m.get("hash", "")), int(m.get("n_chunks", 0)),
                                            str(m.get("title", "")), str(m.get("date", "")), str(m.get("source", "")),
                                            str(m.get("path", "")))
            if doc_ids is not None or len(got["ids"]) < page:
                return out
            offset += page

    def article(self, doc_id: str) -> Article | None:
        got = self.articles.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        m = got["metadatas"][0]
        return Article(doc_id=doc_id, title=str(m.get("title", "")), text=got["documents"][0],
                       date=str(m.get("date") or "") or None, source=str(m.get("source", "")),
                       url=str(m.get("url", "")), language=str(m.get("language", "")))

    def count(self) -> int:
        return self.chunks.count()

    def search(self, vector: Sequence[float], k: int, where: dict | None = None) -> list[Hit]:
        """Nearest chunks by cosine similarity (1 - cosine distance)."""
        if k <= 0 or self.count() == 0:
            return []
        got = self.chunks.query(query_embeddings=[list(vector)], n_results=k, where=where or None,
                                include=["documents", "metadatas", "distances"])
        return [Hit.from_record(i, d, m, 1.0 - float(dist))
                for i, d, m, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])]

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Hit]:
        if not chunk_ids:
            return []
        got = self.chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        by_id = {i: Hit.from_record(i, d, m, 0.0) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[i] for i in chunk_ids if i in by_id]

    def iter_chunks(self, page: int = 5000) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of every chunk, paged, for building the keyword index."""
        offset = 0
        while True:
            got = self.chunks.get(include=["documents", "metadatas"], limit=page, offset=offset)
            yield from zip(got["ids"], got["documents"], got["metadatas"])
            if len(got["ids"]) < page:
                return
            offset += page
