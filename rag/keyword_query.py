"""What a request reads from the keyword file (``rag.keyword``): BM25 search, and the chunks of a date range.

Search: FTS5 proposes its ``RESCORE`` best by its built-in ``bm25()`` (k1 1.2, b 0.75, idf floored for
terms in over half the chunks); those are scored again as bm25s scored them before (Lucene BM25, k1
1.5, b 0.75, from the chunk and token counts kept in the file), so rankings stay what they were. The
best are found first and only their texts read: joining before the limit read every match's text.

Date ranges are ``(lo, hi)`` in YYYYMMDD (None: open); an article is in one when its own date range
(a day, a month or a year) overlaps it, as ``rag.dates.DateFilter.where`` has it. The longest article
range is kept in the file (``span``), so a lookup reads only the articles whose last day lies in
``[lo, hi + span]``. What this leaves out: writing (``rag.keyword``), and analysing text.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter

RESCORE = 100  # FTS5's best candidates, scored again as before
K1, B = 1.5, 0.75  # bm25s's defaults, which ranked before
_OPEN_LO, _OPEN_HI = -1, 99_999_999
Span = tuple[int | None, int | None]

_TOP = "SELECT rowid FROM postings WHERE postings MATCH ? ORDER BY bm25(postings) LIMIT ?"
_IN_RANGE = "a.date_to BETWEEN ? AND ? AND a.date_from <= ?"
_TOP_IN_RANGE = ("SELECT postings.rowid FROM postings JOIN chunks c ON c.id = postings.rowid "
                 f"JOIN articles a ON a.doc_id = c.doc_id WHERE postings MATCH ? AND {_IN_RANGE} "
                 "ORDER BY bm25(postings) LIMIT ?")


def _range(db: sqlite3.Connection, span: Span) -> tuple[int, int, int]:
    """Parameters for ``_IN_RANGE``."""
    lo = _OPEN_LO if span[0] is None else span[0]
    hi = _OPEN_HI if span[1] is None else span[1]
    longest = db.execute("SELECT value FROM state WHERE key = 'span'").fetchone()
    return lo, hi + (longest[0] if longest else _OPEN_HI), hi


def chunk_ids_between(db: sqlite3.Connection, span: Span) -> list[str]:
    return [row[0] for row in db.execute(
        f"SELECT c.chunk_id FROM articles a JOIN chunks c ON c.doc_id = a.doc_id WHERE {_IN_RANGE}", _range(db, span))]


def terms_like(db: sqlite3.Connection, stems: set[str]) -> dict[str, list[str]]:
    """The indexed terms that begin as each of ``stems`` does (its first three letters, the key),
    commonest first: a range of the sorted vocabulary, so accents further on are found too
    ("oekraïn" for "oekrain")."""
    found: dict[str, list[str]] = {}
    for start in {s[:3] for s in stems}:
        found[start] = [t for t, in db.execute("SELECT term FROM vocab WHERE term >= ? AND term < ? ORDER BY doc DESC",
                                               (start, start + "\U0010ffff"))]
    return found


def search(db: sqlite3.Connection, query: list[str], expression: str, k: int,
           span: Span | None = None) -> list[tuple[str, float]]:
    """(chunk_id, score) of the best ``k`` chunks with a positive score for the analysed ``query``
    (``expression``: its FTS5 form), among the chunks of ``span``'s articles if given. Repeated
    query words count again, as in bm25s."""
    n_top = max(k, RESCORE)
    top, params = (_TOP, (expression, n_top)) if span is None else \
        (_TOP_IN_RANGE, (expression, *_range(db, span), n_top))
    rows = db.execute(f"SELECT c.chunk_id, c.length, p.terms FROM chunks c JOIN postings p ON p.rowid = c.id "
                      f"WHERE c.id IN ({top})", params).fetchall()
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
