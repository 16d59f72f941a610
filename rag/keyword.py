"""The keyword channel: BM25 over chunk texts in SQLite FTS5, with Dutch and English stemming.

Texts are analysed here (lower case, ``\\w+`` words, Dutch and English stop words dropped, snowball
Dutch then English stems) and stored pre-stemmed. FTS5 finds the ``RESCORE`` best candidates by its
built-in ``bm25()`` (k1 1.2, b 0.75, idf floored for terms in over half the chunks), which are then
scored as bm25s scored them before (Lucene BM25, k1 1.5, b 0.75; the chunk and token counts are kept
in the file), so rankings stay what they were. One file per index (``keywords.sqlite3``), in WAL
mode: readers never wait for a writer.

An update touches only the articles that changed, inside one SQLite transaction (``writing``): a
process killed in the middle of it (even by ``kill -9``) leaves the index as it was before, and
two processes updating the same file take turns. Beside the postings the file keeps, per indexed
article, its content hash and date (so it knows what it holds, and the newest date is one indexed
lookup), and a ``cursor``: how far it has followed the store's change log (``rag.keyword_sync``
does the following; this module knows nothing of Chroma).

It also answers date filters for dense search (``chunk_ids_between``): which chunks belong to articles
of a date range. It is derived data: a file that cannot be read is moved aside and made anew, empty, and the next
sync fills it from the chunks in the store. What it leaves out: FTS5's k1/b are fixed, and it does
not filter by date (the retriever drops keyword hits outside a date filter).
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rag.documents import date_range

log = logging.getLogger(__name__)

_TOKEN = r"(?u)\b\w+\b"
FILENAME = "keywords.sqlite3"
SCHEMA_VERSION = 1  # PRAGMA user_version; a file of another version is emptied and filled again
RESCORE = 100  # FTS5's best candidates, scored again as before
K1, B = 1.5, 0.75  # bm25s's defaults, which ranked before
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles(doc_id TEXT PRIMARY KEY, hash TEXT NOT NULL, date TEXT NOT NULL,
                                    date_from INTEGER, date_to INTEGER);
CREATE INDEX IF NOT EXISTS articles_date ON articles(date);
CREATE INDEX IF NOT EXISTS articles_span ON articles(date_to, date_from);
CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL,
                                  length INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS postings USING fts5(terms, tokenize="unicode61 remove_diacritics 0 tokenchars '_'");
CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(postings, row);
CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class _DutchEnglishStemmer:
    """Stems with the Dutch snowball stemmer, then the English one: news here is mostly Dutch,
    and English stemming after Dutch merges English plural/verb forms without hurting Dutch."""

    def __init__(self) -> None:
        import Stemmer

        self._nl, self._en = Stemmer.Stemmer("dutch"), Stemmer.Stemmer("english")

    def stemWords(self, words: list[str]) -> list[str]:  # noqa: N802 (PyStemmer's name)
        return self._en.stemWords(self._nl.stemWords(words))


@functools.lru_cache(maxsize=1)
def _analyzer() -> tuple[frozenset[str], _DutchEnglishStemmer]:
    from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

    return frozenset(STOPWORDS_DUTCH) | frozenset(STOPWORDS_EN), _DutchEnglishStemmer()


def stopwords() -> frozenset[str]:
    """Dutch and English function words ("de", "het", "the"), lower case."""
    return _analyzer()[0]


def analyze(text: str) -> list[str]:
    """The stemmed content words of ``text`` in order, repeats kept (term frequency counts)."""
    stop, stemmer = _analyzer()
    return stemmer.stemWords([w for w in re.findall(_TOKEN, text.lower()) if w not in stop])


def terms(text: str) -> set[str]:
    """The stemmed content words of ``text``, as the keyword index sees them."""
    return set(analyze(text))


def match_expression(query: str) -> str:
    """An FTS5 query: any of the query's distinct stems, each quoted (no FTS5 syntax gets through)."""
    seen = dict.fromkeys(analyze(query))
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in seen)


@dataclass(frozen=True)
class IndexedArticle:
    """One article as the keyword index holds it."""
    doc_id: str
    hash: str
    date: str
    chunks: Sequence[tuple[str, str]]  # (chunk_id, text)


class Writer:
    """What may be done inside ``KeywordIndex.writing``: one transaction, committed at the end."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.chunks = 0  # chunks indexed in this transaction
        self.articles = 0  # articles indexed or removed in it

    @property
    def cursor(self) -> int | None:
        """How far the index has followed the store's change log (ms); None: never filled."""
        row = self.db.execute("SELECT value FROM state WHERE key = 'cursor'").fetchone()
        return None if row is None else int(row[0])

    @cursor.setter
    def cursor(self, value: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO state(key, value) VALUES ('cursor', ?)", (int(value),))

    def hashes(self, doc_ids: Iterable[str]) -> dict[str, str]:
        return _hashes(self.db, doc_ids)

    def clear(self) -> None:
        """Forget everything (within the transaction: a crash before commit keeps it all)."""
        for table in ("vocab", "postings", "chunks", "articles", "state"):
            self.db.execute(f"DROP TABLE IF EXISTS {table}")
        _create(self.db)

    def _count(self, chunks: int, tokens: int) -> None:
        """Keep the chunk and token totals that BM25 needs (N and the average length)."""
        self.db.execute("INSERT INTO state(key, value) VALUES ('chunks', ?), ('tokens', ?) ON CONFLICT(key) "
                        "DO UPDATE SET value = value + excluded.value", (chunks, tokens))

    def remove(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            n, tokens = self.db.execute("SELECT count(*), coalesce(sum(length), 0) FROM chunks WHERE doc_id = ?",
                                        (doc_id,)).fetchone()
            if n:
                self._count(-n, -tokens)
            self.db.execute("DELETE FROM postings WHERE rowid IN (SELECT id FROM chunks WHERE doc_id = ?)", (doc_id,))
            self.db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self.articles += self.db.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,)).rowcount

    def put(self, articles: Iterable[IndexedArticle]) -> None:
        """Index these articles, replacing whatever the index held for them."""
        for article in articles:
            self.remove([article.doc_id])
            self.articles += 1
            span = date_range(article.date) or (None, None)
            self.db.execute("INSERT INTO articles(doc_id, hash, date, date_from, date_to) VALUES (?, ?, ?, ?, ?)",
                            (article.doc_id, article.hash, article.date, *span))
            tokens = 0
            for chunk_id, text in article.chunks:
                stems = analyze(text)
                row = self.db.execute("INSERT INTO chunks(chunk_id, doc_id, length) VALUES (?, ?, ?)",
                                      (chunk_id, article.doc_id, len(stems)))
                self.db.execute("INSERT INTO postings(rowid, terms) VALUES (?, ?)", (row.lastrowid, " ".join(stems)))
                self.chunks, tokens = self.chunks + 1, tokens + len(stems)
            self._count(len(article.chunks), tokens)


def _create(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):  # one by one: executescript would commit an open transaction
        if statement.strip():
            db.execute(statement)


@contextmanager
def _immediate(db: sqlite3.Connection, wait: float = 60.0) -> Iterator[None]:
    """A write transaction on ``db``, waiting up to ``wait`` s for another writer."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise TimeoutError("the keyword index is being updated by another process") from exc
            time.sleep(0.05)
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _hashes(db: sqlite3.Connection, doc_ids: Iterable[str]) -> dict[str, str]:
    ids = list(doc_ids)
    out: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        out.update(db.execute(f"SELECT doc_id, hash FROM articles WHERE doc_id IN ({','.join('?' * len(part))})",
                              part).fetchall())
    return out


class KeywordIndex:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / FILENAME
        self._local = threading.local()  # one connection per thread (sqlite3's rule)
        self._generation = 0  # bumped when the file is made anew, so threads reconnect

    # -- the file ----------------------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is not None and self._local.generation == self._generation and self.path.exists():
            return db  # (a file deleted under us is made anew, and filled by the next sync)
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            db = self._connect()
        except sqlite3.DatabaseError as exc:
            self._set_aside(exc)
            db = self._connect()
        self._local.db, self._local.generation = db, self._generation
        return db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=0.2, isolation_level=None)  # transactions are explicit
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing committed
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:  # new, or another layout
            with _immediate(db):
                Writer(db).clear()  # derived data: the next sync fills it
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return db

    def _set_aside(self, exc: BaseException) -> None:
        """A file that is not a readable index is derived data: move it aside, start empty."""
        log.warning("keyword index %s cannot be read (%s); it is rebuilt from the store", self.path, exc)
        aside = self.path.with_name(f"{FILENAME}.damaged-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):
            try:
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
            except FileNotFoundError:
                pass
        self._generation += 1

    def _guarded(self, op):
        """Run ``op(db)``; a damaged file is set aside once and ``op`` runs on the new one."""
        try:
            return op(self._db())
        except sqlite3.OperationalError:
            raise  # busy, locked, disk full: not damage
        except sqlite3.DatabaseError as exc:
            self._set_aside(exc)
            return op(self._db())

    @contextmanager
    def writing(self, wait: float = 60.0) -> Iterator[Writer]:
        """One write transaction; raises ``TimeoutError`` if another writer holds it past ``wait`` s."""
        db = self._guarded(lambda db: db)
        writer = Writer(db)
        with _immediate(db, wait):
            yield writer
        if writer.chunks > 10_000:  # a fill: fold the big WAL back into the file, and shrink it
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- reading -----------------------------------------------------------------------------------
    @property
    def cursor(self) -> int | None:
        return self._guarded(lambda db: Writer(db).cursor)

    def hashes(self, doc_ids: Iterable[str] | None = None) -> dict[str, str]:
        """doc_id -> content hash of the indexed articles (the given ones, or all)."""
        if doc_ids is None:
            return self._guarded(lambda db: dict(db.execute("SELECT doc_id, hash FROM articles").fetchall()))
        return self._guarded(lambda db: _hashes(db, doc_ids))

    def newest_date(self) -> str | None:
        return self._guarded(lambda db: db.execute("SELECT max(date) FROM articles WHERE date != ''").fetchone()[0])

    def chunk_ids_between(self, lo: int | None, hi: int | None) -> list[str]:
        """Chunks of the articles whose dates overlap [lo, hi] (YYYYMMDD, None: open), as
        ``DateFilter.where`` keeps them: one indexed query, where Chroma's own range filter reads
        every chunk's metadata (0.2-0.6 s at 100k chunks, docs/benchmarks.md)."""
        return self._guarded(lambda db: [row[0] for row in db.execute(
            "SELECT c.chunk_id FROM articles a JOIN chunks c ON c.doc_id = a.doc_id "
            "WHERE a.date_to >= ? AND a.date_from <= ?",
            (lo if lo is not None else -1, hi if hi is not None else 99_999_999)).fetchall()])

    def count(self) -> int:
        return self._guarded(lambda db: db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score) for the best ``k`` chunks with a positive score."""
        expression = match_expression(query)
        if k <= 0 or not expression:
            return []
        return self._guarded(lambda db: _search(db, analyze(query), expression, k))


def _search(db: sqlite3.Connection, query: list[str], expression: str, k: int) -> list[tuple[str, float]]:
    """FTS5's ``RESCORE`` best, scored by Lucene BM25 (as bm25s: repeated query words count again)."""
    rows = db.execute(
        "SELECT c.chunk_id, c.length, p.terms FROM postings p JOIN chunks c ON c.id = p.rowid "
        "WHERE postings MATCH ? ORDER BY bm25(postings) LIMIT ?", (expression, max(k, RESCORE))).fetchall()
    if not rows:
        return []
    state = dict(db.execute("SELECT key, value FROM state WHERE key IN ('chunks', 'tokens')").fetchall())
    n, avg = state.get("chunks", 0), state.get("tokens", 0) / max(state.get("chunks", 1), 1)
    distinct = list(dict.fromkeys(query))
    df = dict(db.execute(f"SELECT term, doc FROM vocab WHERE term IN ({','.join('?' * len(distinct))})",
                         distinct).fetchall())
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in distinct if t in df}
    scored = []
    for chunk_id, length, text in rows:
        tf = Counter(text.split())
        norm = K1 * (1 - B + B * length / max(avg, 1e-9))
        score = sum(idf[t] * tf[t] / (tf[t] + norm) for t in query if t in idf and tf[t])
        scored.append((chunk_id, score))
    scored.sort(key=lambda cs: (-cs[1], cs[0]))
    return [(cid, float(score)) for cid, score in scored[:k] if score > 0]
