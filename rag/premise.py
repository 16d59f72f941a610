"""The premise a question states in a clause of its own, and the question without it.

"Waar is Marloes van Dijk gaan werken nadat ze vertrok als wethouder?" states something (she left)
and asks something else (where she went). The article says the first and not the second, and the
small judge, shown the sentence that states the premise („… was toen al vertrokken”), says yes: the
sentence matches half the question. Asked again without the clause ("Waar is Marloes van Dijk gaan
werken?"), it scores that sentence for what is asked (docs/eval.md, stops 46 and 47).

``premise_cut`` finds such a clause at the end of a question: one after a conjunction of time or
reason ("nadat", "sinds", "toen", "omdat", "after", "since", "now that", "because"), or a relative
clause after a noun ("de tipgever die de beloning kreeg", "the judge who presided …"). It keeps to
clauses it can cut cleanly: what is left must still ask something (four words or more, not ending on
a word that binds it to the clause, such as "shortly" or "so", or on a number), and the clause must say something
(two words or more) and ask nothing itself.

What this leaves out: how the cut question is judged and what the chain does with it (``rag.chain``).
"""

from __future__ import annotations

import re

_CONJUNCTION = r"nadat|sinds|toen|omdat|now\s+that|after|since|because"
_RELATIVE = r"die|waarin|waarmee|waarvoor|waarover|who|which|that"
_CLAUSE = re.compile(rf",?\s+(?:{_CONJUNCTION})\s+(?=\w)|(?<=\w)\s+(?P<relative>{_RELATIVE})\s+(?=\w)", re.IGNORECASE)
# a clause that asks something itself is where the question is ("Along the brook where dead fish
# turned up after the fire, how much farmland …?")
_ASKS = re.compile(r"\b(what|where|when|who|whom|whose|which|why|how|wat|waar|waarom|wanneer|wie|welke?|hoe|hoeveel)\b",
                   re.IGNORECASE)
# A relative pronoun after one of these is not a relative clause's start ("so that", "in which
# city", "zegt dat", "certain that") ...
_NOT_RELATIVE = frozenset((
    "so", "such", "and", "or", "of", "on", "in", "at", "by", "for", "to", "with", "from", "about", "than", "now",
    "said", "says", "say", "think", "thinks", "know", "knows", "believe", "believes", "claim", "claims", "claimed",
    "is", "are", "was", "were", "be", "been", "did", "does", "do", "en", "op", "aan", "bij", "met", "voor",
    "zo", "nu", "dan", "zegt", "zei", "zeggen", "denkt", "weet", "zijn", "waren",
    "certain", "sure", "clear", "likely", "afraid", "zeker", "duidelijk", "bang",
))
# ... and a clause after one of these is bound to what comes before it ("shortly after", "kort
# nadat", "two years after", "how long has it been since"). A particle before a conjunction is its
# verb's ("kondigde … aan nadat"), not a preposition that binds.
_BOUND = frozenset((
    "been", "shortly", "soon", "long", "right", "just", "only", "even", "years", "months", "weeks", "days", "year", "month",
    "week", "day", "kort", "vlak", "direct", "meteen", "lang", "pas", "jaar", "maanden", "weken", "dagen",
))
MIN_LEFT_WORDS = 4
MIN_CLAUSE_WORDS = 2


def premise_cut(question: str) -> str | None:
    """``question`` without the premise clause at its end, as a question; None when it has none that
    can be cut cleanly. The first clause that can be cut is."""
    text = question.strip()
    if not text.endswith("?") or "?" in text[:-1]:
        return None
    for m in _CLAUSE.finditer(text):
        left, clause = text[:m.start()].rstrip(" ,"), text[m.end():-1]
        words = re.findall(r"\w+", left)
        if (len(words) >= MIN_LEFT_WORDS and len(re.findall(r"\w+", clause)) >= MIN_CLAUSE_WORDS
                and words[-1].lower() not in (_NOT_RELATIVE | _BOUND if m.group("relative") else _BOUND)
                and not words[-1].isdigit() and not _ASKS.search(clause)):
            return f"{left}?"
    return None
