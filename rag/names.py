"""Names across Dutch and English: is a name of the question in this text, however it is spelled?

The articles are Dutch and a question may be English: "Putin" is "Poetin" there, "Tashkent"
"Tasjkent", "Kazakh" "Kazachstaanse", and "Russia" "Rusland". ``mentions`` finds a name in a text
by its folded form (lower case, no accents, no "'s"), a close spelling or inflection, or its Dutch
name from a short list of English names that differ more than that (``EXONYMS``).

``respell`` writes a query's names as the articles do before it is searched: keyword search finds
"Loekasjenko" and not "Lukashenko". The judge still reads the question as asked: judged with the
articles' spelling too, 14 English questions of eval/tune.jsonl passed 6 times instead of 8 (the
judge grew surer of every sentence naming the person, the unanswerable questions' ones too), and
an English answer would say "Poetin" (docs/eval.md, stop 30).

Used by the answer check (``rag.citations.grafted``: a name an answer takes from the question must
be in its quote's passage), and by the chain to keep a question to the articles that name what it
names (``rag.chain._sources_naming``: an article with none of the question's names is not about its
subject, in a timeline or any other answer). ``named_subject`` gives the names as a phrase, whose
closeness is taken off a sentence's relevance (``rag.evidence.Evidence.relevance``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from difflib import SequenceMatcher
from itertools import combinations

from rag.dates import DAY_NAMES, MONTH_NAMES
from rag.keyword import plain, stopwords, terms

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
    "uyghurs": ("oeigoer",), "frisian": ("fries", "friez"), "zealand": ("zeeland",),
    "united states": ("verenigde staten", "vs", "amerika"), "us": ("vs", "amerika", "verenigde staten"),
    "south limburg": ("zuid-limburg",), "central asia": ("centraal-azie",),
}
# The articles are Dutch news: "the Dutch cabinet" frames an English question; a quote need not say it.
# Months and weekdays are dates, not names ("in March": "in maart"; the number check covers dates).
_POSSESSIVE = re.compile(r"['’]s?$")
FRAMING = {"dutch"} | {name.lower() for name in MONTH_NAMES["en"] + DAY_NAMES["en"]}


def fold(word: str) -> str:
    """Lower case, without accents and without a possessive: "Xi's" -> "xi", "Thomas'" -> "thomas",
    "Oekraïne" -> "oekraine"."""
    return plain(_POSSESSIVE.sub("", word.casefold()))


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


def _is_name(word: str) -> bool:
    """A capitalised word of a question that names something: not a function word ("The", "Het"),
    news framing ("Dutch"), a month or a weekday."""
    return word.lower() not in stopwords() and fold(word) not in FRAMING


def question_names(question: str) -> set[str]:
    """The folded names of a question: its capitalised words other than its first that name
    something (``_is_name``)."""
    rest = re.sub(r"^\s*\S+", "", question)
    return {fold(n) for n in NAME.findall(rest) if _is_name(n)}


def named_subject(question: str) -> str:
    """The names a question is about, as one phrase: "What did Blinken say the US pays close
    attention to in Central Asia?" -> "Blinken Central Asia". Its groups of capitalised words
    (``NAME_GROUP``) other than its first word that hold a name of three letters or more
    (``_is_name``), as the question writes them; "" when it names nothing, or nothing but its names
    ("Wie is Blinken?", a question in capitals: nothing would be left of what it asks)."""
    rest = re.sub(r"^\s*\S+", "", question)
    groups = (g.group(0) for g in NAME_GROUP.finditer(rest))
    subject = " ".join(g for g in groups if any(_is_name(w) for w in NAME.findall(g)))
    return "" if subject and terms(question) <= terms(subject) else subject


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


# How Dutch writes the sounds English transliterates otherwise (Russian, Ukrainian and Belarusian
# names above all): Lukashenko -> Loekasjenko, Tokayev -> Tokajev, Zelensky -> Zelenski, Kharkiv ->
# Charkiv, Chernihiv -> Tsjernihiv, Prigozhin -> Prigozjin, Alexey -> Aleksej. Applied in this order.
TRANSLITERATIONS = [(re.compile(pattern), dutch) for pattern, dutch in (
    (r"ch", "tsj"), (r"kh", "ch"), (r"sh", "sj"), (r"zh", "zj"), (r"u", "oe"), (r"y(?=[aeiou])", "j"),
    (r"e[iy]$", "ej"), (r"(iy|y)$", "i"), (r"x", "ks"))]


def spellings(name: str) -> list[str]:
    """How the Dutch articles may write ``name`` (folded), most likely first: its Dutch name
    (``EXONYMS``), then the spellings the ``TRANSLITERATIONS`` give, fewest changes first."""
    found = [dutch for dutch in EXONYMS.get(name, ()) if " " not in dutch]
    rules = [(rule, dutch) for rule, dutch in TRANSLITERATIONS if rule.search(name)]
    for n in range(1, len(rules) + 1):
        for chosen in combinations(rules, n):
            spelled = name
            for rule, dutch in chosen:
                spelled = rule.sub(dutch, spelled)
            found.append(spelled)
    return [s for s in dict.fromkeys(found) if s != name]


def respell(question: str, spelled: Callable[[list[str]], dict[str, str]]) -> str:
    """``question`` with each name the articles never write as it does, but write in one of its
    ``spellings``, written their way: "How long did Lukashenko's visit last?" -> "How long did
    Loekasjenko's visit last?". ``spelled``: which words (folded) the articles hold, and with which
    accents (``rag.keyword.KeywordIndex.spelled``)."""
    names = {fold(n) for n in NAME.findall(question)} - {fold(w) for w in stopwords()}
    options = {name: spellings(name) for name in names}
    held = spelled([*names, *(part for ways in options.values() for way in ways for part in way.split("-"))])
    written: dict[str, str] = {}
    for name, ways in options.items():
        if name in held:
            continue
        way = next((w for w in ways if all(part in held for part in w.split("-"))), None)
        if way is not None:
            written[name] = "-".join(held[part][:1].upper() + held[part][1:] for part in way.split("-"))
    if not written:
        return question
    return NAME.sub(lambda m: _as_written(m.group(), written), question)


def _as_written(word: str, written: dict[str, str]) -> str:
    """``word`` as ``written`` has its folded form, its possessive kept ("Lukashenko's")."""
    name = fold(word)
    if name not in written:
        return word
    return written[name] + word[len(_POSSESSIVE.sub("", word)):]
