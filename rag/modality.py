"""Whether a sentence says that something happened, or only that it is expected, planned or possible.

News writes ahead: „… staat een grote manifestatie in het Gelderse Stroe gepland, waar de organisatoren
35.000 boeren met trekkers verwachten.” That sentence does not answer "Kwamen er bij de manifestatie in
Stroe daadwerkelijk 35.000 boeren?", nor "Did Blinken actually meet Lavrov at the G20?" („… waar
Blinken mogelijk zijn Russische ambtgenoot Sergej Lavrov tegen het lijf zal lopen”), nor "Was the new
rain buffer at Epen completed on schedule?" („De eerste buffer, bij Epen, moet in 2025 klaar zijn”).
The 1.5B judge says yes to each (P 0.78-0.98): the sentence names everything the question does. So a
yes/no question that does not itself ask about the future is not answered by a sentence that only
looks ahead; ``rag.chain`` does not let the judge see it (docs/eval.md, stop 37).

Both tests are narrow on purpose: a question looks ahead by an unmistakable word ("will", "zal",
"gepland", "Komt er …?"), and a sentence looks ahead only by a word that cannot be read otherwise in
its language ("verwacht", "gepland", "zal", "mogelijk" but not "zo snel mogelijk", "moet … klaar
zijn", "expected", "is set to"); "zou" and a plain "moet" are left out: they mark reported speech and
duty as often as plans.
"""

from __future__ import annotations

import re

from rag.language import detect_language

_I = re.IGNORECASE

# A question about what is to come, or about a plan or an expectation: a sentence that looks ahead
# answers it ("Will the AI Act's bans only take effect …?", "Komen er regels voor taalmodellen?").
_ASKS_AHEAD = re.compile(
    r"^\s*(will|would|shall|is\s+\S+\s+(going|set|due|expected|planned)\s+to|are\s+\S+\s+(going|set|due|expected)\s+to"
    r"|zal|zullen|gaat|gaan|komt\s+er|komen\s+er|wordt|worden)\b"
    r"|\b(plan|plans|planned|planning|expect|expects|expected|intend|intends|going\s+to|future|verwacht\w*|gepland\w*"
    r"|van\s+plan|plannen|toekomst\w*|voortaan|straks|binnenkort|volgend\w*|komend\w*|next|upcoming|soon)\b", _I)

_AHEAD = {
    "nl": re.compile(r"\b(verwacht|verwachte|verwachten|verwachtte|verwachtten|verwachting|gepland|geplande|zal|zullen"
                     r"|misschien|wellicht|mogelijkerwijs|van\s+plan|dreigt|dreigen|overweegt|overwegen|hoopt|hopen)\b"
                     r"|\bmoet(?:en)?\b[^,;.]*\b(klaar|gereed|af|voltooid|afgerond|opgeleverd)\b", _I),
    "en": re.compile(r"\b(expected|expects|planned|plans\s+to|will|would\s+be\s+held|may|might|possibly|perhaps"
                     r"|is\s+(set|due|scheduled)\s+to|are\s+(set|due|scheduled)\s+to|hopes\s+to|threatens\s+to"
                     r"|is\s+considering|are\s+considering|should\s+be\s+(ready|finished|completed))\b", _I),
}


def asks_ahead(question: str) -> bool:
    """``question`` asks about something to come, or about a plan or an expectation."""
    return bool(_ASKS_AHEAD.search(question))


# "mogelijk" says something may happen („waar Blinken mogelijk … zal lopen”), but not in "zo snel
# mogelijk", "zoveel mogelijk" or "maakt … mogelijk" / "mogelijk gemaakt" (enables).
_POSSIBLY = re.compile(r"\bmogelijk\b", _I)
_NOT_POSSIBLY = re.compile(r"\b(zo|zoveel|zo\s+veel)(\s+\w+)?\s*$|\b(maakt|maken|maakte|maakten)\b[^,;.]*$", _I)
_ENABLES = re.compile(r"^\s+(maakt|maken|maakte|maakten|gemaakt)\b", _I)


def looks_ahead(sentence: str) -> bool:
    """``sentence`` says that something is expected, planned or possible (in its own language's words)."""
    if detect_language(sentence) == "en":
        return bool(_AHEAD["en"].search(sentence))
    return bool(_AHEAD["nl"].search(sentence)) or any(
        not _NOT_POSSIBLY.search(sentence[:m.start()]) and not _ENABLES.match(sentence[m.end():])
        for m in _POSSIBLY.finditer(sentence))


def only_ahead(question: str, sentence: str) -> bool:
    """``sentence`` cannot say yes or no to ``question`` (a yes/no question, ``rag.decide.yes_no``)
    about what happened or holds: it only looks ahead, and the question does not."""
    return not asks_ahead(question) and looks_ahead(sentence)
