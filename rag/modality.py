"""Whether a sentence says that something happened, or only that it is expected, planned or possible.

News writes ahead: „… staat een grote manifestatie in het Gelderse Stroe gepland, waar de organisatoren
35.000 boeren met trekkers verwachten.” That sentence does not answer "Kwamen er bij de manifestatie in
Stroe daadwerkelijk 35.000 boeren?", nor "Did Blinken actually meet Lavrov at the G20?" („… waar
Blinken mogelijk zijn Russische ambtgenoot Sergej Lavrov tegen het lijf zal lopen”), nor "Was the new
rain buffer at Epen completed on schedule?" („De eerste buffer, bij Epen, moet in 2025 klaar zijn”).
The 1.5B judge says yes to each (P 0.78-0.98): the sentence names everything the question does. So a
yes/no question about the past is not answered by a sentence whose clause about what is asked only
looks ahead; ``rag.chain`` passes over such a sentence, and refuses when no other sentence is judged
likely (docs/eval.md, stop 37).

Every test is narrow on purpose, since a false "looks ahead" refuses an answerable question:
* the question asks about the past by its first word ("Did", "Was", "Heeft … gesproken?", "Kwamen",
  "Bedankte") or says it wants what really happened ("daadwerkelijk", "actually");
* only the clause of the sentence that shares most with the question counts ("… zes huizen werden
  weggevaagd en een dozijn zal worden gesloopt" reports what happened in its first clause);
* a word looks ahead only where it cannot be read otherwise: "verwacht" but not "dan verwacht",
  "zoals verwacht" or "de verwachte"; "mogelijk" as "perhaps" but not "zo snel mogelijk", "niet
  mogelijk" or "mogelijk te maken"; "will" as a verb, not "political will"; "may" but not "May";
  "zou" and a plain "moet" never (reported speech, duty);
* a question that holds a word ahead itself ("Verzekerde Biden dat Poetin een prijs zal betalen?",
  "Kwamen er meer boeren dan verwacht?") is answered by it, and so is one that asks whether something
  happened yet ("Heeft het waterschap al besloten …?": "it decides next week" says not yet).
"""

from __future__ import annotations

import re

from rag.dates import DAY_NAMES, MONTH_NAMES
from rag.keyword import terms
from rag.language import detect_language
from rag.names import name_words

_I = re.IGNORECASE

_PAST_EN = re.compile(r"^\s*(did|was|were|has|have|had)(n't)?\b", _I)
_PAST_NL_PERFECT = re.compile(r"^\s*(heeft|hebben|had|hadden|is|zijn|was|waren)\b.*\b(ge\w+|\w+(d|t|en))\s*\?\s*$", _I)
# a weak past (-de, -te: "Bedankte", "Voerde") or a common strong one first
_PAST_NL_VERB = re.compile(
    r"^\s*(\w{3,}(de|te)|kwam|kwamen|werd|werden|ging|gingen|verliet|verlieten|won|wonnen|viel|vielen|deed"
    r"|deden|liep|liepen|was|waren|kreeg|kregen|zag|zagen|sprak|spraken|bleef|bleven|nam|namen|gaf|gaven|stond"
    r"|stonden|trok|trokken|vond|vonden|sloot|sloten|bood|boden|zei|zeiden)\b", _I)
_REALLY = re.compile(r"\b(daadwerkelijk|werkelijk|echt|inderdaad|uiteindelijk|actually|really|indeed|eventually|in\s+the\s+end)\b", _I)


# A question that itself speaks of a plan, an expectation or the future: a sentence that looks ahead
# may answer it. Broad on purpose (a miss here refuses).
_ASKS_AHEAD = re.compile(r"\b(verwacht\w*|gepland\w*|plan|plannen|planned|plans?|planning|zal|zullen|zou|zouden"
                         r"|mogelijk\w*|misschien|toekomst\w*|volgend\w*|komend\w*|expect\w*|will|would|shall"
                         r"|going\s+to|set\s+to|due\s+to|future|next|upcoming|possibl\w*|may|might"
                         # "Heeft het waterschap al besloten …?": "not yet, it decides next week" is the answer
                         r"|al|nog|inmiddels|reeds|already|yet|so\s+far)\b", _I)


def asks_past(question: str) -> bool:
    """``question`` (a yes/no question) asks whether something happened: by its first word, a past or
    perfect verb, or by saying it wants what really happened."""
    if _REALLY.search(question):
        return True
    if detect_language(question) == "en":
        return bool(_PAST_EN.match(question))
    return bool(_PAST_NL_PERFECT.match(question) or _PAST_NL_VERB.match(question))


# A comparison or an adjective is no expectation: "meer dan verwacht", "zoals gepland", "de geplande
# operaties", "later than planned", "tegen de verwachting in".
_NOT_AHEAD = re.compile(
    r"\b(dan|als|zoals|than|as)(\s+\w+){0,4}?\s+(verwacht|gepland|voorzien|expected|planned|forecast|hoped)\b"
    r"|\b(tegen\s+de\s+verwachting(en)?\s+in|against\s+(all\s+)?expectations?)\b"
    r"|\b(the|a|an|its|their|his|her)\s+(expected|planned)\b", _I)
_AHEAD_NL = re.compile(r"\b(verwacht|verwachten|verwachtte|verwachtten|gepland|zal|zullen|misschien|wellicht"
                       r"|mogelijkerwijs|van\s+plan|dreigt|dreigen|overweegt|overwegen)\b"
                       r"|\bmoet(?:en)?\b[^,;.]*\b(klaar|gereed|voltooid|afgerond|opgeleverd)\b", _I)
# "mogelijk" as "perhaps" („waar Blinken mogelijk … zal lopen”): not "zo snel mogelijk", "zoveel
# mogelijk", "waar mogelijk", "niet mogelijk", "is mogelijk doordat", "mogelijk te maken", "maakt … mogelijk"
_POSSIBLY = re.compile(r"\bmogelijk\b", _I)
_NOT_POSSIBLY_BEFORE = re.compile(r"\b(zo|zoveel|als|waar|indien|niet|is|was|bleek|werd|wordt|zijn|waren|lijkt|het"
                                  r"|maakt|maken|maakte|maakten)\b[^,;.]*$|\b(zo|zoveel)\s+\w*\s*$", _I)
_NOT_POSSIBLY_AFTER = re.compile(r"^\s+(te\s+)?(maakt|maken|maakte|maakten|gemaakt|om|doordat|omdat)\b", _I)
_AHEAD_EN = re.compile(r"\b(expected|expects|planned|plans\s+to|possibly|perhaps|hopes\s+to|threatens\s+to"
                       r"|(is|are|was|were)\s+(set|due|scheduled|expected|planned|going)\s+to|(is|are)\s+considering"
                       r"|should\s+be\s+(ready|finished|completed))\b"
                       r"|(?<!\bpolitical\s)(?<!\bagainst\s)(?<!\bthe\s)(?<!\btheir\s)(?<!\bhis\s)(?<!\bher\s)(?<!\bits\s)"
                       r"(?<!\bown\s)(?<!\bfree\s)\bwill\b(?!\s+of\b)|\b(might|may)\b(?=\s+(not\s+)?[a-z]+\b)", _I)
_MONTH_MAY = re.compile(r"\bMay\b")

# A time after the article was written: what it names there, the article cannot say happened ("voor
# volgende week woensdag … gepland", "deze woensdag … zal lopen", "moet in 2025 klaar zijn"). Without
# one, a sentence that looks ahead may be the answer to a question that assumes it happened already
# („Het waterschap beslist volgende week” says no to "Heeft het waterschap besloten …?" only through
# "volgende week"; „De bond overweegt een staking” says no to "Heeft de bond gestaakt?").
_DAYS = "|".join(DAY_NAMES["nl"] + DAY_NAMES["en"])
_MONTHS = "|".join(MONTH_NAMES["nl"] + MONTH_NAMES["en"])
_LATER = re.compile(
    rf"\b(volgend\w*|komend\w*|aanstaande|straks|binnenkort|later\s+dit\s+jaar|na\s+de\s+zomer|over\s+\w+\s+(dagen|weken|maanden|jaar)"
    rf"|deze\s+({_DAYS}|week|maand|zomer|winter|herfst|lente|(\w+)?avond|(\w+)?ochtend)"
    rf"|(in|vanaf|tegen|voor|per|eind|begin|medio|uiterlijk|na)\s+(\d+\s+)?({_MONTHS}\s+)?(19|20)\d\d"
    rf"|next|coming|upcoming|soon|later\s+this\s+(year|month|week)|this\s+({_DAYS}|week|month|summer|autumn|winter|spring)"
    rf"|by\s+(19|20)\d\d)\b", _I)

# Where one clause ends and another begins: a semicolon, or a comma or "and"/"en" before a new
# clause's first word ("…, waar de organisatoren … verwachten", "… weggevaagd en een dozijn zal …").
_CLAUSE = re.compile(r"[;:–—]|,\s*(?=(waar|dat|die|wat|maar|terwijl|hoewel|omdat|nadat|voordat|en|where|which|that|who"
                     r"|but|while|although|because|after|before|and)\b)|\s(?:en|and)\s(?=(een|de|het|zij|ze|hij|die|dat"
                     r"|er|the|a|an|they|he|she|it|there|\d)\b)", _I)


def _ahead_clause(clause: str) -> bool:
    text = _NOT_AHEAD.sub(" ", clause)
    if detect_language(clause) == "en":
        return bool(_AHEAD_EN.search(_MONTH_MAY.sub(" ", text)))
    return bool(_AHEAD_NL.search(text)) or any(
        text[m.end():].lstrip().lower().startswith("dat ")  # "het is mogelijk dat …"
        or not _NOT_POSSIBLY_BEFORE.search(text[:m.start()]) and not _NOT_POSSIBLY_AFTER.match(text[m.end():])
        for m in _POSSIBLY.finditer(text))


def looks_ahead(sentence: str, question: str = "") -> bool:
    """The clause of ``sentence`` that shares most words and names with ``question`` (every clause,
    without one) says that something is expected, planned or possible, in its own language's words."""
    clauses = [c for c in _CLAUSE.split(sentence) if c and c.strip() and not _CLAUSE.fullmatch(c)]
    if not question:
        return any(_ahead_clause(c) for c in clauses)
    asked = terms(question) | name_words(question)

    def shared(clause: str) -> int:
        return len(asked & (terms(clause) | name_words(clause)))

    most = max(map(shared, clauses), default=0)
    return any(_ahead_clause(c) for c in clauses if shared(c) == most)


def only_ahead(question: str, sentence: str) -> bool:
    """``sentence`` cannot say yes or no to ``question`` (a yes/no question, ``rag.decide.yes_no``)
    about what happened: its clause about what is asked only looks ahead, and the question itself
    holds no word that looks ahead, and the sentence names a time after the article's (the clause that
    says when may be another one: „Voor volgende week woensdag staat een manifestatie gepland, waar de
    organisatoren 35.000 boeren verwachten”)."""
    return asks_past(question) and not _ASKS_AHEAD.search(question) and bool(_LATER.search(sentence)) \
        and looks_ahead(sentence, question)
