"""Keep a keyword index in step with the store, at a cost that follows the change, not the archive.

Every write to the store first records ``(doc_id, new hash, at)`` in its change log (``rag.store``).
``sync`` reads the log from the index's cursor minus ``MARGIN_MS`` (a write logged a little before
another may become visible after it, and machines' clocks differ a little), and for each article
whose logged hash differs from the indexed one reads the article's *current* record and chunks and
indexes those (or removes it). The current state, not the log entry, is what gets indexed, so
entries seen twice, out of order, or for a write still under way (seen again while in the margin)
do no harm. All in one keyword-index transaction: a killed sync leaves the index as it was.

An index that was never filled (new, set aside as damaged, or made by an older version) is filled
from all the chunks, once. This is how each worker sharing a Chroma server keeps its own copy:
every process that reads the same keyword file shares its updates, and every other one catches up
from the log in a query or two (``Chatbot.refresh``, the API's ``KeywordFreshness``).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from rag.keyword import IndexedArticle, KeywordIndex, Writer
from rag.store import ArticleRecord, NewsIndex, now_ms

MARGIN_MS = 120_000  # re-read the last two minutes of the log at every sync


def sync(keywords: KeywordIndex, index: NewsIndex, *, wait: float = 60.0) -> int | None:
    """Bring ``keywords`` up to date with ``index``; the number of chunks (re)indexed, None if
    nothing changed (a fill always counts). Waits up to ``wait`` s for another process updating the same file (else
    ``TimeoutError``)."""
    with keywords.writing(wait) as w:
        cursor = w.cursor
        if cursor is None:
            _fill(w, index)
            return w.chunks
        changes = index.changes_since(cursor - MARGIN_MS)
        if not changes:
            return None
        mine = w.hashes(changes)
        stale = sorted(d for d, (h, _) in changes.items() if mine.get(d, "") != h)
        if stale:
            _update(w, index, stale, mine)
        w.cursor = max(cursor, max(at for _, at in changes.values()))
        return w.chunks if w.articles else None


def _update(w: Writer, index: NewsIndex, doc_ids: list[str], mine: dict[str, str]) -> None:
    records = index.records(doc_ids)
    w.remove(d for d in doc_ids if d not in records and d in mine)
    changed = [d for d in doc_ids if d in records and records[d].content_hash != mine.get(d)]
    if changed:
        w.put(_articles(index.chunks_of(changed), records))


def _fill(w: Writer, index: NewsIndex) -> None:
    started = now_ms()  # changes logged from here on (up to the margin before) are looked at next time
    w.clear()
    w.put(_articles(index.iter_chunks(), index.records()))
    w.cursor = started


def _articles(chunks: Iterator[tuple[str, str, dict]], records: dict[str, ArticleRecord]) -> Iterator[IndexedArticle]:
    """Chunks grouped by article (ids ``<doc_id>#<n>`` come sorted per article), complete ones only:
    an article without a record, or chunks past its record's count, are a write under way."""
    by_doc: dict[str, list[tuple[int, str, str]]] = {}
    for doc_id, group in groupby(chunks, key=lambda c: str(c[2]["doc_id"])):
        by_doc.setdefault(doc_id, []).extend((int(m.get("chunk_index", 0)), cid, text) for cid, text, m in group)
        if len(by_doc) > 1000:  # keep memory bounded on a full fill; pages hold whole articles mostly
            yield from _complete(by_doc, records, final=False)
    yield from _complete(by_doc, records, final=True)


def _complete(by_doc: dict[str, list[tuple[int, str, str]]], records: dict[str, ArticleRecord], *,
              final: bool) -> Iterator[IndexedArticle]:
    for doc_id in list(by_doc):
        record = records.get(doc_id)
        parts = by_doc[doc_id]
        if not final and record is not None and len(parts) < record.n_chunks:
            continue  # the rest of it is on a later page
        del by_doc[doc_id]
        if record is None:
            continue
        parts = sorted(p for p in parts if p[0] < record.n_chunks)
        yield IndexedArticle(doc_id, record.content_hash, record.date, [(cid, text) for _, cid, text in parts])
