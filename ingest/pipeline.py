"""Ingest reads like the pipeline: load articles -> skip unchanged -> chunk -> embed -> write -> prune.

Idempotent and incremental: an article whose content hash matches its stored record is not chunked
or embedded again; a changed one has all its chunks replaced; ``prune`` removes articles whose
files are gone. Embedding is batched across articles for speed, and each article's record is
written only after its chunks, so an interrupted run is completed by the next (see ``rag.store``).
The keyword index is rebuilt once at the end when anything changed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from langchain_core.embeddings import Embeddings

from ingest.chunking import chunk_article
from ingest.loaders import discover, load_file
from rag.documents import Article, Chunk
from rag.errors import ArticleError
from rag.keyword import KeywordIndex
from rag.store import NewsIndex

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
    keyword_chunks: int | None = None  # None when the keyword index did not need a rebuild

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "updated": len(self.updated), "unchanged": len(self.unchanged),
                "removed": len(self.removed), "skipped": len(self.skipped)}


def fingerprint(index: NewsIndex) -> str:
    """A digest of every article record: equal fingerprints mean equal indexed content."""
    h = hashlib.sha256()
    for doc_id, rec in sorted(index.records().items()):
        h.update(f"{doc_id}\0{rec.content_hash}\n".encode())
    return h.hexdigest()


def refresh_keywords(index: NewsIndex, keywords: KeywordIndex) -> int:
    return keywords.rebuild(((cid, text) for cid, text, _ in index.iter_chunks()), fingerprint(index))


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


def _with_sizes(paths: Sequence[Path], report: IngestReport) -> list[tuple[Path, int]]:
    files = []
    for found in discover(paths):
        if isinstance(found, ArticleError):
            report.skipped.append(str(found))
        else:
            files.append((found, found.stat().st_size))
    return files


def ingest(paths: Sequence[Path], index: NewsIndex, embeddings: Embeddings, keywords: KeywordIndex | None = None,
           *, prune: bool = False, progress: Progress | None = None) -> IngestReport:
    report = IngestReport()
    files = _with_sizes(paths, report)
    total = sum(size for _, size in files)
    done = 0
    known = index.records()
    seen: set[str] = set()
    batch = _Batcher(index, embeddings, report)

    for path, size in files:
        for item in load_file(path):
            if isinstance(item, ArticleError):
                (report.warnings if item.reason.endswith("(ingested)") else report.skipped).append(str(item))
                continue
            if item.doc_id in seen:
                report.skipped.append(f"{path}: duplicate article id {item.doc_id!r} (kept the first)")
                continue
            seen.add(item.doc_id)
            record = known.get(item.doc_id)
            if record and record.content_hash == item.content_hash:
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
        read = {str(path) for path, _ in files}
        for doc_id in sorted(set(known) - seen):
            path = known[doc_id].path
            # Gone: its file no longer exists, or was read now without it (a line dropped from a JSONL).
            if not path or path in read or not Path(path).exists():
                index.delete_article(doc_id)
                report.removed.append(doc_id)
    if keywords is not None and (report.changed or keywords.fingerprint != fingerprint(index)):
        report.keyword_chunks = refresh_keywords(index, keywords)
    return report
