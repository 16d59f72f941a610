"""The premise a question states in a clause of its own, and the question without it.

"Waar is Marloes van Dijk gaan werken nadat ze vertrok als wethouder?" states something (she left)
and asks something else (where she went). The article says the first and not the second, and the
small judge, shown the sentence that states the premise („… was toen al vertrokken”), says yes: the
sentence matches half the question. Asked again without the clause ("Waar is Marloes van Dijk gaan
werken?"), it scores that sentence for what is asked (docs/eval.md, stops 46 and 47).

``premise_cut`` finds such a clause: one after a conjunction of time or reason ("nadat", "sinds",
"toen", "omdat", "after", "since", "now that", "because"), or a relative clause after a noun ("de
tipgever die de beloning kreeg", "the judge who presided …"), and cuts the question there. It keeps
to cuts it can make by the words alone: four words or more left, not ending on a function word or
preposition ("tijdens die ontmoeting" is no clause), a verb of saying or thinking or an adjective
before "that" ("worried that", "certain that": the clause is what is asked), a word that binds the
clause to it ("shortly after", "how long has it been since") or a number; a clause of two words or
more that asks nothing itself. What it cannot see: a relative clause in the middle of a question,
whose main verb comes after it: "Welk aandeel van de stikstof die op de natuur neerslaat komt van
boerenbedrijven?" is cut to "Welk aandeel van de stikstof?" (an English auxiliary left with no verb is
seen: "What did the judge who presided over the case rule?" is not cut). Since the chain keeps the lower of the
two scores, a bad cut can only refuse; the measured cost is in docs/eval.md.

What this leaves out: how the cut question is judged and what the chain does with it (``rag.chain``).
"""

from __future__ import annotations

import re

from rag.parts import QUESTION_WORDS
from rag.stopwords import DUTCH, ENGLISH, ENGLISH_FUNCTION

_CONJUNCTION = r"nadat|sinds|toen|omdat|now\s+that|after|since|because"
_RELATIVE = r"die|waarin|waarmee|waarvoor|waarover|who|which|that"
# (not after whitespace or a comma, so that a long run of spaces is tried once)
_CLAUSE = re.compile(rf"(?<![\s,]),?\s+(?:{_CONJUNCTION})\s+(?=\w)|(?<=\w)\s+(?P<relative>{_RELATIVE})\s+(?=\w)",
                     re.IGNORECASE)
# a clause that asks something itself is where the question is ("Along the brook where dead fish
# turned up after the fire, how much farmland …?")
_ASKS = re.compile(rf"\b(?:{QUESTION_WORDS})\b", re.IGNORECASE)
# A relative pronoun after a function word or preposition is a demonstrative or asks ("tijdens die
# ontmoeting", "in which city"); after a verb of saying or thinking or an adjective it starts what is
# said ("worried that", "certain that") ...
_PREPOSITIONS = frozenset((  # beyond the function words of ``rag.stopwords``
    "tijdens", "na", "naar", "rond", "via", "sinds", "vanaf", "zonder", "tussen", "achter", "tegenover",
    "during", "behind", "through", "since", "against", "without", "towards", "toward",
))
_SAYING = frozenset((
    "said", "says", "say", "think", "thinks", "know", "knows", "believe", "believes", "claim", "claims", "hope",
    "hopes", "fear", "fears", "expect", "expects", "announce", "announces", "warn", "warns", "now",
    "certain", "sure", "clear", "likely", "afraid", "aware",
))
# ... and a clause after one of these is bound to what comes before it ("shortly after", "kort
# nadat", "two years after", "how long has it been since"). A particle before a conjunction is its
# verb's ("kondigde … aan nadat"), not a preposition that binds.
_BOUND = frozenset((
    "been", "shortly", "soon", "long", "right", "just", "only", "even", "years", "months", "weeks", "days", "year",
    "month", "week", "day", "kort", "vlak", "direct", "meteen", "lang", "pas", "jaar", "maanden", "weken", "dagen",
))
_NOT_RELATIVE = DUTCH | ENGLISH | ENGLISH_FUNCTION | _PREPOSITIONS | _SAYING | _BOUND
# "What did the judge who presided over the case rule?": a relative clause in the middle of an English
# question, its verb after it, leaves an auxiliary with no verb ("What did the judge")
_NO_VERB_LEFT = re.compile(r"\b(do|does|did)\s+(?:(?:the|a|an|his|her|its|their)\s+)?[\w'’-]+$", re.IGNORECASE)
MIN_LEFT_WORDS = 4
MIN_CLAUSE_WORDS = 2


def premise_cut(question: str) -> str | None:
    """``question`` without its premise clause, as a question; None when it has none that can be
    cut cleanly. The first clause that can be cut is."""
    text = question.strip()
    if not text.endswith("?") or "?" in text[:-1]:
        return None
    for m in _CLAUSE.finditer(text):
        left, clause = text[:m.start()].rstrip(" ,;:–—-"), text[m.end():-1]
        words = re.findall(r"\w+", left)
        if len(words) < MIN_LEFT_WORDS or len(re.findall(r"\w+", clause)) < MIN_CLAUSE_WORDS or _ASKS.search(clause):
            continue
        last = words[-1].lower()
        if m.group("relative"):
            # "worried that", "announced that": a past participle before "that" starts what was said
            if (last in _NOT_RELATIVE or (m.group("relative").lower() == "that" and last.endswith("ed"))
                    or _NO_VERB_LEFT.search(left)):
                continue
        elif last in _BOUND:
            continue
        if not last.isdigit():
            return f"{left}?"
    return None
