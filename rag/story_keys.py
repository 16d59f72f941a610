"""Each article's MinHash band keys, kept apart, so the articles that may be near-duplicates of a few
are found by a query instead of by reading every record.

One record per article in the ``<name>-story-keys`` collection, its doc id the id: ``b0`` …
``b41``, the keys of its signature's bands (``rag.stories.band_keys``; -1 for a text without
shingles, which matches nothing), and ``pending``: its story links may be out of date. An article is
pending from when it is written, and the others of its story from when it is deleted, until
``rag.story_links`` has linked them. The keys are written before the article record, so every
stored article has them; keys without an article are a write that did not finish, and are ignored.
The collection's metadata says ``complete`` once every article has keys: an index made before this
collection existed has none until a pass over every record writes them (``rag.story_links``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from rag.chroma_access import MANIFEST_VECTOR
from rag.stories import BANDS

if TYPE_CHECKING:
    from rag.store import NewsIndex

_NONE = -1  # the key of every band of a text without shingles


class StoryKeys:
    QUERY = 100  # articles per lookup: a query costs about the same for 1 article as for 100

    def __init__(self, index: NewsIndex, collection: Any):
        self.index, self.collection = index, collection

    # -- writing ---------------------------------------------------------------------------------
    def put(self, keys: Mapping[str, Sequence[int]], *, pending: bool = True) -> None:
        """Store these articles' band keys (an empty list: no shingles), pending unless told otherwise."""
        ids = sorted(keys)
        known_complete = (self.collection.metadata or {}).get("complete")
        if ids and not known_complete and not self.index.read(self.index.articles.count):
            self.mark_complete()  # the first write into an empty index: every article will have keys
        for i in range(0, len(ids), self.index.max_batch):
            part = ids[i:i + self.index.max_batch]
            metadatas = [{**{f"b{b}": int(k) for b, k in enumerate(keys[d] or [_NONE] * BANDS)}, "pending": pending}
                         for d in part]
            self.index.write(partial(self.collection.upsert, ids=part, embeddings=[MANIFEST_VECTOR] * len(part),
                                     metadatas=metadatas))

    def wait(self, doc_ids: Iterable[str]) -> None:
        """Mark these articles' story links as out of date (ids without keys are skipped)."""
        self._set_pending(doc_ids, True)

    def done(self, doc_ids: Iterable[str]) -> None:
        self._set_pending(doc_ids, False)

    def _set_pending(self, doc_ids: Iterable[str], pending: bool) -> None:
        ids = sorted(set(doc_ids))
        for i in range(0, len(ids), self.index.max_batch):
            part = ids[i:i + self.index.max_batch]
            self.index.write(partial(self.collection.update, ids=part, metadatas=[{"pending": pending}] * len(part)))

    def forget(self, doc_ids: Iterable[str]) -> None:
        ids = sorted(set(doc_ids))
        if ids:
            self.index.write(lambda: self.collection.delete(ids=ids))

    def mark_complete(self) -> None:
        self.index.write(lambda: self.collection.modify(metadata={"complete": True}))

    # -- reading ---------------------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        """Every article has its keys (read afresh: another process may have written them)."""
        name = self.collection.name
        return bool(self.index.read(lambda: self.index.client.get_collection(name, embedding_function=None).metadata
                                   or {}).get("complete"))

    def pending(self) -> list[str]:
        return sorted(self.index.read(lambda: self.collection.get(where={"pending": True}, include=[]))["ids"])

    def ids(self, page: int = 10_000) -> list[str]:
        return self.index.all_ids(self.collection, page)

    def of(self, doc_ids: Iterable[str]) -> dict[str, list[int]]:
        """doc_id -> its band keys (empty: no shingles), for those that have keys."""
        ids = sorted(set(doc_ids))
        got = self.index.read(lambda: self.collection.get(ids=ids, include=["metadatas"])) if ids else {"ids": []}
        out = {}
        for doc_id, m in zip(got["ids"], got.get("metadatas") or []):
            keys = [int(m.get(f"b{b}", _NONE)) for b in range(BANDS)]
            out[doc_id] = [] if _NONE in keys else keys
        return out

    def sharing(self, keys: Mapping[str, Sequence[int]]) -> set[str]:
        """The articles that share a band key (at the same band) with any of these (theirs included)."""
        found: set[str] = set()
        ids = sorted(d for d in keys if keys[d])
        for i in range(0, len(ids), self.QUERY):
            part = ids[i:i + self.QUERY]
            where = {"$or": [{f"b{b}": {"$in": sorted({keys[d][b] for d in part})}} for b in range(BANDS)]}
            found.update(self.index.read(partial(self.collection.get, where=where, include=[]))["ids"])
        return found
