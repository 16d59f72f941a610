"""The keyword channel: a BM25 index (bm25s) over chunk texts, with Dutch and English stemming.

It lives on disk beside the vector index and is rebuilt by ingest when the articles change, never
per query. Each build goes into a fresh folder and a ``CURRENT`` pointer is swapped atomically, so
a reader never sees half an index. A fingerprint of the article records it was built from tells
a process (for instance an API worker sharing a Chroma server) that it is out of date.

It is derived data: a build holds ``rebuild.lock`` in its folder (two processes never build at
once, nor delete each other's folders), and an index that cannot be read (a pointer to a missing
folder, a missing or broken file) reads as empty with no fingerprint, so the next freshness
check rebuilds it from the chunks in Chroma (see ``newsrag.chatbot``).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import threading
import uuid
from pathlib import Path
from typing import Iterable

from rag.lock import WriterLock

_TOKEN = r"(?u)\b\w+\b"


class _DutchEnglishStemmer:
    """Stems with the Dutch snowball stemmer, then the English one: news here is mostly Dutch,
    and English stemming after Dutch merges English plural/verb forms without hurting Dutch."""

    def __init__(self) -> None:
        import Stemmer

        self._nl, self._en = Stemmer.Stemmer("dutch"), Stemmer.Stemmer("english")

    def stemWords(self, words: list[str]) -> list[str]:  # noqa: N802 (bm25s calls this name)
        return self._en.stemWords(self._nl.stemWords(words))


@functools.lru_cache(maxsize=1)
def _stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

    return sorted(set(STOPWORDS_DUTCH) | set(STOPWORDS_EN))


@functools.lru_cache(maxsize=1)
def _analyzer() -> tuple[frozenset[str], _DutchEnglishStemmer]:
    return frozenset(_stopwords()), _DutchEnglishStemmer()


def stopwords() -> frozenset[str]:
    """Dutch and English function words ("de", "het", "the"), lower case."""
    return _analyzer()[0]


def terms(text: str) -> set[str]:
    """The stemmed content words of ``text``, as the keyword index sees them."""
    stop, stemmer = _analyzer()
    words = [w for w in re.findall(_TOKEN, text.lower()) if w not in stop]
    return set(stemmer.stemWords(words))


class KeywordIndex:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._loaded_from: str | None = None
        self._bm25 = None
        self._ids: list[str] = []
        self._fingerprint = ""
        self._stemmer = None
        self.damaged = ""  # why the index on disk could not be read, if it could not

    # -- building ------------------------------------------------------------------------------
    def rebuild(self, rows: Iterable[tuple[str, str]], fingerprint: str) -> int:
        """Index (chunk_id, text) rows; returns how many. Swaps the new index in atomically."""
        ids, texts = [], []
        for chunk_id, text in rows:
            ids.append(chunk_id)
            texts.append(text)
        lock = WriterLock(self.folder, "rebuild", what=f"the keyword index at {self.folder}")
        with lock(wait=300):
            return self._build(ids, texts, fingerprint)

    def _build(self, ids: list[str], texts: list[str], fingerprint: str) -> int:
        import bm25s

        generation = uuid.uuid4().hex[:12]
        target = self.folder / generation
        target.mkdir(parents=True, exist_ok=True)
        if texts:
            tokens = bm25s.tokenize(texts, token_pattern=_TOKEN, stopwords=_stopwords(),
                                    stemmer=self._get_stemmer(), show_progress=False)
            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
            bm25.save(str(target), show_progress=False)
        (target / "meta.json").write_text(json.dumps({"ids": ids, "fingerprint": fingerprint}))
        pointer = self.folder / "CURRENT"
        tmp = self.folder / f"CURRENT.{generation}.tmp"
        tmp.write_text(generation)
        os.replace(tmp, pointer)
        self._drop_old(keep=generation)
        self._load()
        return len(ids)

    def _drop_old(self, keep: str) -> None:
        for child in self.folder.iterdir():
            if child.is_dir() and child.name != keep:
                shutil.rmtree(child, ignore_errors=True)

    def _get_stemmer(self):
        if self._stemmer is None:
            self._stemmer = _DutchEnglishStemmer()
        return self._stemmer

    # -- reading -------------------------------------------------------------------------------
    def _load(self) -> None:
        import bm25s

        pointer = self.folder / "CURRENT"
        for attempt in range(3):  # another process may swap in a new build and drop ours meanwhile
            try:
                generation = pointer.read_text().strip() if pointer.exists() else None
            except OSError:
                generation = None
            with self._lock:
                if generation == self._loaded_from:
                    return
                if generation is None:
                    self._bm25, self._ids, self._fingerprint = None, [], ""
                    self._loaded_from, self.damaged = generation, ""
                    return
                try:
                    meta = json.loads((self.folder / generation / "meta.json").read_text())
                    ids, fingerprint = list(meta["ids"]), str(meta["fingerprint"])
                    bm25 = bm25s.BM25.load(str(self.folder / generation)) if ids else None
                except Exception as exc:  # missing folder or file, broken JSON or arrays: derived data
                    if attempt < 2 and pointer.exists() and pointer.read_text().strip() != generation:
                        continue
                    self._bm25, self._ids, self._fingerprint = None, [], ""
                    self._loaded_from, self.damaged = generation, f"{type(exc).__name__}: {exc}"
                    return
                self._bm25, self._ids, self._fingerprint = bm25, ids, fingerprint
                self._loaded_from, self.damaged = generation, ""
                return

    @property
    def fingerprint(self) -> str:
        self._load()
        return self._fingerprint

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score) for the best ``k`` chunks with a positive score."""
        import bm25s

        self._load()
        if self._bm25 is None or k <= 0:
            return []
        tokens = bm25s.tokenize([query], token_pattern=_TOKEN, stopwords=_stopwords(),
                                stemmer=self._get_stemmer(), show_progress=False, return_ids=False)
        vocab = self._bm25.vocab_dict
        known = [t for t in tokens[0] if t in vocab]
        if not known:
            return []
        docs, scores = self._bm25.retrieve([known], k=min(k, len(self._ids)), show_progress=False)
        return [(self._ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
