"""Keep each article's story (``ArticleRecord.dups``) current, at a cost that follows the change.

A story is a connected group of linked articles: a shared band key and ``rag.stories.same_story``. Writing or deleting
articles can change only the stories they were or are in. ``link_stories`` starts from the articles
waiting to be linked (``rag.story_keys``: those written, and the others of a deleted one's story)
and the others of their recorded stories; each round looks up the articles that share a band key
with the ones found last (one query per 100) and keeps the linked ones, until none are new. The
groups it ends with are the stories a pass over the whole archive finds for those articles, and no
other story has changed. When many articles wait (over ``FULL_SHARE`` of the archive), or the index
has no band keys yet (made by an older version), one pass over every record reads less: it links
all articles from their stored signatures (computing those an older version did not store) and
writes any missing keys.

New links are written to the records before the articles stop waiting, so a run killed in between
links them again next time. What this leaves out: finding near-duplicates (``rag.stories``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rag import stories
from rag.records import ArticleRecord
from rag.store import NewsIndex

FULL_SHARE = 0.2  # waiting articles, as a share of all, above which one pass over all records is cheaper


def link_stories(index: NewsIndex, before: Mapping[str, ArticleRecord] | None = None) -> list[str]:
    """Bring the records' stories up to date; "a ~ b ~ c" for each story that gained a member since
    ``before`` (records as they were; an article missing there: as its record was before this call)."""
    keys = index.story_keys
    waiting = keys.pending() if keys.complete else None
    if waiting == []:
        return []
    if waiting is None or len(waiting) > FULL_SHARE * index.read(index.articles.count):
        records, found = _everything(index)
    else:
        records, found = _around(index, waiting)
    changes = {d: found.get(d, ()) for d, r in records.items() if r.dups != found.get(d, ())}
    index.update_records({d: {"dups": "|".join(others)} for d, others in changes.items()})
    keys.done(keys.pending() if waiting is None else waiting)
    if waiting is None:
        keys.mark_complete()
    grown = {tuple(sorted((d, *others))) for d, others in changes.items()
             if set(others) - set((before if before is not None and d in before else records)[d].dups)}
    return [" ~ ".join(story) for story in sorted(grown)]


def _everything(index: NewsIndex) -> tuple[dict[str, ArticleRecord], dict[str, tuple[str, ...]]]:
    """Every record, and every article's story; writes the signatures and keys that are missing."""
    records = index.records()
    sigs = {d: sig for d, r in records.items() if (sig := stories.decode(r.minhash)) is not None}
    missing = [d for d in records if d not in sigs]
    for i in range(0, len(missing), 500):  # stored by a version before signatures were
        got = {d: stories.signature(t) for d, t in index.texts(missing[i:i + 500]).items()}
        index.update_records({d: {"minhash": stories.encode(*sig)} for d, sig in got.items()})
        sigs.update(got)
    keys = index.story_keys
    have = set(keys.ids())
    keys.put({d: stories.band_keys(*sig) for d, sig in sigs.items() if d not in have}, pending=False)
    keys.forget(have - records.keys())  # writes that did not finish
    return records, stories.stories(sigs)


def _around(index: NewsIndex, waiting: Sequence[str]) -> tuple[dict[str, ArticleRecord], dict[str, tuple[str, ...]]]:
    """The records of the articles whose stories may have changed, and those stories."""
    keys = index.story_keys
    records = index.records(waiting)
    band: dict[str, list[int]] = {}
    edges: set[tuple[str, str]] = set()
    seen: set[str] = set()
    frontier = set(waiting) | {d for r in records.values() for d in r.dups}
    while frontier:
        new = sorted(frontier - seen)
        seen.update(new)
        records.update(index.records([d for d in new if d not in records]))
        alive = [d for d in new if d in records]  # an article deleted, or a write that did not finish: not
        band.update(keys.of([d for d in alive if d not in band]))
        near = keys.sharing({d: band[d] for d in alive if band.get(d)})
        records.update(index.records(sorted(near - records.keys())))
        band.update(keys.of(sorted(near - band.keys())))
        frontier = set()
        for a in alive:
            for b in near:
                if b != a and b in records and b in band and (min(a, b), max(a, b)) not in edges \
                        and _linked(records[a], band.get(a, []), records[b], band[b]):
                    edges.add((min(a, b), max(a, b)))
                    frontier.add(b)
        frontier -= seen
    keys.forget(d for d in seen if d not in records)  # keys of an article that is not there
    involved = {d: records[d] for d in seen if d in records}
    return involved, _groups(sorted(involved), edges)


def _linked(a: ArticleRecord, keys_a: list[int], b: ArticleRecord, keys_b: list[int]) -> bool:
    if not any(x == y for x, y in zip(keys_a, keys_b)):  # the cheap test first: no shared band key
        return False
    sig_a, sig_b = stories.decode(a.minhash), stories.decode(b.minhash)
    return sig_a is not None and sig_b is not None and stories.same_story(*sig_a, *sig_b)


def _groups(ids: list[str], edges: set[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """doc_id -> the others of its connected group, for groups of two or more."""
    parts = stories.Components(ids)
    for a, b in edges:
        parts.union(a, b)
    return parts.groups()
