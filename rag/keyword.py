"""The keyword channel: BM25 over chunk texts in SQLite FTS5, with Dutch and English stemming.

Texts are analysed here (lower case, ``\\w+`` words, Dutch and English stop words dropped, snowball
Dutch then English stems) and stored pre-stemmed; how a request reads the file (BM25 ranking as
bm25s ranked, the chunks of a date range) is ``rag.keyword_query``. One file per index
(``keywords.sqlite3``), in WAL mode: readers never wait for a writer.

An update touches only the articles that changed, inside one SQLite transaction (``writing``): a
process killed in the middle of it (even by ``kill -9``) leaves the index as it was before, and
two processes updating the same file take turns. Beside the postings the file keeps, per indexed
article, its content hash and date (so it knows what it holds, and the newest date is one indexed
lookup), and a ``cursor``: how far it has followed the store's change log (``rag.keyword_sync``
does the following; this module knows nothing of Chroma).

It is derived data: a file that cannot be read, or of another layout (``SCHEMA_VERSION``), is made
anew, empty, and the next sync fills it from the chunks in the store. What it leaves out: FTS5's
k1/b are fixed.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sqlite3
import threading
import time
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from rag import keyword_query
from rag.documents import date_range
from rag.stopwords import DUTCH, ENGLISH

log = logging.getLogger(__name__)

_TOKEN = r"(?u)\b\w+\b"
FILENAME = "keywords.sqlite3"
SCHEMA_VERSION = 2  # PRAGMA user_version; a file of another version is emptied and filled again
_STEM_CACHE = 1 << 17  # words; stemming each word once is most of the cost of filling an index
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles(doc_id TEXT PRIMARY KEY, hash TEXT NOT NULL, date TEXT NOT NULL,
                                    date_from INTEGER, date_to INTEGER);
CREATE INDEX IF NOT EXISTS articles_date ON articles(date);
CREATE INDEX IF NOT EXISTS articles_span ON articles(date_to, date_from);
CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL,
                                  length INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, chunk_id);
CREATE VIRTUAL TABLE IF NOT EXISTS postings USING fts5(terms, tokenize="unicode61 remove_diacritics 0 tokenchars '_'");
CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(postings, row);
CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


_STOPWORDS = DUTCH | ENGLISH


def stopwords() -> frozenset[str]:
    """Dutch and English function words ("de", "het", "the"), lower case."""
    return _STOPWORDS


@functools.lru_cache(maxsize=1)
def _stemmers() -> tuple:
    import Stemmer

    return Stemmer.Stemmer("dutch"), Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=_STEM_CACHE)
def _stem(word: str) -> str:
    """The Dutch snowball stem, stemmed again in English: news here is mostly Dutch, and English
    stemming after Dutch merges English plural/verb forms without hurting Dutch."""
    nl, en = _stemmers()
    return en.stemWord(nl.stemWord(word))


def analyze(text: str) -> list[str]:
    """The stemmed content words of ``text`` in order, repeats kept (term frequency counts)."""
    stop = stopwords()
    return [_stem(w) for w in re.findall(_TOKEN, text.lower()) if w not in stop]


def terms(text: str) -> set[str]:
    """The stemmed content words of ``text``, as the keyword index sees them."""
    return set(analyze(text))


def plain(text: str) -> str:
    """``text`` without accents: "oekraïne" -> "oekraine"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


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
                self.db.execute("DELETE FROM postings WHERE rowid IN (SELECT id FROM chunks WHERE doc_id = ?)",
                                (doc_id,))
                self.db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self.articles += self.db.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,)).rowcount

    def put(self, articles: Iterable[IndexedArticle]) -> None:
        """Index these articles, replacing whatever the index held for them."""
        longest = -1  # the longest article date range, kept for date lookups (``rag.keyword_query``)
        for article in articles:
            self.remove([article.doc_id])
            self.articles += 1
            span = date_range(article.date) or (None, None)
            if span[0] is not None:
                longest = max(longest, span[1] - span[0])
            self.db.execute("INSERT INTO articles(doc_id, hash, date, date_from, date_to) VALUES (?, ?, ?, ?, ?)",
                            (article.doc_id, article.hash, article.date, *span))
            first = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM chunks").fetchone()[0]
            stems = [analyze(text) for _, text in article.chunks]
            self.db.executemany("INSERT INTO chunks(id, chunk_id, doc_id, length) VALUES (?, ?, ?, ?)",
                                [(first + i, chunk_id, article.doc_id, len(s))
                                 for i, ((chunk_id, _), s) in enumerate(zip(article.chunks, stems))])
            self.db.executemany("INSERT INTO postings(rowid, terms) VALUES (?, ?)",
                                [(first + i, " ".join(s)) for i, s in enumerate(stems)])
            self.chunks += len(stems)
            self._count(len(stems), sum(map(len, stems)))
        if longest >= 0:
            self.db.execute("INSERT INTO state(key, value) VALUES ('span', ?) ON CONFLICT(key) "
                            "DO UPDATE SET value = max(value, excluded.value)", (longest,))


def _create(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):  # one by one: executescript would commit an open transaction
        if statement.strip():
            db.execute(statement)


T = TypeVar("T")
BUSY_WAIT = 60.0  # s a connect, a read or a write transaction waits for another process's lock


def _busy(exc: sqlite3.OperationalError) -> bool:
    """Another process holds the file locked (for a moment: a write, a checkpoint, a switch to WAL)."""
    return "locked" in str(exc) or "busy" in str(exc)


def _patiently(op: Callable[[], T], wait: float = BUSY_WAIT) -> T:
    """``op()``, tried again while the file is locked by another process, up to ``wait`` s. The
    connections' own busy timeout is short (0.2 s) so that a writer's wait can be bounded; a connect
    (``PRAGMA journal_mode``) or a read that met another process's write on a loaded machine failed
    with "database is locked" (CI, three processes updating at once)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return op()
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


@contextmanager
def _immediate(db: sqlite3.Connection, wait: float = BUSY_WAIT) -> Iterator[None]:
    """A write transaction on ``db``, waiting up to ``wait`` s for another writer."""
    try:
        _patiently(lambda: db.execute("BEGIN IMMEDIATE"), wait)
    except sqlite3.OperationalError as exc:
        if not _busy(exc):
            raise
        raise TimeoutError("the keyword index is being updated by another process") from exc
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _hashes(db: sqlite3.Connection, doc_ids: Iterable[str]) -> dict[str, str]:
    ids, out = list(doc_ids), dict[str, str]()
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        out.update(db.execute(f"SELECT doc_id, hash FROM articles WHERE doc_id IN ({','.join('?' * len(part))})",
                              part).fetchall())
    return out


class _Connection(sqlite3.Connection):
    """A connection ``KeywordIndex`` can keep a weak reference to (sqlite3's own has no slot for one)."""


class KeywordIndex:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / FILENAME
        self._local = threading.local()  # one connection per thread (sqlite3's rule)
        self._generation = 0  # bumped when the file is made anew or closed, so threads reconnect
        # Every thread's connection, for ``close``; one whose thread ended is gone from here too.
        self._connections: weakref.WeakSet[sqlite3.Connection] = weakref.WeakSet()
        self._connections_lock = threading.Lock()

    # -- the file ----------------------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is not None and self._local.generation == self._generation and self.path.exists():
            return db  # (a file deleted under us is made anew, and filled by the next sync)
        self.folder.mkdir(parents=True, exist_ok=True)
        generation = self._generation  # a close while connecting makes this one stale, not kept
        try:
            db = self._connect()
        except (sqlite3.OperationalError, sqlite3.ProgrammingError):
            raise  # busy, locked, closed under us: not damage (as in ``_guarded``)
        except sqlite3.DatabaseError as exc:
            self._set_aside(exc)
            generation = self._generation
            db = self._connect()
        self._local.db, self._local.generation = db, generation
        return db

    def close(self) -> None:
        """Close every thread's connection (each holds the file and its -wal and -shm open). Harmless
        twice; a later use opens a connection again. Not while another thread uses the index."""
        with self._connections_lock:
            self._generation += 1
            connections, self._connections = list(self._connections), weakref.WeakSet()
        for db in connections:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        # Used by one thread at a time, as sqlite3 wants, but closed by whichever thread calls ``close``.
        db = sqlite3.connect(self.path, timeout=0.2, isolation_level=None,  # transactions are explicit
                             check_same_thread=False, factory=_Connection)
        with self._connections_lock:
            self._connections.add(db)
        db.execute("PRAGMA journal_mode=WAL")  # locked by another process: ``_guarded`` connects again
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing committed
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:  # new, or another layout
            with _immediate(db):
                # asked again inside the transaction: another process may have made the file while this
                # one waited for it, and filled it (clearing it then lost that process's first write)
                if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
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
            return _patiently(lambda: op(self._db()))  # another process's write: wait for it
        except (sqlite3.OperationalError, sqlite3.ProgrammingError):
            raise  # still locked, disk full, closed under us: not damage
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
        return self._guarded(lambda db: keyword_query.chunk_ids_between(db, (lo, hi)))

    def count(self) -> int:
        return self._guarded(lambda db: db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def spelled(self, words: Iterable[str]) -> dict[str, str]:
        """Which of ``words`` (lower case, without accents) the articles hold, each with the accents
        they write it with: {"oekraine": "oekraïne", "poetin": "poetin"}; a word they lack is left out.
        Looked up by stem, so "poetins" is held when "Poetin" is."""
        stems = {w: _stem(w) for w in words if re.fullmatch(_TOKEN, w)}
        held = self._guarded(lambda db: keyword_query.terms_like(db, set(stems.values())))
        found = {}
        for word, stem in stems.items():
            term = next((t for t in held.get(stem[:3], ()) if plain(t) == stem), None)
            if term is not None:
                found[word] = term + word[len(stem):] if word.startswith(stem) else word
        return found

    def search(self, query: str, k: int, span: keyword_query.Span | None = None) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score) for the best ``k`` chunks with a positive score; with ``span``
        ((lo, hi) as for ``chunk_ids_between``), among the chunks of the articles in that range."""
        expression = match_expression(query)
        if k <= 0 or not expression:
            return []
        return self._guarded(lambda db: keyword_query.search(db, analyze(query), expression, k, span))
