"""The index: chunks and article records in Chroma collections, embedded or on a server.

``<name>`` holds one record per chunk (exact text, span, heading, the article's metadata) in cosine
space; its collection metadata records the embedder that made the vectors (``rag.embedder_id``).
``<name>-articles`` holds one record per article: its full text, content hash and chunk count.
``<name>-changes`` is the change log: one record per article ever written, its last change (the new
content hash, "" when deleted) and when (``at``, ms). It is written *before* the chunks, so a reader
that follows it (``rag.keyword_sync``) learns of every write, finished or not, by a query on ``at``.
``<name>-files`` lists the files articles came from (``rag.source_files``), and ``<name>-story-keys``
each article's MinHash band keys (``rag.story_keys``); both are written before the chunks too, so
they name at least every stored article.
The article record is written *last*, so it marks an article as complete: a run killed halfway
leaves articles without a record (or with the old hash), and the next run writes them again onto
the same positional chunk ids — no duplicates. Vectors are always computed by our embedder and
passed in; Chroma's own embedding function is never used (it would reach for a model hub).
Every call goes through ``rag.chroma_access``: other processes' writes, Chroma's errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rag.chroma_access import MANIFEST_VECTOR, GuardedChroma, is_store_error
from rag.documents import Article, Chunk
from rag.embedder_id import EmbedderId
from rag.records import ArticleRecord, Hit, parse_records
from rag.source_files import SourceFiles
from rag.story_keys import StoryKeys


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class NewsIndex(GuardedChroma):
    """The collections of index ``name`` on ``client`` (``GuardedChroma``: ``opener``, ``stamp``, ``hint``,
    ``closer``)."""

    chunks: Any  # Chroma collections, set (again, on a reopen) from ``_collections``
    articles: Any
    changes: Any
    files: SourceFiles
    story_keys: StoryKeys

    def __init__(self, client: Any, name: str = "newsrag", *, opener: Callable[[Any], Any] | None = None,
                 stamp: Callable[[], Any] | None = None, hint: str = "", closer: Callable[[Any], None] | None = None):
        self.name = name
        super().__init__(client, opener=opener, stamp=stamp, hint=hint, closer=closer)

    def _collections(self, client: Any) -> dict[str, Any]:
        def named(suffix: str, **options: Any) -> Any:
            return client.get_or_create_collection(f"{self.name}{suffix}", embedding_function=None, **options)

        return {"chunks": named("", configuration={"hnsw": {"space": "cosine"}}), "articles": named("-articles"),
                "changes": named("-changes"), "files": SourceFiles(self, named("-files")),
                "story_keys": StoryKeys(self, named("-story-keys"))}

    # -- writing -------------------------------------------------------------------------------
    def write_article(self, article: Article, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Replace all of an article's chunks, then mark it complete with its record."""
        self.write_articles([(article, chunks, vectors)])

    def write_articles(self, items: Sequence[tuple[Article, Sequence[Chunk], Sequence[Sequence[float]]]],
                       extras: Sequence[dict[str, str]] | None = None) -> None:
        """``write_article`` for several articles in few Chroma calls (each call is a transaction of
        its own, ~50 ms): all their chunks first, then what is left of longer old versions, then the
        records that mark the articles complete. ``extras``: more metadata for each article's record."""
        self.write(lambda: self._write_articles(items, extras or [{}] * len(items)))

    def _log(self, changes: Sequence[tuple[str, str]]) -> None:
        """Record (doc_id, new content hash or "") as changed now, before the change is made."""
        at = now_ms()
        for i in range(0, len(changes), self.max_batch):
            part = changes[i:i + self.max_batch]
            self.changes.upsert(ids=[d for d, _ in part], embeddings=[MANIFEST_VECTOR] * len(part),
                                metadatas=[{"at": at, "hash": h} for _, h in part])

    def _write_articles(self, items: Sequence[tuple[Article, Sequence[Chunk], Sequence[Sequence[float]]]],
                        extras: Sequence[dict[str, str]]) -> None:
        self._check_dimension(len(items[0][2][0]) if items and items[0][2] else None, adopt=True)
        self._log([(a.doc_id, a.content_hash) for a, _, _ in items])
        self.files.add([a.path for a, _, _ in items])
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
        by_count: dict[int, list[str]] = {}  # what is left of longer old versions: one call for all
        for article, chunks, _ in items:
            by_count.setdefault(len(chunks), []).append(article.doc_id)
        beyond = [{"$and": [{"doc_id": {"$in": ids}}, {"chunk_index": {"$gte": n}}]} for n, ids in by_count.items()]
        if beyond:
            self.chunks.delete(where=beyond[0] if len(beyond) == 1 else {"$or": beyond})
        for i in range(0, len(items), step):
            some = items[i:i + step]
            self.articles.upsert(ids=[a.doc_id for a, _, _ in some], embeddings=[MANIFEST_VECTOR] * len(some),
                                 documents=[a.text for a, _, _ in some],
                                 metadatas=[{**a.metadata(), **extra, "hash": a.content_hash, "n_chunks": len(c)}
                                            for (a, c, _), extra in zip(some, extras[i:i + step])])

    def update_records(self, changes: dict[str, dict[str, str]]) -> None:
        """Set metadata keys on article records (not their chunks): ``{doc_id: {key: value}}``."""
        def update() -> None:
            ids = list(changes)
            for i in range(0, len(ids), self.max_batch):
                got = self.articles.get(ids=ids[i:i + self.max_batch], include=["metadatas"])
                if got["ids"]:
                    self.articles.update(ids=got["ids"], metadatas=[{**m, **changes[d]}
                                                                    for d, m in zip(got["ids"], got["metadatas"])])
        if changes:
            self.write(update)

    def texts(self, doc_ids: Sequence[str], page: int = 500) -> dict[str, str]:
        """Full article texts by id (those that exist), ``page`` articles per store call."""
        ids, out = list(doc_ids), dict[str, str]()
        for i in range(0, len(ids), page):
            part = ids[i:i + page]
            got = self.read(lambda: self.articles.get(ids=part, include=["documents"]))
            out.update(zip(got["ids"], got["documents"]))
        return out

    def delete_article(self, doc_id: str) -> bool:
        return bool(self.delete_articles([doc_id]))

    def delete_articles(self, doc_ids: Sequence[str], page: int = 100) -> list[str]:
        """Delete articles (a few Chroma calls for all of them, each its own transaction); the others
        of their stories wait to be linked again (``rag.story_links``). Returns those that were there."""
        def delete() -> list[str]:
            records = self.records(doc_ids)
            self.story_keys.wait({d for r in records.values() for d in r.dups} - set(doc_ids))
            self._log([(d, "") for d in doc_ids])
            self.articles.delete(ids=list(doc_ids))  # records first: a half-deleted article reads as absent
            for i in range(0, len(doc_ids), page):
                part = list(doc_ids[i:i + page])
                self.chunks.delete(where={"doc_id": part[0]} if len(part) == 1 else {"doc_id": {"$in": part}})
            self.story_keys.forget(doc_ids)
            return [d for d in doc_ids if d in records]
        return self.write(delete) if doc_ids else []

    def relocate(self, article: Article) -> None:
        """Record that an unchanged article now lives at ``article.path`` (its file moved, or was
        stored by an older version without its full path); nothing is embedded again."""
        def update() -> None:
            where = {"path": article.path, "source": article.source}
            got = self.chunks.get(where={"doc_id": article.doc_id}, include=["metadatas"])
            if got["ids"]:
                self.chunks.update(ids=got["ids"], metadatas=[{**m, **where} for m in got["metadatas"]])
            self.files.add([article.path])
            got = self.articles.get(ids=[article.doc_id], include=["metadatas"])
            if got["ids"]:
                self.articles.update(ids=got["ids"], metadatas=[{**got["metadatas"][0], **where}])
        self.write(update)

    # -- reading -------------------------------------------------------------------------------
    def records(self, doc_ids: Sequence[str] | None = None) -> dict[str, ArticleRecord]:
        """Article records, for the given ids or all of them."""
        out: dict[str, ArticleRecord] = {}
        if doc_ids is not None and not doc_ids:
            return out
        offset, page = 0, 5000
        while True:
            got = self.read(lambda: self.articles.get(ids=list(doc_ids), include=["metadatas"]) if doc_ids is not None
                             else self.articles.get(include=["metadatas"], limit=page, offset=offset))
            out.update(parse_records(got))
            if doc_ids is not None or len(got["ids"]) < page:
                return out
            offset += page

    def records_at(self, paths: Sequence[str], page: int = 100) -> dict[str, ArticleRecord]:
        """The records of the articles stored from these files (absolute paths)."""
        out: dict[str, ArticleRecord] = {}
        for i in range(0, len(paths), page):
            part = list(paths[i:i + page])
            where = {"path": part[0]} if len(part) == 1 else {"path": {"$in": part}}
            out.update(parse_records(self.read(lambda: self.articles.get(where=where, include=["metadatas"]))))
        return out

    def article(self, doc_id: str) -> Article | None:
        got = self.read(lambda: self.articles.get(ids=[doc_id], include=["metadatas", "documents"]))
        if not got["ids"]:
            return None
        m = got["metadatas"][0]
        return Article(doc_id=doc_id, title=str(m.get("title", "")), text=got["documents"][0],
                       date=str(m.get("date") or "") or None, source=str(m.get("source", "")),
                       url=str(m.get("url", "")), language=str(m.get("language", "")))

    def count(self) -> int:
        return self.read(lambda: self.chunks.count())

    def search(self, vector: Sequence[float], k: int, where: dict | None = None,
               ids: Sequence[str] | None = None) -> list[Hit]:
        """Nearest chunks by cosine similarity (1 - cosine distance), among those ``where`` keeps.
        ``ids``: the chunks ``where`` keeps, when known (``KeywordIndex.chunk_ids_between``): ranking
        among them is a fast path, as Chroma's own range filter reads every chunk's metadata. Chroma
        refuses ids it does not hold (a list a little behind the store: an article deleted or
        shortened meanwhile); then ``where`` is used."""
        if k <= 0 or (ids is not None and not ids):
            return []
        self._check_open()  # the fast path below calls Chroma outside ``read``
        self._check_dimension(len(vector))

        def query(**among: Any) -> dict:
            return self.chunks.query(query_embeddings=[list(vector)], n_results=k,
                                     include=["documents", "metadatas", "distances"], **among)
        got = None
        if ids is not None and where:
            try:
                got = query(ids=list(ids))
            except Exception as exc:
                if not is_store_error(exc):
                    raise
        if got is None:
            got = self.read(lambda: query(where=where or None) if ids is None or where else query(ids=list(ids)))
        return [Hit.from_record(i, d, m, 1.0 - float(dist))
                for i, d, m, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])]

    def chunk_records(self, chunk_ids: Sequence[str], include: Sequence[str] = ("documents", "metadatas")) -> dict:
        """Chroma's own ``get`` result for these chunk ids (guarded like every read)."""
        return self.read(lambda: self.chunks.get(ids=list(chunk_ids), include=list(include)))

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Hit]:
        if not chunk_ids:
            return []
        got = self.chunk_records(chunk_ids)
        by_id = {i: Hit.from_record(i, d, m, 0.0) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[i] for i in chunk_ids if i in by_id]

    def chunks_of(self, doc_ids: Sequence[str], page: int = 200) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of these articles' chunks."""
        for i in range(0, len(doc_ids), page):
            part = list(doc_ids[i:i + page])
            where = {"doc_id": part[0]} if len(part) == 1 else {"doc_id": {"$in": part}}
            got = self.read(lambda: self.chunks.get(where=where, include=["documents", "metadatas"]))
            yield from zip(got["ids"], got["documents"], got["metadatas"])

    def changes_since(self, at: int, page: int = 5000) -> dict[str, tuple[str, int]]:
        """doc_id -> (content hash, "" if deleted; when, ms) of articles changed at or after ``at``."""
        out: dict[str, tuple[str, int]] = {}
        offset = 0
        while True:
            got = self.read(lambda: self.changes.get(where={"at": {"$gte": int(at)}}, include=["metadatas"],
                                                      limit=page, offset=offset))
            out.update((d, (str(m.get("hash", "")), int(m["at"]))) for d, m in zip(got["ids"], got["metadatas"]))
            if len(got["ids"]) < page:
                return out
            offset += page

    # -- the embedder that made the vectors ------------------------------------------------------
    @property
    def embedder(self) -> EmbedderId | None:
        """The embedder recorded for this index; None for an index made before the record existed."""
        return EmbedderId.from_metadata(self.chunks.metadata)

    def claim_embedder(self, embedder: EmbedderId, *, adopt: bool) -> None:
        """Refuse an embedder other than the recorded one (``ConfigError``, one line saying how to
        re-index); with ``adopt``, record it on an index that has no record yet (a writer does)."""
        recorded = self.embedder
        if recorded is not None:
            recorded.check(embedder, f"collection {self.name!r}")
        elif adopt:
            self.write(lambda: self._set_embedder(embedder))

    def _check_dimension(self, dimension: int | None, *, adopt: bool = False) -> None:
        recorded = self.embedder
        if dimension is None or recorded is None:
            return
        recorded.check_dimension(dimension, f"collection {self.name!r}")
        if recorded.dimension is None and adopt:
            self._set_embedder(recorded.with_dimension(dimension))

    def _set_embedder(self, embedder: EmbedderId) -> None:
        metadata = {k: v for k, v in (self.chunks.metadata or {}).items() if not k.startswith("hnsw:")}
        self.chunks.modify(metadata={**metadata, **embedder.as_metadata()})

    def iter_chunks(self, page: int = 5000) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of every chunk, paged, for building the keyword index. The next
        page is read while this one is used (Chroma lets go of the GIL for part of a read)."""
        def read(offset: int) -> dict:
            return self.read(lambda: self.chunks.get(include=["documents", "metadatas"], limit=page, offset=offset))

        with ThreadPoolExecutor(1) as pool:
            offset, ahead = 0, pool.submit(read, 0)
            while True:
                got = ahead.result()
                if len(got["ids"]) == page:
                    ahead = pool.submit(read, offset + page)
                yield from zip(got["ids"], got["documents"], got["metadatas"])
                if len(got["ids"]) < page:
                    return
                offset += page
