"""What reads of the index (``rag.store``) return: retrieved chunks (``Hit``) and article records.

An article record is the article's metadata as the store keeps it: content hash and chunk count (so
an ingest knows what it holds), the file it came from, and its story's other articles. What this
leaves out: reading and writing them (``rag.store``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with the article facts a citation needs."""
    chunk_id: str
    doc_id: str
    title: str
    date: str
    text: str
    start: int
    end: int
    heading: str
    score: float  # cosine similarity for dense hits, fused score after fusion
    language: str = ""  # the article's, as ingest detected it ("" in an index from before it was kept)

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict[str, Any], score: float) -> Hit:
        return cls(chunk_id, str(meta["doc_id"]), str(meta.get("title", "")), str(meta.get("date", "")),
                   text, int(meta["start"]), int(meta["end"]), str(meta.get("heading", "")), score,
                   str(meta.get("language", "")))


@dataclass(frozen=True)
class ArticleRecord:
    doc_id: str
    content_hash: str
    n_chunks: int
    title: str
    date: str
    source: str
    path: str = ""  # the file the article came from (a feed's file or URL for a feed entry)
    kind: str = ""  # "feed" for a feed entry
    dups: tuple[str, ...] = ()  # the other articles of its story (``rag.stories``)
    minhash: str = field(default="", repr=False)  # its MinHash signature, encoded (``rag.stories.encode``)
    entry: str = ""  # a feed entry's digest (``Article.entry``)


def parse_records(got: dict) -> dict[str, ArticleRecord]:
    """The records in a Chroma ``get`` result of article records (with their metadatas)."""
    return {doc_id: ArticleRecord(doc_id, str(m.get("hash", "")), int(m.get("n_chunks", 0)), str(m.get("title", "")),
                                  str(m.get("date", "")), str(m.get("source", "")), str(m.get("path", "")),
                                  str(m.get("kind", "")), tuple(d for d in str(m.get("dups") or "").split("|") if d),
                                  str(m.get("minhash", "")), str(m.get("entry", "")))
            for doc_id, m in zip(got["ids"], got["metadatas"])}
