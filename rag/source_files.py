"""The files (and feed URLs) articles were stored from, listed apart, so a prune reads the list of
files instead of every article record.

One record per file in the ``<name>-files`` collection, the path its id. The store adds a file
before it writes the articles from it (``NewsIndex.write_articles``, ``relocate``), so the list names
at least every file an article came from; a file whose articles are all gone is dropped by the
prune that finds it so (``forget``). An index made before the list existed gets it from all its
records once, on the first ``paths()``; the collection's metadata says when it is complete (from
the first write into an empty index).
What it leaves out: which articles a file holds (``NewsIndex.records_at`` reads that).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from rag.chroma_access import MANIFEST_VECTOR

if TYPE_CHECKING:
    from rag.store import NewsIndex


class SourceFiles:
    def __init__(self, index: NewsIndex, collection: Any):
        self.index, self.collection = index, collection

    def add(self, paths: Iterable[str]) -> None:
        ids = sorted({p for p in paths if p})
        if ids and not self.complete and not self.index.read(self.index.articles.count):
            self._mark_complete()  # the first write into an empty index: the list starts complete
        for i in range(0, len(ids), self.index.max_batch):
            part = ids[i:i + self.index.max_batch]
            self.index.write(partial(self.collection.upsert, ids=part, embeddings=[MANIFEST_VECTOR] * len(part)))

    @property
    def complete(self) -> bool:
        return bool((self.collection.metadata or {}).get("complete"))

    def _mark_complete(self) -> None:
        self.index.write(lambda: self.collection.modify(metadata={"complete": True}))

    def forget(self, paths: Iterable[str]) -> None:
        ids = sorted(set(paths))
        if ids:
            self.index.write(lambda: self.collection.delete(ids=ids))

    def paths(self, page: int = 10_000) -> list[str]:
        """Every file an article was stored from (and perhaps a few whose articles are gone)."""
        if not self.complete:
            self.add(r.path for r in self.index.records().values())
            self._mark_complete()
        return self.index.all_ids(self.collection, page)
