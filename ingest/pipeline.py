"""Ingest reads like the pipeline: load articles -> skip unchanged -> chunk -> embed -> write -> prune.

Idempotent and incremental: an article whose content hash matches its stored record is not chunked
or embedded again (only the records of the files and ids read are looked up, except for a prune); a changed one has all its chunks replaced; ``prune`` removes articles whose
files are gone. Embedding is batched across articles for speed, and each article's record is
written only after its chunks, so an interrupted run is completed by the next (see ``rag.store``).
At the end the keyword index catches up with what changed (``rag.keyword_sync``): its cost follows
the change, not the archive.

Articles are tied to their files by absolute, resolved path, so it does not matter from which
folder or by which path a file is named: a file already indexed keeps its id and, unchanged, is
not embedded again. An id already taken by an article from another file that still exists is not
replaced unless ``replace`` is given: the line says which file holds it. Prune removes only
articles whose file is gone or was read now without them, never one whose file still holds it.
Taking turns with other writers is the caller's job (``newsrag.chatbot`` holds ``rag.lock``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from langchain_core.embeddings import Embeddings

from ingest.chunking import chunk_article
from ingest.loaders import JSONL_SUFFIXES, discover, load_file
from rag.documents import Article, Chunk
from rag.errors import ArticleError
from rag.keyword import KeywordIndex
from rag.keyword_sync import sync
from rag.store import ArticleRecord, NewsIndex

log = logging.getLogger(__name__)

EMBED_BATCH = 256  # chunks per embedder call and per Chroma write; bigger calls pad less (the model
# sorts each call by length) and write in fewer transactions; a killed run redoes at most one batch
Progress = Callable[[int, int, int], None]  # (bytes done, bytes total, chunks embedded)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line each: "file[:line]: reason"
    warnings: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    keyword_chunks: int | None = None  # chunks the keyword index (re)indexed; None when it had nothing to do

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "updated": len(self.updated), "unchanged": len(self.unchanged),
                "removed": len(self.removed), "skipped": len(self.skipped)}


class LazyEmbeddings(Embeddings):
    """An embedder built by ``factory`` on first use, so a run with nothing to embed (an unchanged
    re-ingest) never loads the model."""

    def __init__(self, factory: Callable[[], Embeddings]):
        self._factory, self._inner = factory, None

    @property
    def built(self) -> bool:
        return self._inner is not None

    @property
    def inner(self) -> Embeddings:
        if self._inner is None:
            self._inner = self._factory()
        return self._inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


class _Batcher:
    """Collects articles until enough chunks for one embedder call, then writes them."""

    def __init__(self, index: NewsIndex, embeddings: Embeddings, report: IngestReport):
        self.index, self.embeddings, self.report = index, embeddings, report
        self.pending: list[tuple[Article, list[Chunk]]] = []

    def add(self, article: Article, chunks: list[Chunk]) -> None:
        self.pending.append((article, chunks))
        if sum(len(c) for _, c in self.pending) >= EMBED_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        texts = [c.text for _, chunks in self.pending for c in chunks]
        vectors = self.embeddings.embed_documents(texts) if texts else []
        items, pos = [], 0
        for article, chunks in self.pending:
            items.append((article, chunks, vectors[pos:pos + len(chunks)]))
            pos += len(chunks)
        self.index.write_articles(items)
        self.report.chunks_embedded += len(texts)
        self.pending = []


def _with_sizes(paths: Sequence[Path], report: IngestReport) -> list[tuple[Path, str, int]]:
    files = []
    for found in discover(paths):
        if isinstance(found, ArticleError):
            report.skipped.append(str(found))
            continue
        path, doc_id = found
        try:
            files.append((path, doc_id, path.stat().st_size))
        except OSError as exc:
            report.skipped.append(str(ArticleError(str(path), f"cannot read ({exc.strerror or exc})")))
    return files


class _Known(dict):
    """doc_id -> stored record, as far as an ingest needs them: every record for a prune (it compares
    against all), else those stored from the files being read plus those of the ids read (looked up
    ``LOOKUP`` at a time, ``looked_up``), so a small ingest into a large archive reads few records."""

    LOOKUP = 256

    def __init__(self, index: NewsIndex, paths: list[str], *, everything: bool):
        super().__init__(index.records() if everything else index.records_at(paths))
        self.index, self.everything = index, everything
        self.looked: set[str] = set(self)

    def looked_up(self, items: Iterable[Article | ArticleError]) -> Iterator[Article | ArticleError]:
        """``items`` again, after their stored records (if any) were fetched."""
        pending: list[Article | ArticleError] = []
        for item in items:
            pending.append(item)
            if len(pending) >= self.LOOKUP:
                yield from self._fetch(pending)
                pending = []
        yield from self._fetch(pending)

    def _fetch(self, items: list[Article | ArticleError]) -> list[Article | ArticleError]:
        ids = list(dict.fromkeys(i.doc_id for i in items if isinstance(i, Article) and i.doc_id not in self.looked))
        if ids and not self.everything:
            self.update(self.index.records(ids))
        self.looked.update(ids)
        return items


def _held_elsewhere(record: ArticleRecord, article: Article) -> bool:
    """The stored article came from another file, which still exists (so this is no move)."""
    return os.path.isabs(record.path) and record.path != article.path and Path(record.path).exists()


def ingest(paths: Sequence[Path], index: NewsIndex, embeddings: Embeddings, keywords: KeywordIndex | None = None,
           *, prune: bool = False, replace: bool = False, progress: Progress | None = None) -> IngestReport:
    report = IngestReport()
    files = _with_sizes(paths, report)
    total = sum(size for _, _, size in files)
    done = 0
    known = _Known(index, [str(path.resolve()) for path, _, _ in files], everything=prune)
    ids_by_path: dict[str, list[str]] = {}
    for doc_id, rec in known.items():
        ids_by_path.setdefault(rec.path, []).append(doc_id)
    seen: dict[str, str] = {}  # doc_id -> where it was read ("file" or "file:line")
    loaded: set[str] = set()  # files that were read and held at least one article
    batch = _Batcher(index, embeddings, report)

    for path, doc_id, size in files:
        resolved = str(path.resolve())
        if path.suffix.lower() not in JSONL_SUFFIXES and len(ids_by_path.get(resolved, [])) == 1:
            doc_id = ids_by_path[resolved][0]  # indexed before, by another path to it: keep its id
        for item in known.looked_up(load_file(path, doc_id)):
            if isinstance(item, ArticleError):
                (report.warnings if item.reason.endswith("(ingested)") else report.skipped).append(str(item))
                continue
            loaded.add(item.path)
            where = f"{path}:{item.line}" if item.line is not None else str(path)
            if item.doc_id in seen:
                report.skipped.append(f"{where}: duplicate article id {item.doc_id!r} (kept the one from "
                                      f"{seen[item.doc_id]})")
                continue
            seen[item.doc_id] = where
            record = known.get(item.doc_id)
            if record and not replace and _held_elsewhere(record, item):
                report.skipped.append(f"{where}: article id {item.doc_id!r} is already taken by {record.path}; "
                                      f"not replaced (ingest with --replace to replace it)")
                continue
            if record and record.content_hash == item.content_hash:
                if record.path != item.path:
                    index.relocate(item)  # moved, or stored without its full path: nothing to embed
                report.unchanged.append(item.doc_id)
                continue
            (report.updated if record else report.added).append(item.doc_id)
            batch.add(item, chunk_article(item))
            if progress:
                progress(done, total, report.chunks_embedded)
        done += size
        if progress:
            progress(done, total, report.chunks_embedded)
    batch.flush()

    if prune:
        legacy = 0
        for doc_id in sorted(set(known) - set(seen)):
            path = known[doc_id].path
            if not os.path.isabs(path):  # stored by an older version: we cannot tell where its file is
                legacy += 1
                continue
            # Gone: its file no longer exists, or was read now without it (a line dropped from a JSONL).
            # A file that exists but could not be read now (damaged, unreadable) keeps its articles.
            if path in loaded or not Path(path).exists():
                index.delete_article(doc_id)
                report.removed.append(doc_id)
        if legacy:
            report.warnings.append(f"{legacy} article(s) not pruned: stored without their file's full path (by an "
                                   f"older version); ingest their files again to record it")
    if keywords is not None:
        try:
            report.keyword_chunks = sync(keywords, index)
        except TimeoutError as exc:  # another process holds it long (filling a new index): it catches up later
            report.warnings.append(f"{exc}; it catches up with this ingest on its next use")
    return report
