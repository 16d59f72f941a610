"""Sentence and paragraph boundaries as character spans, for Dutch and English news text.

Spans (not strings) so that every piece can be found back verbatim in the article. The rules are
deliberately simple: a sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus closing quotes or brackets)
followed by white space and something that can open a sentence. Abbreviations that end in a dot
and are followed by a capital ("mr.", "dr.", "o.a.") are the known weak spot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

Span = tuple[int, int]  # (start, end) offsets, end exclusive

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SENTENCE_END = re.compile(
    r"""[.!?…]+["'”’»)\]]*          # terminal punctuation, closing quotes/brackets
        (?=\s+["'“‘„«(\[]*[A-Z0-9À-ÖØ-Þ])  # then space and a sentence opener
    """,
    re.VERBOSE,
)
_ABBREVIATIONS = {"mr", "dr", "drs", "ir", "prof", "mevr", "dhr", "st", "nr", "vs", "bijv", "o.a", "e.a",
                  "mrs", "ms", "jr", "sr", "inc", "ltd", "etc", "ca", "resp", "z.g", "m.a.w"}


def _strip(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _pieces(text: str, start: int, end: int, cuts: Iterable[tuple[int, int]]) -> list[Span]:
    """The stripped, non-empty pieces of ``text[start:end]`` between ``cuts``: a cut ``(a, b)`` ends
    a piece at ``a`` and starts the next at ``b``."""
    spans, pos = [], start
    for a, b in cuts:
        if (s := _strip(text, pos, a)):
            spans.append(s)
        pos = b
    if (s := _strip(text, pos, end)):
        spans.append(s)
    return spans


def paragraphs(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Blank-line separated blocks of ``text[start:end]``, stripped."""
    end = len(text) if end is None else end
    return _pieces(text, start, end, ((m.start(), m.end()) for m in _PARAGRAPH_BREAK.finditer(text, start, end)))


def _sentence_ends(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Where the sentences of ``text[start:end]`` end (cuts for ``_pieces``), abbreviations passed over."""
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        word = text[max(pos, text.rfind(" ", pos, m.start()) + 1):m.start()].lower()
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue  # "dr. Jansen", "J. Biden"
        yield m.end(), m.end()
        pos = m.end()


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[start:end]``; never crosses a paragraph break."""
    return [s for p_start, p_end in paragraphs(text, start, end)
            for s in _pieces(text, p_start, p_end, _sentence_ends(text, p_start, p_end))]
