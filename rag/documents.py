"""The two records newsrag stores: an article and a chunk of it.

An article's ``text`` keeps its characters exactly, so a quote can be found back verbatim and a
chunk's ``start``/``end`` are offsets into it. Dates are ISO text at the precision the source gave
(``2023-03`` or ``2023-03-15``); for Chroma range filters a date also becomes the integer range of
days it covers (``20230301``..``20230331``).
"""

from __future__ import annotations

import calendar
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath

ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")  # YYYY, YYYY-MM or YYYY-MM-DD, with fullmatch

# Article ids: ``/``-separated parts of letters, digits, ``.``, ``_`` and ``-``, each starting with a
# letter or digit (so no ``..``, no leading dot, no absolute path); at most 200 characters. The HTTP
# API's routes, upload names and every ingested id follow it, so any article can be deleted by id.
DOC_ID_PART = r"[A-Za-z0-9][A-Za-z0-9._-]*"
DOC_ID = re.compile(rf"^(?=.{{1,200}}$){DOC_ID_PART}(?:/{DOC_ID_PART})*$")
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9._-]+")


def valid_doc_id(doc_id: str) -> bool:
    return bool(DOC_ID.match(doc_id)) and ".." not in doc_id


def doc_id_for(relative: PurePath) -> str:
    """The id of the article in a file, from its path relative to the folder that was ingested:
    ``x.txt`` -> ``x`` (files at the top keep their stem), ``a/main0214.html`` -> ``a/main0214``.
    Characters an id cannot hold become ``-`` (accents are dropped first: ``België`` -> ``Belgie``);
    an id that would pass 200 characters is shortened and made unique with a digest of the path."""
    parts = [*relative.parent.parts, relative.stem]
    clean = []
    for part in parts:
        ascii_part = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        part = _NOT_IN_ID.sub("-", ascii_part).strip("-.") or "x"
        clean.append(part if part[0].isalnum() else "x" + part)
    doc_id = "/".join(clean).replace("..", ".")
    if len(doc_id) > 200:
        digest = hashlib.sha256(relative.as_posix().encode()).hexdigest()[:16]
        doc_id = doc_id[:183].rstrip("/.-") + "-" + digest
    return doc_id


def date_range(iso: str | None) -> tuple[int, int] | None:
    """``"2023-03"`` -> ``(20230301, 20230331)``; None when the date is unknown or malformed."""
    m = ISO_DATE.fullmatch(iso or "")
    if not m:
        return None
    year = int(m.group(1))
    if m.group(3):
        day = year * 10000 + int(m.group(2)) * 100 + int(m.group(3))
        return day, day
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            return None
        last = calendar.monthrange(year, month)[1]
        return year * 10000 + month * 100 + 1, year * 10000 + month * 100 + last
    return year * 10000 + 101, year * 10000 + 1231


@dataclass(frozen=True)
class Article:
    doc_id: str
    title: str
    text: str
    date: str | None = None  # ISO, at the precision known
    source: str = ""  # file path or feed name
    url: str = ""
    language: str = ""
    path: str = ""  # the file it was read from, absolute (for JSONL, ``source`` may name a feed instead)
    line: int | None = field(default=None, compare=False)  # its JSONL line (or feed entry number); not stored
    kind: str = ""  # "feed" for a feed entry (kept when it drops out of its feed); "" for a file's article
    entry: str = ""  # a feed entry's digest as the feed gave it (``ingest.feeds``): unchanged, no page to fetch

    @property
    def content_hash(self) -> str:
        """Changes whenever anything we store about the article changes, except where its file
        lives: the same file named by another path, or moved, is the same article."""
        h = hashlib.sha256()
        source = "" if self.source == self.path else self.source
        for part in (self.title, self.date or "", source, self.url, self.text):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()

    def metadata(self) -> dict[str, str | int]:
        """Metadata shared by the article record and each of its chunks (Chroma takes no None)."""
        meta: dict[str, str | int] = {
            "doc_id": self.doc_id, "title": self.title, "date": self.date or "",
            "source": self.source, "url": self.url, "language": self.language, "path": self.path,
        }
        if self.kind:
            meta["kind"] = self.kind
        if self.entry:
            meta["entry"] = self.entry
        span = date_range(self.date)
        if span:
            meta["date_from"], meta["date_to"] = span
        return meta


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    index: int
    text: str  # == article.text[start:end]
    start: int
    end: int
    heading: str = ""

    @property
    def chunk_id(self) -> str:
        # Positional ids are stable: re-ingesting an article overwrites its chunks in place.
        return f"{self.doc_id}#{self.index:05d}"
