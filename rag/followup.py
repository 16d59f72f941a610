"""Follow-up questions: make a question that leans on the conversation stand alone for retrieval.

"Hoeveel geld zegde hij daar toe?" after "Welke regio bezocht Blinken in maart 2023?" is searched
as the earlier question, the first sentence of its answer and the question together, so the names
and dates of the earlier turn reach the retriever (and the date filter). The answer matters: after
"Which country hosted the G20?" "India.", "that country" is India. A question that already stands
alone is searched as it is.

That join is deterministic and costs nothing, but a judge or phraser shown "(Wie is Gerrit
Haverkamp?) Wat zei hij over boerenfamilies?" did poorly (1 of 8 follow-ups right on
eval/tune.jsonl). With a model, a follow-up is rewritten to stand alone ("Wat zei Gerrit Haverkamp
over boerenfamilies?"), from the earlier question and answer, and the rewrite is used only when code
finds each of its words in the question or the conversation: a 1.5B model sometimes invents, and an
invented name would send the search elsewhere. Otherwise the join is used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rag.keyword import stopwords, terms
from rag.names import NAME, fold

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Message = dict  # {"role": "user" | "assistant", "content": str}

# Pronouns that need an antecedent ("zijn", "dat", "die" alone are too common), and "it" unless it
# is the "it" of "is it true that …".
_PRONOUN = re.compile(
    r"(?i:\b(hij|zij|ze|hem|haar|hun|hen|daar|daarover|daarvan|daarna|ervan|erover|diezelfde|dezelfde|"
    r"he|she|him|her|his|its|they|them|their|same)\b)"
    r"|(?i:\bit\b)(?!\s+(?i:true|possible|likely|clear|known|necessary)\b)")
# "that country's position", "bij dat bezoek", "wat vindt dat land ervan?": a thing named before. "dat"
# and "that" also join clauses, so only before such a noun, and not before a name ("… dat minister
# Adema stopt").
_THING = (r"country|countries|commission|committee|city|town|village|region|province|company|firm|organi[sz]ation|"
          r"party|government|cabinet|minister|president|leader|man|woman|report|plan|law|act|treaty|visit|meeting|"
          r"summit|conflict|war|decision|proposal|team|race|disaster|flood|strike|union|court|agency|group|deal|"
          r"land|landen|stad|dorp|regio|gebied|provincie|gemeente|bedrijf|organisatie|partij|regering|kabinet|"
          r"leider|vrouw|commissie|rapport|wet|verdrag|bezoek|bijeenkomst|top|oorlog|besluit|voorstel|ploeg|"
          r"wedstrijd|ramp|bond|staking|artikel|article|story|verhaal|stichting|foundation|co[oö]peratie|cooperative|"
          r"vereniging|association|club|fonds|fund|project|ontwikkelaar|developer|school|raad|council|actiegroep|"
          r"ones?(?!\s+(?:in|of|out|by|another|day)\b)")  # "how often does that one run?" (not "that one in five")
# "volgens het artikel", "the article": the article of the answer before.
_POINTER_PHRASE = re.compile(rf"(?i:\b(that|this|those|these|dat|die|deze|dit)\s+({_THING})(['’]?s)?\b)(?!\s+[A-Z])"
                             r"|(?i:\b(het|the)\s+(artikel|article)\b)(?!\s*\d)")  # not "article 5"
# "zijn" is a verb too; after a preposition or a form of "hebben" it is his: "Hoeveel handtekeningen heeft
# zijn stichting …?", "Hoeveel regenbuffers had zijn waterschap …?" (a trial's and tune's follow-ups
# that were searched alone). "die"/"deze" right after the verb of a question that opens with it or with
# a question word other than "welke"/"hoeveel" (which a noun follows, and then "die" begins a clause)
# points back: "Rijdt die ook in het weekend?", "Wat gaan die kosten?"; after a preposition too: "in die coöperatie".
# Not in a set phrase ("op zijn vroegst", "in zijn geheel"), nor after "voor"/"tegen"/"op", which the
# verb follows too ("Welke partijen zullen tegen zijn?"); not "deze week" and other times (review).
_SET_PHRASE = r"(?!(?:geheel|eentje|best|minst|meest|vroegst|laatst|hoogst|snelst)\b)"
_TIMES = (r"(?!(?:week|weken|maand|maanden|jaar|jaren|zomer|winter|lente|herfst|eeuw|keer|dag|dagen|periode|tijd"
          r"|ochtend|middag|avond|nacht)\b)")
_POSSESSIVE = re.compile(rf"\b(?:heeft|had|hebben|hadden|van|met|door|aan|in|bij|om|over|naar|uit)\s+(zijn)\s+{_SET_PHRASE}\w",
                         re.IGNORECASE)
_DEMONSTRATIVE = re.compile(rf"^\s*(?:(?:wat|wie|waar|wanneer|hoe|waarom)\s+)?\w+\s+(die|deze)\b(?:\s+{_TIMES}|\s*[?,])"
                            rf"|\b(?:in|van|met|voor|op|aan|bij|over|door|uit|naar|tegen|om)\s+(die|deze)\s+{_TIMES}\w",
                            re.IGNORECASE)
# "daarover", "daarin": a thing said before, whoever the question names ("Waarom zag Europa daarin een
# bewijs …?", "Wat zei Poetin daarover?")
# ("ervan uit", "erin geslaagd", "ermee in" are set phrases: the "er-" words keep the name rule)
_THERE = re.compile(r"\bdaar(over|van|na|in|mee|op|bij|aan|door|voor|uit)\b", re.IGNORECASE)
# "there"/"daar" points to a place said before, whoever the question names: "Who might Blinken run into
# there?" after "In India." was searched alone (the name rule, made for "he", took "Blinken" for what
# "there" means), and answered with a language course in Tashkent. A name is the place only after a
# place's preposition ("Wat gebeurde er in Tasjkent en wie was daar?"). English "there" is mostly
# existential, which points nowhere: "Are there plans …?", "Will there be …", "there is".
_PLACE_POINTER = re.compile(r"\bdaar\b|\bthere\b(?!\s+(?:is|are|was|were|will|would|has|have|had|be|been|seems?|remains?"
                            r"|exists?|appears?|may|might|must|could|should|can|used)\b|['’]s\b)", re.IGNORECASE)
_EXISTENTIAL_BEFORE = re.compile(r"\b(?:is|are|was|were|will|would|could|can|should|has|have|had|might|may"
                                 r"|must)(?:n['’]t)?\s+$", re.IGNORECASE)
_AT_PLACE = re.compile(r"\b(?i:in|at|to|near|from|naar|bij|uit|vanuit|rond|around|op|te)\s+(?i:de\s+|het\s+|the\s+)?[A-Z]")
# Pronouns a rewrite must have replaced to stand alone ("ze", "haar", "it", "there" also have other uses)
_POINTERS = re.compile(r"\b(hij|hem|zij|he|him|she|daar)\b", re.IGNORECASE)
_OPENERS = re.compile(r"^\s*(en|maar|and|but|what about|en wat|hoe zit het|waarom\?|why\?)\b", re.IGNORECASE)


def previous_question(history: Sequence[Message]) -> str:
    for message in reversed(history):
        if message.get("role") == "user" and str(message.get("content", "")).strip():
            return str(message["content"]).strip()
    return ""


def previous_answer(history: Sequence[Message], limit: int = 200) -> str:
    """The last answer of the conversation, short and plain: its first sentence (at most ``limit``
    characters), without citation marks and quote marks; "" when it was a refusal or there is none.
    A follow-up's "she" or "that country" often names what the answer said, not the question:
    "Which country hosted the G20?" "India." "What is that country's position on the war?"."""
    from rag.sentences import sentences

    text = _plain(_last_answer(history))  # a dated answer's labels are no part of what it said
    if not text:
        return ""
    spans = sentences(text)
    first = text[slice(*spans[0])] if spans else text
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + " …"


# A follow-up asks something new: a sentence whose content words were nearly all said in the turn
# before (its question and answer) answered that turn, not this one. "En hoe kijkt hij er nu
# tegenaan?" after "Welke wethouder liep voorop …?" was answered „Wethouder Gerrit Nijenhuis (zorg)
# liep voorop.” again (every word of it said before), and "En wat was volgens haar commissie de
# oorzaak?" with the sentence that had named the commission's chair (8 of its 13 words): two of a
# blind trial's six follow-ups (stop 41). The sentences that answer the 57 follow-ups of the question
# sets share at most half of their words with the turn before.
TOLD_SHARE = 0.7


def told_before(sentences: Sequence[str], history: Sequence[Message]) -> list[bool]:
    """For each of ``sentences``: did the last turn of ``history``, its question and its whole answer,
    already say it (at least ``TOLD_SHARE`` of its stemmed content words)? Never when that turn was
    not answered (no answer yet, or a refusal): then nothing was told. The turn's words are read once."""
    answer = _plain(_last_answer(history))
    said = terms(f"{previous_question(history)} {answer}") if answer else frozenset()

    def told(sentence: str) -> bool:
        words = terms(sentence)
        return bool(said and words) and len(words & said) / len(words) >= TOLD_SHARE

    return [told(sentence) for sentence in sentences]


def _plain(answer: str) -> str:
    """An answer as what it said: without citation marks, date labels and quote marks; "" for a refusal."""
    from rag.answer import REFUSALS
    from rag.citations import strip_markers
    from rag.timeline import undated

    text = re.sub(r"[„”“\"]", "", strip_markers(undated(answer)))
    text = " ".join(re.sub(r"([.!?])[.!?]+", r"\1", text).split())  # „…” [1]. -> ….
    return "" if any(text.startswith(refusal) for refusal in REFUSALS.values()) else text


def _last_answer(history: Sequence[Message]) -> str:
    """The last turn's answer, whole; "" when the last message is a question or there is none."""
    for message in reversed(history):
        if message.get("role") == "assistant":
            return str(message.get("content", ""))
        if message.get("role") == "user":
            return ""
    return ""


def needs_history(question: str, history: Sequence[Message]) -> bool:
    if not previous_question(history):
        return False
    words = re.findall(r"\w+", question)
    return len(words) <= 4 or bool(_OPENERS.search(question)) or bool(_POINTER_PHRASE.search(question)) \
        or _leaning_pronoun(question)


def _leaning_pronoun(question: str) -> bool:
    """A pronoun (or "zijn" as "his", or a pointing "die"/"deze") with no name before it in the
    question: "Wat zei hij?", but not "Wat zei Poetin nadat hij Xi ontmoette?" or "Why must Shell cut
    its emissions?"; or a "daar-" word anywhere ("Wat zei Poetin daarover?")."""
    if _THERE.search(question) or _points_to_place(question):
        return True
    found = [m.start(m.lastindex or 0) for m in (_PRONOUN.search(question), _POSSESSIVE.search(question),
                                                _DEMONSTRATIVE.search(question)) if m]
    if not found:
        return False
    before = re.sub(r"^\s*\S+", "", question[:min(found)])  # the first word is capitalised anyway
    return not any(n.lower() not in stopwords() for n in NAME.findall(before))


def _points_to_place(question: str) -> bool:
    """A "daar"/"there" that points to a place said before (``_PLACE_POINTER``), with no place named
    before it in the question. An existential "there" points nowhere ("Were there troops in
    Belarus?"), but one that ends the question points back ("How many people were there?")."""
    for m in _PLACE_POINTER.finditer(question):
        before, after = question[:m.start()], question[m.end():]
        if m.group(0).lower() == "there" and _EXISTENTIAL_BEFORE.search(before) and re.match(r"\s*\w", after):
            continue
        return not _AT_PLACE.search(before)
    return False


def standalone_query(question: str, history: Sequence[Message]) -> str:
    """The query to retrieve with: the question, or the previous question and answer followed by it."""
    question = question.strip()
    if not needs_history(question, history):
        return question
    return " ".join(x for x in (previous_question(history), previous_answer(history), question) if x)


def _stems(text: str) -> list[str]:
    return [fold(w)[:5] for w in re.findall(r"[^\W\d_]{3,}", text)]


def grounded(rewrite: str, question: str, history: Sequence[Message]) -> bool:
    """True when every word of ``rewrite`` occurs in the question or the conversation (a name by its
    first five letters, accents folded; another word by its first three, so that a verb may follow its
    new subject), the rewrite keeps every word of the question but the pointers it replaced
    ("Hoeveel geld zegde Blinken in Centraal-Azië?" lost the "toe" of "zegde … toe"), and it is a
    question of its own: not empty, not the question unchanged, no "hij" or "daar" left, not a ramble."""
    said = set(_stems(question)) | {s for m in history for s in _stems(str(m.get("content", "")))}
    words = _stems(rewrite)
    names = {fold(n)[:5] for n in NAME.findall(rewrite)}

    def inflected(word: str, among: set[str] | list[str]) -> bool:  # "eisen" and "eist" once "ze" is "de FNV"
        return any(w.startswith(word[:3]) for w in among)

    rest = question
    for pointer in (_POINTER_PHRASE, _PLACE_POINTER, _PRONOUN):
        rest = pointer.sub(" ", rest)
    kept = all(inflected(q, words) for q in _stems(rest))
    return (bool(words) and kept and rewrite.strip() != question.strip() and not _POINTERS.search(rewrite)
            and len(rewrite) <= 3 * len(question) + 200
            and all(w in said if w in names else inflected(w, said) for w in words))


def model_rewrite(llm: BaseChatModel, question: str, history: Sequence[Message]) -> str | None:
    """The follow-up made to stand alone by the model, or None when it is not needed or not grounded."""
    from rag.prompts import rewrite_messages

    if not needs_history(question, history):
        return None
    reply = llm.bind(max_tokens=80, stop=["\n"]).invoke(
        rewrite_messages(previous_question(history), previous_answer(history), question))
    rewrite = str(reply.content).strip().strip('"')
    return rewrite if grounded(rewrite, question, history) else None
