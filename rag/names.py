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

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

from rag.dates import DAY_NAMES, MONTH_NAMES
from rag.keyword import stopwords

NAME = re.compile(r"\b[A-ZÀ-Ö][\w’'-]{2,}")  # a capitalised word of three letters or more
# "Valkenburg aan de Geul", "Tour de France": capitalised words and the small words between them
NAME_GROUP = re.compile(r"[A-ZÀ-Ö][\w’'-]+(?:\s+(?:(?:de|van|der|den|het|op|aan|of|the|la|le|von)\s+)*"
                        r"[A-ZÀ-Ö][\w’'-]+)*")
# English names whose Dutch spelling is not a close variant: the starts of their Dutch forms.
# Names of several words are looked up whole ("United States"), so "States" alone never matches
# "Provinciale Staten".
EXONYMS = {
    "putin": ("poetin",), "russia": ("rusland", "russisch"), "ukraine": ("oekraine", "oekraiens"),
    "ukrainian": ("oekraiens",), "belarus": ("wit-rusland", "belarus"), "belarusian": ("wit-russisch",),
    "moscow": ("moskou",), "beijing": ("peking", "beijing"), "kyiv": ("kiev", "kyiv"), "hague": ("haag",),
    "brussels": ("brussel",), "netherlands": ("nederland",), "germany": ("duitsland",), "german": ("duits",),
    "belgium": ("belgie",), "belgian": ("belgisch",), "france": ("frankrijk",), "french": ("frans",),
    "britain": ("brit", "engeland"), "british": ("brit",), "england": ("engeland",), "english": ("engels",),
    "spain": ("spanje",), "italy": ("italie",), "poland": ("polen",), "norway": ("noorwegen", "noors"),
    "kazakh": ("kazach",), "kazakhstan": ("kazachstan",), "uzbekistan": ("oezbekistan",),
    "america": ("amerika",), "american": ("amerikaan",), "europe": ("europa",), "asia": ("azie",),
    "uyghurs": ("oeigoer",), "frisian": ("fries",), "zealand": ("zeeland",),
    "united states": ("verenigde staten", "vs", "amerika"), "us": ("vs", "amerika", "verenigde staten"),
    "south limburg": ("zuid-limburg",), "central asia": ("centraal-azie",),
}
# The articles are Dutch news: "the Dutch cabinet" frames an English question; a quote need not say it.
# Months and weekdays are dates, not names ("in March": "in maart"; the number check covers dates).
FRAMING = {"dutch"} | {name.lower() for name in MONTH_NAMES["en"] + DAY_NAMES["en"]}


def fold(word: str) -> str:
    """Lower case, without accents and without a possessive: "Xi's" -> "xi", "Thomas'" -> "thomas",
    "Oekraïne" -> "oekraine"."""
    word = re.sub(r"['’]s?$", "", word.casefold())
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def same_name(name: str, word: str) -> bool:
    """``name`` is ``word`` (both folded), an inflection of it (one is the start of the other, four
    letters or more: Limburg and Limburgse) or, both six letters or more, a close spelling (Tashkent
    and Tasjkent). Short names must match exactly: Iran is not Irak."""
    if name == word:
        return True
    short, long_ = sorted((name, word), key=len)
    if len(short) >= 4 and long_.startswith(short):
        return True
    return len(short) >= 6 and SequenceMatcher(None, name, word).ratio() >= 0.8


def question_names(question: str) -> set[str]:
    """The folded names of a question: its capitalised words other than its first, function words
    ("The", "Het"), news framing ("Dutch") and months and weekdays."""
    rest = re.sub(r"^\s*\S+", "", question)
    return {fold(n) for n in NAME.findall(rest) if n.lower() not in stopwords() and fold(n) not in FRAMING}


def name_words(text: str) -> set[str]:
    """The folded capitalised words of ``text``, to look names up in (``mentions``): "indien" (if)
    and "beiden" (both) are no India or Biden."""
    return {fold(w) for w in re.findall(r"\b[A-ZÀ-Ö][\w’'-]+", text)}


def mentions(words: set[str], names: Iterable[str], group: str = "") -> bool:
    """Does a text (its ``name_words``) hold one of ``names`` (folded), in any spelling? ``group``:
    the name of several words they come from ("United States"), looked up whole first."""
    whole = EXONYMS.get(fold(group)) if " " in group.strip() else None
    if whole:
        return any(w.startswith(dutch.split()[0]) for w in words for dutch in whole)
    for name in names:
        dutch = EXONYMS.get(name, ())
        if any(same_name(name, w) or (dutch and w.startswith(dutch)) for w in words):
            return True
    return False
