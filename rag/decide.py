"""Answerability, decided in code from the model's probabilities on narrow yes/no questions.

Each of the few most relevant sentences is put to the model on its own: "does this sentence answer
the question?" (``rag.prompts.judge_messages``). Instead of trusting the one word it would write,
its next-token log-probabilities give ``P(Yes)``; the mean of the two best is compared with a
threshold calibrated on question sets (the eval report plots the sweep). Asking about one sentence
at a time measured better than asking the model to pick among numbered sentences (docs/eval.md).
A model or server that returns no log-probabilities still works: the word it wrote counts as
probability 1 (and anything else as 0.5, undecided). One kind of sentence the small model misjudges
is decided by code instead: a sentence that denies what the question assumes (``corrects``), the
answer to a question with a false premise.

What this leaves out: the wording of the answer (``rag.prompts.phrase_messages``) and checking it
(``rag.citations``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rag.answer_kind import asks_for, holds
from rag.citations import denies, negated_terms, negates, without_names
from rag.dates import without_years
from rag.keyword import terms
from rag.language import detect_language
from rag.names import mentions, name_words, question_names
from rag.numbers import numbers
from rag.prompts import judge_messages
from rag.roles import names_holder

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

YES, NO = {"yes", "ja"}, {"no", "nee"}


def read_yes(message: Any) -> float:
    """P(Yes) from an ``AIMessage``: OpenAI-shaped ``logprobs`` in its response metadata, renormalised
    over the yes/no tokens; without them, the word it wrote."""
    logprobs = (getattr(message, "response_metadata", None) or {}).get("logprobs") or {}
    content = logprobs.get("content") or []
    yes = no = 0.0
    if content:
        for entry in content[0].get("top_logprobs") or [content[0]]:
            token = str(entry.get("token", "")).strip().lower()
            if token in YES:
                yes += math.exp(float(entry["logprob"]))
            elif token in NO:
                no += math.exp(float(entry["logprob"]))
    if yes + no > 0:
        return yes / (yes + no)
    words = str(getattr(message, "content", "")).strip().lower().split()
    first = words[0].strip(".,!") if words else ""
    return 1.0 if first in YES else 0.0 if first in NO else 0.5


def _probed(message: Any) -> float | None:
    """The judge probe's P (``rag.judge_probe``), set by a local model that has one."""
    probed = (getattr(message, "response_metadata", None) or {}).get("answer_probe")
    return None if probed is None else float(probed)


def read_answers(message: Any) -> float:
    """P(this sentence answers the question) from a judgement: the judge probe's when there, else
    P(Yes) (``read_yes``)."""
    probed = _probed(message)
    return probed if probed is not None else read_yes(message)


# Measured on eval/tune.jsonl (docs/eval.md): averaging the two best P(Yes) separates answerable from
# unanswerable questions better than the best one alone (AUC 0.75 against 0.71: one confident Yes is
# often wrong) without refusing a question that one sentence clearly answers, which averaging over
# every candidate did (AUC 0.76, but "Hoeveel geld zegde Blinken toe?" scored 0.24). Picking by P(Yes)
# minus a small penalty per relevance rank finds the gold sentence more often (59/73) than P(Yes)
# alone (52/73) or relevance alone (53/73).
RANK_PENALTY = 0.05
# ... but a sentence judged near certain is not overruled by one judged less sure that ranks higher:
# "What did the head of the primary school say about the book bus?" took the library director's
# words (0.79, rank 0) over the head's own (0.95, rank 4). Replayed on the recorded candidates of the
# training sets (docs/eval.md, stop 34): the gold sentence picked 2 times more (tune 56 → 57 of 65,
# the library trial 10 → 11 of 11), none lost.
SURE_P = 0.9

# The judge says yes to a sentence that names what the question is about and nothing it asks: for
# "Wat gebeurt er met de windmolens bij Haarsloo als hun schaduw op een huis valt?" the new trial's
# lead sentence („Op de akkers ten zuiden van Haarsloo is de bouw van windpark De Lange Akkers in
# volle gang, …”, 0.48) over „De turbines worden bovendien automatisch stilgezet zodra hun slagschaduw
# op een woning valt” (0.38). A word of the question that more than half of the candidates hold is
# its subject ("Haarsloo"); a candidate that shares no other word with the question is picked after
# every candidate that does and is judged at least ON_POINT_P (the answer threshold), unless it is
# judged sure, a correction or a role's holder. Replayed on the recorded candidates of the nine
# training sets (docs/eval.md, stop 36): the gold sentence picked 186 → 191 times of 215, none lost.
# Only sentences in the question's language count: across languages a name or a number is shared,
# not what is asked (counting them lost 10 English questions' gold sentences). A sentence picked so
# that the model cannot word is not quoted below ``rag.chain.WORDED_P`` (0.4): refused, rather than
# the sentence off the point quoted.
SUBJECT_SHARE = 0.5
ON_POINT_P = 0.3
SECOND_SOURCE_P = 0.5  # a sentence of another article joins the answer when judged this likely

# A sentence that denies something about what the question asks is the correction a false premise
# needs: "Op de 500 meter bij de mannen bleef Nederland … zonder medaille" for "Welke medaille won
# Nederland op de 500 meter bij de mannen?". The 1.5B judge says No to such sentences (P 0.09-0.24 on
# four of tune's traps), so code decides: one of the two most relevant candidates that denies
# something (a negation the question lacks, not a hedge such as "niet alleen … maar ook" or "niet
# altijd") and shares at least CORRECTION_OVERLAP of the question's content words
# other than names counts as judged CORRECTION_P. Names are left out because sharing only the names
# is not denying what is asked ("Camping De Gele Poort keert niet terug" for "who owns Camping De
# Gele Poort?"). Set on eval/tune.jsonl (docs/eval.md): replayed on the tune run, 4 answers gained
# and none lost (counting names too, 6 gained and 2 lost; counting hedges, 4 gained and 1 lost).
# At 0.2 one shared word is enough for a five-word question.
# A litotes: "De bond sluit verdere acties niet uit" (found trying new questions as a user would: it
# "corrected" "Wat eist die bond?"), "not ruled out". It denies only a question that itself says
# something was ruled out ("Waarom sloot Bosveld gedwongen uitkoop uit?").
_MAY_HAPPEN = re.compile(r"\b(sluit|sloot|sluiten|sloten)\b[^.;:]*?\bniet\s+uit\b|\bniet\s+uitgesloten\b"
                         r"|\b(not|n't)\s+(been\s+)?rul(e|ed|ing)\s+out\b|n't\s+rul(e|ed)\s+out\b", re.IGNORECASE)
_EXCLUDES = re.compile(r"\b(sluit|sloot|sluiten|sloten)\b.*\buit\b|\buit(gesloten|sluit|sluiten)\b"
                       r"|\brul(e|ed|es|ing)\s+out\b|\bexclud", re.IGNORECASE)
# At 0.25 one shared word was enough for a four-word question: "Welke advocaat stond de omwonenden
# bij in de zaak bij de Raad van State?" was "corrected" by „Een korting op de energierekening krijgen
# omwonenden niet" (the new trial of stop 36). At 0.3 (two words for four), replayed on the nine
# training sets' recorded candidates: that one gone, no other correction changed.
CORRECTION_P = 0.7
CORRECTION_OVERLAP = 0.3
CORRECTION_RANKS = 2


@dataclass(frozen=True)
class Judgement:
    p_yes: list[float]  # per candidate, in relevance order
    corrections: frozenset[int] = frozenset()  # candidates counted as corrections (``corrects``)
    holders: frozenset[int] = frozenset()  # candidates counted as naming the role holder asked for (``with_holders``)
    off_point: frozenset[int] = frozenset()  # candidates that share only the question's subject (``on_point``)
    by: str = "p_yes"  # what each P is: "probe" when every one is the judge probe's, else "p_yes"
    probed: tuple[float, ...] = ()  # judged by P(Yes) (``judge(probe=False)``): the probe's P beside it, if any

    @property
    def p_answer(self) -> float:
        """The answerability score compared with the threshold: the mean of the two best P(Yes)."""
        best = sorted(self.p_yes, reverse=True)[:2]
        return sum(best) / len(best) if best else 0.0

    @property
    def best(self) -> float:
        return max(self.p_yes, default=0.0)

    def ranked(self) -> list[int]:
        """Candidate positions, most likely answer first: P(Yes) less a penalty per relevance rank,
        none for a P of at least ``SURE_P``; the candidates ``off_point`` after those on point judged
        at least ``ON_POINT_P``."""
        order = sorted(range(len(self.p_yes)),
                       key=lambda i: -(self.p_yes[i] - (0.0 if self.p_yes[i] >= SURE_P else RANK_PENALTY * i)))
        # a sure judgement, a correction or a role's holder is never off the point (review)
        off = {i for i in self.off_point if self.p_yes[i] < SURE_P} - self.corrections - self.holders
        first = [i for i in order if i not in off and self.p_yes[i] >= ON_POINT_P] if off else []
        return first + [i for i in order if i not in first]


# The judge's P means less by the kind of answer a question asks for (``rag.answer_kind``), so the
# answer threshold moves by kind. Asked when or how long, it says no to sentences that hold the date:
# answerable questions scored 0.21-0.27, unanswerable ones at most 0.09. Swept on eval/tune.jsonl and
# eval/probe_train.jsonl apart (docs/eval.md, stop 30): decision errors for dates, times and
# durations 1 and 3 at 0.30, 0 and 1 at 0.20; other questions: 0.30 is best on both. Numbers looked
# the other way (unanswerable "how many" questions up to 0.56; errors 3 and 8 at 0.30, 3 and 6 at
# 0.40), but 0.40 refused "Hoeveel geld zegde hij daar toe?" (its best sentence 0.67, the mean of its
# two 0.34): not shifted.
KIND_SHIFT = {"day": -0.10, "time": -0.10, "duration": -0.10}


def threshold_for(question: str, base: float) -> float:
    """The answer threshold for ``question``: ``base`` (``Settings.answer_threshold``) moved by the
    kind of answer it asks for (``KIND_SHIFT``)."""
    return round(min(max(base + KIND_SHIFT.get(asks_for(question) or "", 0.0), 0.0), 1.0), 4)


def answerability(parts: Sequence[Judgement]) -> float:
    """The answerability score of a question: the mean of its two best P(Yes), or, for a question in
    parts (``rag.parts``), the mean of each part's best: the same two sentences' worth of evidence,
    taken one per part, since a part's second-best sentence answers the other part, if anything."""
    if len(parts) == 1:
        return parts[0].p_answer
    return sum(j.best for j in parts) / len(parts)


def judge(llm: BaseChatModel, question: str, candidates: Sequence[tuple[int, str]], *, probe: bool = True) -> Judgement:
    """P(answers) for each (source n, sentence) candidate: one short prompt each, handed to the model
    together. The prompts share the system prompt and question; the local model scores them in one
    decode on top of that shared start (``rag.llm.ChatLlamaCpp.batch``), a server gets them as
    concurrent requests. ``probe``: read the judge probe's P where the model gives one
    (``read_answers``); False: P(Yes), the probe's P kept beside it (``Judgement.probed``). The probe
    was trained and measured on whole questions only, so the parts of a question and a timeline's
    years are judged by P(Yes) (probing the parts gained 2 of 15 on the training sets but lost the
    sample articles' two-article answer: docs/eval.md)."""
    if not candidates:
        return Judgement([])
    ask = llm.bind(logprobs=True, top_logprobs=20, max_tokens=1)
    messages = ask.batch([judge_messages(question, n, text) for n, text in candidates])
    probed = [_probed(m) for m in messages]
    if all(p is not None for p in probed):
        if probe:
            return Judgement([read_answers(m) for m in messages], by="probe")
        return Judgement([read_yes(m) for m in messages], probed=tuple(float(p or 0.0) for p in probed))
    return Judgement([read_yes(m) for m in messages])  # never a mix of the two scales


# A question answered by yes or no: no question word anywhere (nor "give"/"noem" … first), no
# "or"/"of" between choices, and in English an auxiliary verb first ("Did Vitens …?"), in Dutch a
# verb first ("Geldt er een sproeiverbod?", "Keert de camping terug?"). Its first word is then a
# verb, not a name, though it is capitalised.
_ASKS_WHICH = re.compile(r"\b(what|where|when|who|whom|whose|which|why|how|wat|wanneer|wie|wiens|welke?|welks"
                         r"|waar(om|door|mee|voor|op|aan|in|uit|over|heen|naar|bij|van|tegen|langs)?"
                         r"|hoe(veel|lang|laat|ver|zo|zeer)?)\b(?!\s+(dat|that)\b)", re.IGNORECASE)
_ASKS_TO_DO = re.compile(r"\s*(geef|give|noem|name|list|describe|beschrijf|leg|vertel|tell|explain)\b", re.IGNORECASE)
_CHOICE = {"en": re.compile(r"\bor\b(?!\s+not\b)", re.IGNORECASE), "nl": re.compile(r"\bof\b(?!\s+niet\b)", re.IGNORECASE)}
_AUXILIARY = re.compile(r"(is|are|was|were|do|does|did|has|have|had|will|would|shall|can|could|should|must|may|might)"
                        r"(n't)?\b", re.IGNORECASE)


_ASKS_INDIRECTLY = re.compile(r"\b(know|knows|tell|tells|explain|explains|say|says|said|remember|show|shows|mention"
                              r"|mentions|mentioned|known|clear|sure|report|reports|reveal|reveals)\b(\s+\w+){0,2}?\s+"
                              r"(what|when|where|who|whom|whose|which|why|how)\b", re.IGNORECASE)


def yes_no(question: str) -> bool:
    """Does ``question`` ask for a yes or a no ("Geldt er een sproeiverbod in Gelderland?", "Did Vitens
    ask people to stop showering?", "Is het waar dat …?"), not which one ("… in Gelderland of in
    Utrecht?")?"""
    text = question.strip()
    english = detect_language(text) == "en"
    if not text.endswith("?") or _ASKS_TO_DO.match(text) or _CHOICE["en" if english else "nl"].search(text):
        return False
    if english:  # after an auxiliary a question word is part of what is asked: "Did Lavrov propose a change
        # in how Russia and China pay?", "… when he arrived in Beijing?"; but "Can you tell me when …?",
        # "Does the article say how many …?" ask which
        return bool(_AUXILIARY.match(text)) and not _ASKS_INDIRECTLY.search(text)
    return not _ASKS_WHICH.search(text)


def _denial(question: str, sentence: str) -> str | None:
    """``sentence`` as it counts for denying ``question`` (a litotes left out unless asked about), or
    None when it cannot deny it: no negation the question lacks, or not every number of the question
    but its years ("zonder medaille op de 500 meter" does not correct a question about the 1000
    meter; a year dates the question, the date filter's job)."""
    if not _EXCLUDES.search(question):  # "sluit … niet uit" says it may happen: no denial, unless asked
        sentence = _MAY_HAPPEN.sub(" ", sentence)
    if negates(question) or not denies(sentence) or not numbers(without_years(question)) <= numbers(sentence):
        return None
    return sentence


# A no is said in a clause of its own: "…, maar niet voor moestuinen" or "…, dat niet eerder nodig
# was" denies something else than the question asks. And a negation next to one of these words
# denies how, not whether: "not unanimously", "niet meteen", "not the only member".
_CLAUSES = re.compile(r"[,;:–—]|\b(?:maar|al|hoewel|terwijl|dat|die|wat|but|although|though|while|which|that|who)\b",
                      re.IGNORECASE)
_PARTIAL = re.compile(r"\b(unaniem\w*|unanimous\w*|meteen|onmiddellijk|immediately|volledig|fully|completely|entirely"
                      r"|iedereen|everyone|alle|all|overal|everywhere|eerder|earlier|ondenkbaar|unthinkable|enige|only"
                      r"|zomaar)\b", re.IGNORECASE)


def answers_no(question: str, sentence: str, passage: str = "") -> bool:
    """``sentence`` answers the yes/no ``question`` (``yes_no``) with a no: one clause of it holds a
    negation and every content word of the question but its verb (the first word) and its names,
    one or more, with no word that makes the negation partial (``_PARTIAL``) that the question
    lacks, while the names are in the sentence or its ``passage``. „Een sproeiverbod is er volgens
    Vitens voorlopig niet.” answers "Geldt er een sproeiverbod in Gelderland?" (found trying a new
    article as a user would: the judge gave it P 0.34 and the answer quoted a sentence about a law
    that "geldt als een formaliteit"); „Op de 500 meter bij de mannen bleef Nederland zonder
    medaille.” does not answer "Reed Merel Dijkhuizen ook de 500 meter?" (its passage does not name
    her), nor „Er geldt een sproeiverbod, maar niet voor moestuinen.” the first question."""
    said = _denial(question, sentence) if yes_no(question) else None
    if said is None:
        return False
    asked = terms(without_names(question.strip().partition(" ")[2]))
    if not asked or not all(mentions(name_words(f"{sentence} {passage}"), {name}) for name in question_names(question)):
        return False
    return not _partial(question, said) and any(denies(c) and asked <= terms(c) for c in _CLAUSES.split(said))


def _partial(question: str, sentence: str) -> bool:
    """``sentence`` holds a word that makes a negation partial (``_PARTIAL``) that ``question`` lacks."""
    return bool({m.lower() for m in _PARTIAL.findall(sentence)} - {m.lower() for m in _PARTIAL.findall(question)})


def corrects(question: str, sentence: str, passage: str = "") -> bool:
    """``sentence`` denies something about what ``question`` asks: it holds a negation the question
    lacks (not a hedge, nor a litotes unless the question says something was ruled out), every
    number of the question but its years, and at least ``CORRECTION_OVERLAP`` of the question's
    (stemmed) content words other than names, of which there must be two or more, the two in one
    language (across languages a shared word is chance); or it answers a yes/no question with a no
    (``answers_no``; ``passage``: the retrieved passage that holds it)."""
    said = _denial(question, sentence)
    if said is None or (yes_no(question) and _partial(question, said)):  # "not unanimously" is no "no"
        return False
    wanted = terms(without_names(question))
    # "Wie won de Tour de France?" leaves one word ("won"): too little to tell what is denied; and what
    # is denied must be something asked ("geen doden" for "Hoeveel doden vielen er?"), not something
    # else ("Deze staking is geen doel op zich" for "Hoe laat ging de staking in?"). Words shared
    # across languages are chance: "water" made „… tijdelijk geen water uit de kraan” correct "What
    # was the water level of the Meuse at Venlo on Wednesday?" (a training run, stop 51).
    if len(wanted) >= 2 and len(wanted & terms(said)) / len(wanted) >= CORRECTION_OVERLAP \
            and wanted & negated_terms(said) and _one_language(question, said):
        return True
    return answers_no(question, sentence, passage)


def _one_language(question: str, sentence: str) -> bool:
    """Are ``question`` and ``sentence`` in the same language (or is either's unknown)?"""
    asked, said = detect_language(question, default=""), detect_language(sentence, default="")
    return not asked or not said or asked == said


def lacks_answer(question: str, sentence: str) -> bool:
    """``sentence`` holds no answer of the kind ``question`` asks for (``rag.answer_kind``: a time, a
    duration, a number, a day, an end, a name or someone's words) and denies nothing the question asks: it cannot answer,
    however the judge reads it. A denial may be the correction of a false premise ("Verbeek sloot een tweede, langere
    staking niet uit" for "how long will the second strike last?"), so it is judged when it may
    deny what is asked: a word it denies (``negated_terms``) is one of the question's, or the two are
    in different languages, where words cannot tell. Replayed on tune and the probe-training set
    (docs/eval.md): 2 unanswerable questions refused, none lost; and with denials of something else
    ("maar dat is nog niet bevestigd" for "Hoe heet de hackersgroep …?") no longer judged, stop 30."""
    kind = asks_for(question)
    return kind is not None and not holds(kind, sentence, question) and not _may_deny(question, sentence)


def _may_deny(question: str, sentence: str) -> bool:
    """May ``sentence`` deny something ``question`` asks (``lacks_answer``)?"""
    if not denies(sentence):
        return False
    if detect_language(question, default="") != detect_language(sentence, default=""):
        return True
    return bool(terms(question) & negated_terms(sentence))


def with_corrections(judgement: Judgement, question: str, sentences: Sequence[str],
                     passages: Sequence[str] = ()) -> Judgement:
    """``judgement`` with each of the ``CORRECTION_RANKS`` most relevant candidates that ``corrects``
    the question counted as judged at least ``CORRECTION_P``. ``sentences``: the candidates' texts, in
    relevance order (as judged); ``passages``: the retrieved passage of each."""
    ranks = min(CORRECTION_RANKS, len(judgement.p_yes))
    around = list(passages) + [""] * (len(sentences) - len(passages))
    found = frozenset(i for i, text in enumerate(sentences[:ranks]) if corrects(question, text, around[i]))
    if not found:
        return judgement
    return replace(judgement, p_yes=_at_least(judgement.p_yes, found, CORRECTION_P), corrections=found)


# "Who is the mayor of Valkenburg aan de Geul?" is answered by „…, zei burgemeester Marjolein Keulers van
# Valkenburg aan de Geul”, which the judge scored 0.07 (``rag.roles``). Replayed on the training sets
# (docs/eval.md, stop 32): it fires on that question and on no unanswerable one.
HOLDER_P = CORRECTION_P


def with_holders(judgement: Judgement, question: str, sentences: Sequence[str]) -> Judgement:
    """``judgement`` with each candidate that names the holder of the role a "who" question asks
    about (``rag.roles.names_holder``) counted as judged at least ``HOLDER_P``. ``sentences``: the
    candidates' texts, in relevance order."""
    found = frozenset(i for i, text in enumerate(sentences) if names_holder(question, text))
    if not found:
        return judgement
    return replace(judgement, p_yes=_at_least(judgement.p_yes, found, HOLDER_P), holders=found)


def off_point(question: str, sentences: Sequence[str]) -> frozenset[int]:
    """The ``sentences`` in the question's language that share no (stemmed) word with ``question`` but
    its subject's (those that more than ``SUBJECT_SHARE`` of them share with it), when another shares
    one. A sentence in another language is neither: an English question shares names and numbers
    with a Dutch sentence, not what it asks ("What did the Russian foreign ministry call …?" and „Het
    Russische ministerie van Buitenlandse Zaken noemde dat een ‘gemiste kans’”)."""
    language = detect_language(question, default="")
    same = [i for i, sentence in enumerate(sentences) if detect_language(sentence, default="") == language]
    asked = terms(question)
    shared = {i: terms(sentences[i]) & asked for i in same}
    subject = {w for w in asked if sum(w in s for s in shared.values()) > SUBJECT_SHARE * len(same)}
    pointed = {i: bool(s - subject) for i, s in shared.items()}
    return frozenset(i for i, on in pointed.items() if not on) if any(pointed.values()) else frozenset()


def on_point(judgement: Judgement, question: str, sentences: Sequence[str]) -> Judgement:
    """``judgement`` knowing which candidates are ``off_point`` (picked last, ``Judgement.ranked``).
    ``sentences``: the candidates' texts, in relevance order."""
    return replace(judgement, off_point=off_point(question, sentences))


def _at_least(p_yes: Sequence[float], found: frozenset[int], floor: float) -> list[float]:
    """``p_yes`` with the candidates in ``found`` raised to ``floor`` (a decision made in code)."""
    return [max(p, floor) if i in found else p for i, p in enumerate(p_yes)]
