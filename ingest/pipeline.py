"""Ingest reads like the pipeline: load articles -> skip unchanged -> chunk -> embed -> write -> prune
-> link stories.

Idempotent and incremental: an article whose content hash matches its stored record is not chunked
or embedded again (only the records of the files and ids read are looked up); a changed one has all
its chunks replaced; ``prune`` removes articles whose files are gone (it reads the list of files the
index keeps, ``rag.source_files``, and the records of the files gone or read). Embedding is batched
across articles for speed, and each article's record is written only after its chunks, so an
interrupted run is completed by the next (see ``rag.store``). At the end near-duplicate articles
are linked into stories around what changed (``rag.story_links``), and the keyword index catches up
with what changed (``rag.keyword_sync``): both cost what the change costs, not what the archive does.

Articles are tied to their files by absolute, resolved path, so it does not matter from which
folder or by which path a file is named: a file already indexed keeps its id and, unchanged, is
not embedded again. An id already taken by an article from another file that still exists is not
replaced unless ``replace`` is given: the line says which file holds it. Prune removes only
articles whose file is gone or was read now without them, never one whose file still holds it.
Feed entries (``ingest.feeds``) are the exception to prune: an entry that drops out of its feed is
kept (feeds roll over), and the same entry in two feeds is one article, not a clash of ids.
``changed`` limits a run to some files under the named folders (``ingest.watch`` passes what
changed), with their ids as if the whole folder were ingested.
Taking turns with other writers is the caller's job (``newsrag.chatbot`` holds ``rag.lock``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ingest.chunking import chunk_article
from ingest.feeds import FeedOptions, Unchanged, is_url, load_feed_url
from ingest.loaders import JSONL_SUFFIXES, Item, UnreadableFolder, discover, is_feed_file, load_file
from ingest.prune import gone, prune_gone, within
from rag import stories
from rag.documents import Article, Chunk
from rag.errors import ArticleError
from rag.keyword import KeywordIndex
from rag.keyword_sync import sync
from rag.store import ArticleRecord, NewsIndex
from rag.story_links import link_stories

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
    # Folders that could not be listed, one line each: none of their files was read, and prune keeps
    # the articles stored from them. Not "skipped": that counts files.
    unreadable_folders: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    keyword_chunks: int | None = None  # chunks the keyword index (re)indexed; None when it had nothing to do
    linked: list[str] = field(default_factory=list)  # "a ~ b": stories that gained a member in this run

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
        self._factory = factory
        self._inner: Embeddings | None = None

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

    def __init__(self, index: NewsIndex, embeddings: Embeddings, report: IngestReport, known: dict[str, ArticleRecord]):
        self.index, self.embeddings, self.report, self.known = index, embeddings, report, known
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
        sigs = {a.doc_id: stories.signature(a.text) for a, _ in self.pending}
        self.index.story_keys.put({d: stories.band_keys(*sig) for d, sig in sigs.items()})  # pending: linked at the end
        # An updated article keeps naming its old story until linked again: the others are looked at then.
        extras = [{"minhash": stories.encode(*sigs[a.doc_id])} for a, _ in self.pending]
        for extra, (article, _) in zip(extras, self.pending):
            if article.doc_id in self.known:
                extra["dups"] = "|".join(self.known[article.doc_id].dups)
        self.index.write_articles(items, extras)
        self.report.chunks_embedded += len(texts)
        self.pending = []


def _with_sizes(paths: Sequence[Path], report: IngestReport,
                changed: Collection[str] | None = None) -> list[tuple[Path, str, int]]:
    files = []
    for found in discover(paths):
        if isinstance(found, UnreadableFolder):
            report.unreadable_folders.append(str(found))
            continue
        if isinstance(found, ArticleError):
            where = found.source
            if changed is None or within(where, changed) or within(str(Path(where).resolve()), changed):
                report.skipped.append(str(found))
            continue
        path, doc_id = found
        if changed is not None and not within(str(path.resolve()), changed):
            continue
        try:
            files.append((path, doc_id, path.stat().st_size))
        except OSError as exc:
            report.skipped.append(str(ArticleError(str(path), f"cannot read ({exc.strerror or exc})")))
    return files


class _Known(dict):
    """doc_id -> stored record, as far as an ingest needs them: those stored from the files being read
    plus those of the ids read (looked up ``LOOKUP`` at a time, ``looked_up``), so a small ingest into
    a large archive reads few records."""

    LOOKUP = 256

    def __init__(self, index: NewsIndex, paths: list[str]):
        super().__init__(index.records_at(paths))
        self.index = index
        self.looked: set[str] = set(self)

    def looked_up(self, items: Iterable[Item]) -> Iterator[Item]:
        """``items`` again, after their stored records (if any) were fetched."""
        pending: list[Item] = []
        for item in items:
            pending.append(item)
            if len(pending) >= self.LOOKUP:
                yield from self._fetch(pending)
                pending = []
        yield from self._fetch(pending)

    def _fetch(self, items: list[Item]) -> list[Item]:
        ids = list(dict.fromkeys(i.doc_id for i in items if isinstance(i, Article) and i.doc_id not in self.looked))
        if ids:
            self.update(self.index.records(ids))
        self.looked.update(ids)
        return items


def _held_elsewhere(record: ArticleRecord, article: Article) -> bool:
    """The stored article came from another file, which still exists (so this is no move). The same
    feed entry in two feeds is one article."""
    if record.kind == "feed" and article.kind == "feed":
        return False
    return os.path.isabs(record.path) and record.path != article.path and not gone(record.path)


def _reader(path: Path, doc_id: str, ids_by_path: dict[str, list[str]], feeds: FeedOptions) -> Iterator:
    """The items of one file, a single-article file keeping the id it was indexed under before."""
    resolved = str(path.resolve())
    if (path.suffix.lower() not in JSONL_SUFFIXES and len(ids_by_path.get(resolved, [])) == 1
            and not is_feed_file(path)):
        doc_id = ids_by_path[resolved][0]  # indexed before, by another path to it: keep its id
    return load_file(path, doc_id, feeds)


def ingest(paths: Sequence[Path | str], index: NewsIndex, embeddings: Embeddings, keywords: KeywordIndex | None = None,
           *, prune: bool = False, replace: bool = False, progress: Progress | None = None,
           feeds: FeedOptions = FeedOptions(), changed: Collection[str] | None = None) -> IngestReport:
    """Ingest files, folders and feed URLs. ``changed`` (absolute, resolved paths): read only the files
    at or under these, and prune only among their articles."""
    report = IngestReport()
    changed = None if changed is None else {str(Path(c)) for c in changed}
    urls = [str(p) for p in paths if is_url(str(p))]
    files = _with_sizes([Path(p) for p in paths if not is_url(str(p))], report, changed)
    total = sum(size for _, _, size in files)
    done = 0
    # The records of these files and feeds (a feed's entries are stored with its path or URL).
    known = _Known(index, [str(path.resolve()) for path, _, _ in files] + urls)
    ids_by_path: dict[str, list[str]] = {}
    for doc_id, rec in known.items():
        ids_by_path.setdefault(rec.path, []).append(doc_id)
    seen: dict[str, str] = {}  # doc_id -> where it was read ("file" or "file:line")
    loaded: set[str] = set()  # files that were read and held at least one article
    batch = _Batcher(index, embeddings, report, known)
    feeds = dataclasses.replace(feeds, known=lambda doc_id: known[doc_id].entry if doc_id in known else "")

    sources: list[tuple[str, int, Callable[[], Iterator[Item]]]] = [
        (url, 0, partial(load_feed_url, url, feeds)) for url in urls]
    sources += [(str(p), size, partial(_reader, p, i, ids_by_path, feeds)) for p, i, size in files]

    for path, size, read in sources:
        for item in known.looked_up(read()):
            if isinstance(item, ArticleError):
                (report.warnings if item.reason.endswith("(ingested)") else report.skipped).append(str(item))
                continue
            loaded.add(item.path)
            if isinstance(item, Unchanged):  # a feed entry as the index holds it: its page is not fetched again
                if item.doc_id not in seen:
                    seen[item.doc_id] = f"{path}:{item.line}"
                    report.unchanged.append(item.doc_id)
                continue
            where = f"{path}:{item.line}" if item.line is not None else str(path)
            if item.doc_id in seen:
                if item.kind == "feed":
                    continue  # the same entry in two feeds (or twice in one): one article
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
                if record.path != item.path and not (record.kind == "feed" and item.kind == "feed"):
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
        removed, legacy = prune_gone(index, known, seen, loaded, changed)
        report.removed.extend(removed)
        if legacy:
            report.warnings.append(f"{legacy} article(s) not pruned: stored without their file's full path (by an "
                                   f"older version); ingest their files again to record it")
    report.linked = link_stories(index, known)  # the stories of what changed (and of a run killed before this)
    if keywords is not None:
        try:
            report.keyword_chunks = sync(keywords, index)
        except TimeoutError as exc:  # another process holds it long (filling a new index): it catches up later
            report.warnings.append(f"{exc}; it catches up with this ingest on its next use")
    return report
