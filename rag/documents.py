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
from dataclasses import dataclass

_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_range(iso: str | None) -> tuple[int, int] | None:
    """``"2023-03"`` -> ``(20230301, 20230331)``; None when the date is unknown or malformed."""
    m = _ISO_DATE.match(iso or "")
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
    path: str = ""  # the file it was read from (for JSONL, ``source`` may name a feed instead)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything we store about the article changes."""
        h = hashlib.sha256()
        for part in (self.title, self.date or "", self.source, self.url, self.text):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()

    def metadata(self) -> dict[str, str | int]:
        """Metadata shared by the article record and each of its chunks (Chroma takes no None)."""
        meta: dict[str, str | int] = {
            "doc_id": self.doc_id, "title": self.title, "date": self.date or "",
            "source": self.source, "url": self.url, "language": self.language, "path": self.path,
        }
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
