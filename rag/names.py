"""Names across Dutch and English: is a name of the question in this text, however it is spelled?

The articles are Dutch and a question may be English: "Putin" is "Poetin" there, "Tashkent"
"Tasjkent", "Kazakh" "Kazachstaanse", and "Russia" "Rusland". ``mentions`` finds a name in a text
by its folded form (lower case, no accents, no "'s"), a close spelling or inflection, or its Dutch
name from a short list of English names that differ more than that (``EXONYMS``).

Used by the answer check (``rag.citations.grafted``: a name an answer takes from the question must
be in its quote's passage) and by timelines (an article with none of the question's names is not
about its subject).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

from rag.keyword import stopwords

NAME = re.compile(r"\b[A-ZÀ-Ö][\w’'-]{2,}")  # a capitalised word of three letters or more
# "Valkenburg aan de Geul", "Tour de France": capitalised words and the small words between them
NAME_GROUP = re.compile(r"[A-ZÀ-Ö][\w’'-]+(?:\s+(?:(?:de|van|der|den|het|op|aan|of|the|la|le|von)\s+)*"
                        r"[A-ZÀ-Ö][\w’'-]+)*")
# English names whose Dutch spelling is not a close variant (Putin/Poetin is one in letters, not by
# ``same_name``'s measure): the starts of their Dutch forms.
EXONYMS = {
    "putin": ("poetin",), "russia": ("rusland", "russisch"), "ukraine": ("oekraïne", "oekraïens"),
    "ukrainian": ("oekraïens",), "belarus": ("wit-rusland", "belarus"), "belarusian": ("wit-russisch",),
    "moscow": ("moskou",), "beijing": ("peking", "beijing"), "kyiv": ("kiev", "kyiv"), "hague": ("haag",),
    "brussels": ("brussel",), "netherlands": ("nederland",), "germany": ("duitsland",), "german": ("duits",),
    "belgium": ("belgië",), "belgian": ("belgisch",), "france": ("frankrijk",), "french": ("frans",),
    "britain": ("brit", "engeland"), "british": ("brit",), "england": ("engeland",), "english": ("engels",),
    "spain": ("spanje",), "italy": ("italië",), "poland": ("polen",), "norway": ("noorwegen", "noors"),
    "united": ("verenigde",), "states": ("staten", "amerika"), "america": ("amerika", "verenigde staten"),
    "europe": ("europa", "europe"), "asia": ("azië",), "south": ("zuid",), "north": ("noord",),
    "uyghurs": ("oeigoer",), "frisian": ("fries",), "zealand": ("zeeland",),
}
# The articles are Dutch news: "the Dutch cabinet" frames an English question; a quote need not say it.
FRAMING = {"dutch"}


def fold(word: str) -> str:
    """Lower case, without accents and without a possessive "'s": "Xi's" -> "xi", "Oekraïne" -> "oekraine"."""
    word = re.sub(r"(['’]s|s['’])$", "", word.casefold())
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def same_name(name: str, word: str) -> bool:
    """``name`` is ``word`` (both folded) or a close spelling or inflection of it: Tashkent and
    Tasjkent (similar letters), Kazakh and Kazachstaanse (a shared start of 4 letters and 60% of the
    shorter word)."""
    if name == word:
        return True
    shared = len(os.path.commonprefix([name, word]))
    return (shared >= 4 and shared >= 0.6 * min(len(name), len(word))
            or SequenceMatcher(None, name, word).ratio() >= 0.75)


def question_names(question: str) -> set[str]:
    """The folded names of a question: its capitalised words other than its first, function words
    ("The", "Het") and news framing ("Dutch")."""
    rest = re.sub(r"^\s*\S+", "", question)
    return {fold(n) for n in NAME.findall(rest) if n.lower() not in stopwords() and fold(n) not in FRAMING}


def name_words(text: str) -> set[str]:
    """The folded words of ``text``, to look names up in (``mentions``)."""
    return {fold(w) for w in re.findall(r"[\w’'-]{2,}", text)}


def mentions(words: set[str], names: Iterable[str]) -> bool:
    """Does a text (its ``name_words``) hold one of ``names`` (folded), in any spelling?"""
    for name in names:
        dutch = tuple(fold(x) for x in EXONYMS.get(name, ()))
        if any(same_name(name, w) or (dutch and w.startswith(dutch)) for w in words):
            return True
    return False
