"""Split an article into chunks that follow paragraphs and sentences and never cut a sentence.

Each chunk keeps its character span in the article text and the section heading above it. Headings
are not chunks of their own; photo captions are (they are short and about something else).
"""

from __future__ import annotations

from ingest.loaders import is_caption, is_heading
from rag.documents import Article, Chunk
from rag.sentences import Span, paragraphs, sentences

TARGET_CHARS = 700  # ~180 tokens: within E5's 512 and small enough to point at one passage
MAX_CHARS = 1000


def _pieces(text: str) -> list[tuple[str, list[Span], bool]]:
    """(heading, sentence spans, is_caption) per body paragraph."""
    out, heading = [], ""
    for i, (start, end) in enumerate(paragraphs(text)):
        block = text[start:end]
        if i > 0 and is_heading(block):  # an article never opens with a section heading
            heading = " ".join(block.lstrip("#").split())
            continue
        out.append((heading, sentences(text, start, end), is_caption(block)))
    return out


def chunk_article(article: Article, target: int = TARGET_CHARS, limit: int = MAX_CHARS) -> list[Chunk]:
    text = article.text
    chunks: list[Chunk] = []
    group: list[Span] = []
    group_heading = ""

    def flush() -> None:
        if group:
            start, end = group[0][0], group[-1][1]
            chunks.append(Chunk(article.doc_id, len(chunks), text[start:end], start, end, group_heading))
            group.clear()

    for heading, spans, caption in _pieces(text):
        if caption or heading != group_heading or (group and group[-1][1] - group[0][0] >= target):
            flush()
        group_heading = heading
        for span in spans:
            if group and span[1] - group[0][0] > limit:
                flush()
            group.append(span)
        if caption:
            flush()
    flush()
    return chunks
