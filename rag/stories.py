"""One answer per story: near-duplicate articles (one agency story in two papers, an updated version)
found by MinHash over word shingles, linked, and collapsed in retrieval to the newest version.

    text -> 4-word shingles -> 128 minimum hashes            (``signature``, at ingest, per article)
    signature -> 42 band keys (bands of 3 hashes)            (``band_keys``, stored: ``rag.story_keys``)
    articles sharing a band key -> verified -> stories        (``stories``; ``rag.story_links`` keeps them current)
    hits -> one article per story (the newest retrieved)     (``collapse``, at query time)

Two articles are *linked* when they share a band key (the same 3 minimum hashes in the same band:
candidates from Jaccard ~0.35 up) and their estimated Jaccard similarity is at least ``JACCARD``
(light edits, another paper's headline), or nearly all of the shorter one's shingles are in the
longer (``CONTAINED``: an update that added paragraphs). A story is a connected group of linked
articles: every pair sharing a band key is checked, so the groups do not depend on the order the
articles came in, and updating only the stories around changed articles gives the groups a pass
over all of them gives. Signatures are stored with each article record, so linking never re-reads
texts. What this leaves out: translations (no shared shingles), and a story told in new words.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

SHINGLE = 4  # words
NUM_PERM = 128
BANDS, ROWS = 42, 3  # 126 of the 128 hashes; candidates from Jaccard ~0.35 up
JACCARD = 0.5
CONTAINED = 0.8
_rng = np.random.RandomState(20261201)  # fixed: stored signatures must stay comparable
# Multiply-add-shift hashing of 32-bit keys: (a*x + b mod 2**64) >> 32, a odd; one (a, b) per hash.
_A = _rng.randint(0, 1 << 64, NUM_PERM, dtype=np.uint64) | np.uint64(1)
_B = _rng.randint(0, 1 << 64, NUM_PERM, dtype=np.uint64)
_MIX = _rng.randint(1, 1 << 62, SHINGLE, dtype=np.uint64) | np.uint64(1)
_BAND_MIX = _rng.randint(1, 1 << 62, ROWS, dtype=np.uint64) | np.uint64(1)
_KEY_BITS = np.uint64((1 << 63) - 1)  # band keys fit a signed 64-bit integer (Chroma's metadata)
_WORD = re.compile(r"\w+")


def shingle_hashes(text: str) -> np.ndarray:
    """The distinct 4-word shingles of ``text`` as 32-bit hashes: (n,) uint64."""
    words = [zlib.crc32(w.encode()) for w in _WORD.findall(text.lower())]
    if not words:
        return np.zeros(0, dtype=np.uint64)
    tokens = np.asarray(words, dtype=np.uint64)
    n = max(1, len(tokens) - SHINGLE + 1)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(min(SHINGLE, len(tokens))):
            h += tokens[j:j + n] * _MIX[j]
    return np.unique(h >> np.uint64(32))


def signature(text: str) -> tuple[np.ndarray, int]:
    """(the 128 minimum hashes, as (128,) uint32; the number of distinct shingles)."""
    x = shingle_hashes(text)
    if not len(x):
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32), 0
    with np.errstate(over="ignore"):
        mins = ((np.outer(x, _A) + _B) >> np.uint64(32)).min(axis=0)
    return mins.astype(np.uint32), len(x)


def encode(sig: np.ndarray, n: int) -> str:
    """A signature as text for the article record: ``"<n>:<base64>"``."""
    return f"{n}:{base64.b64encode(sig.astype('<u4').tobytes()).decode()}"


def decode(text: str) -> tuple[np.ndarray, int] | None:
    try:
        n, data = text.split(":", 1)
        sig = np.frombuffer(base64.b64decode(data), dtype="<u4")
        return (sig, int(n)) if len(sig) == NUM_PERM else None
    except ValueError:
        return None


def same_story(sig_a: np.ndarray, n_a: int, sig_b: np.ndarray, n_b: int) -> bool:
    if not n_a or not n_b:
        return False
    j = float(np.mean(sig_a == sig_b))
    shared = j * (n_a + n_b) / (1 + j)  # |A ∩ B| from the Jaccard estimate and the set sizes
    return j >= JACCARD or shared / min(n_a, n_b) >= CONTAINED


def _band_keys(sigs: np.ndarray) -> np.ndarray:
    """(N, 128) signatures -> (N, BANDS) band keys, int64 >= 0."""
    s = sigs.astype(np.uint64)
    with np.errstate(over="ignore"):
        keys = np.stack([(s[:, b * ROWS:(b + 1) * ROWS] * _BAND_MIX).sum(axis=1) for b in range(BANDS)], axis=1)
    return (keys & _KEY_BITS).astype(np.int64)


def band_keys(sig: np.ndarray, n: int) -> list[int]:
    """The signature's ``BANDS`` band keys; none for a text without shingles (it is no one's duplicate)."""
    return _band_keys(sig[None, :])[0].tolist() if n else []


class Components:
    """Union-find over doc ids: which articles are connected into one story."""

    def __init__(self, ids: Iterable[str]):
        self.parent = {d: d for d in ids}

    def find(self, d: str) -> str:
        while self.parent[d] != d:
            self.parent[d] = self.parent[self.parent[d]]
            d = self.parent[d]
        return d

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)

    def groups(self) -> dict[str, tuple[str, ...]]:
        """doc_id -> the others of its connected group (sorted), for groups of two or more."""
        members: dict[str, list[str]] = {}
        for d in sorted(self.parent):
            members.setdefault(self.find(d), []).append(d)
        return {d: tuple(x for x in g if x != d) for g in members.values() if len(g) > 1 for d in g}


def stories(signatures: Mapping[str, tuple[np.ndarray, int]]) -> dict[str, tuple[str, ...]]:
    """doc_id -> the other articles of its story (sorted), for every article in a story of two or more."""
    ids = sorted(d for d, (_, n) in signatures.items() if n)
    if len(ids) < 2:
        return {}
    keys = _band_keys(np.stack([signatures[i][0] for i in ids]))  # (N, BANDS)
    parts = Components(ids)
    for band in range(BANDS):
        order = np.argsort(keys[:, band], kind="stable")
        sorted_keys = keys[order, band]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], len(order)]
        for s, e in zip(starts[ends - starts > 1], ends[ends - starts > 1]):
            bucket = [ids[i] for i in order[s:e].tolist()]
            for i, a in enumerate(bucket):  # every pair of the bucket, unless already one story
                for b in bucket[i + 1:]:
                    if parts.find(a) != parts.find(b) and same_story(*signatures[a], *signatures[b]):
                        parts.union(a, b)
    return parts.groups()


def also_in(records: Mapping, doc_id: str) -> list:
    """The other versions of ``doc_id``'s story as ``AlsoIn``, newest first. ``records``: doc_id ->
    ``ArticleRecord`` for the article and the others of its story."""
    from rag.answer import AlsoIn

    rec = records.get(doc_id)
    others = [records[d] for d in (rec.dups if rec else ()) if d in records]
    return [AlsoIn(doc_id=r.doc_id, title=r.title, date=r.date)
            for r in sorted(others, key=lambda r: (r.date, r.doc_id), reverse=True)]


def preferred(doc_ids: Iterable[str], dates: Mapping[str, str]) -> str:
    """The version to answer from: the newest date (an unknown date loses), then the last id."""
    return max(doc_ids, key=lambda d: (dates.get(d) or "", d))


def collapse(hits: Sequence, dups: Mapping[str, Sequence[str]]) -> list:
    """Hits with one article per story, in their order: where hits of several versions of a story
    were retrieved, only the newest version's stay. ``dups``: doc_id -> the others of its story."""
    dates = {h.doc_id: h.date for h in hits}
    keep: dict[str, str] = {}  # doc_id -> the retrieved version its story is answered from
    for h in hits:
        if h.doc_id not in keep:
            family = [d for d in (h.doc_id, *dups.get(h.doc_id, ())) if d in dates]
            best = preferred(family, dates)
            for d in family:
                keep.setdefault(d, best)
    return [h for h in hits if keep[h.doc_id] == h.doc_id]
