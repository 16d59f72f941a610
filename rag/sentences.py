"""Sentence and paragraph boundaries as character spans, for Dutch and English news text.

Spans (not strings) so that every piece can be found back verbatim in the article. The rules are
deliberately simple: a sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus closing quotes or brackets)
followed by white space and something that can open a sentence. Abbreviations that end in a dot
and are followed by a capital ("mr.", "dr.", "o.a.") are the known weak spot.
"""

from __future__ import annotations

import re

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


def paragraphs(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Blank-line separated blocks of ``text[start:end]``, stripped."""
    end = len(text) if end is None else end
    spans, pos = [], start
    for m in _PARAGRAPH_BREAK.finditer(text, start, end):
        if (s := _strip(text, pos, m.start())):
            spans.append(s)
        pos = m.end()
    if (s := _strip(text, pos, end)):
        spans.append(s)
    return spans


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[start:end]``; never crosses a paragraph break."""
    out: list[Span] = []
    for p_start, p_end in paragraphs(text, start, end):
        pos = p_start
        for m in _SENTENCE_END.finditer(text, p_start, p_end):
            word = text[max(pos, text.rfind(" ", pos, m.start()) + 1):m.start()].lower()
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue  # "dr. Jansen", "J. Biden"
            if (s := _strip(text, pos, m.end())):
                out.append(s)
            pos = m.end()
        if (s := _strip(text, pos, p_end)):
            out.append(s)
    return out
