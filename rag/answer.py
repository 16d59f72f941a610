"""The answer object: what ``newsrag ask --json``, the UI, eval and the HTTP API all receive.

Streaming yields ``Event``s in this order: one ``sources`` event (before any token), ``token``
events, then one ``answer`` event holding the full, checked ``Answer``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from rag.store import Hit

REFUSALS = {
    "nl": "Dat staat niet in de artikelen.",
    "en": "The articles don't say.",
}
# The part of a two-part question that no sentence answers, said instead of left out.
PART_REFUSALS = {
    "nl": "Op „{part}” geven de artikelen geen antwoord.",
    "en": "The articles don't answer “{part}”.",
}
# Why a question was refused, by code, in each answer language (``refusal_reason`` words it): the
# English wording is ``Answer.abstain_reason`` (the API's, the CLI's and the eval report's); the UI
# says it in the question's language.
REFUSAL_REASONS = {
    "no_article": {"en": "no article matches", "nl": "geen artikel past bij de vraag"},
    "no_article_dated": {"en": "no article matches the dates {dates}", "nl": "geen artikel uit de gevraagde tijd ({dates})"},
    "too_far": {"en": "no passage is close enough to the question ({closest:.3f} < {min_score})",
                "nl": "geen passage ligt dicht genoeg bij de vraag ({closest:.3f} < {min_score})"},
    "unsupported": {"en": "no sentence of the answer is supported by the sources",
                    "nl": "geen zin van het antwoord wordt door de bronnen gesteund"},
    "not_answered": {"en": "no sentence answers the question (P = {p:.2f} < {threshold})",
                     "nl": "geen zin beantwoordt de vraag (kans {p:.2f} < drempel {threshold})"},
    "lacking": {"en": "no sentence gives {kinds}, as asked", "nl": "geen zin noemt {kinds}"},
    "model_refused": {"en": "the model found no answer in the chosen sentence, judged too weakly to quote instead "
                            "(P = {p:.2f} < {strong})",
                      "nl": "het model vond geen antwoord in de gekozen zin, die te zwak beoordeeld is om te citeren "
                            "(kans {p:.2f} < {strong})"},
    "weak_quote": {"en": "the model's wording failed the check, and the chosen sentence is judged too weakly to quote "
                         "instead (P = {p:.2f} < {weak})",
                   "nl": "de formulering van het model hield geen stand, en de gekozen zin is te zwak beoordeeld om te "
                         "citeren (kans {p:.2f} < {weak})"},
    "only_ahead": {"en": "the best sentence says only what was expected or planned, not whether it happened: „{sentence}”",
                   "nl": "de beste zin zegt alleen wat verwacht of gepland werd, niet of het gebeurde: „{sentence}”"},
    "no_article_answers": {"en": "no article's sentence answers the question",
                           "nl": "geen zin uit de artikelen beantwoordt de vraag"},
    "timeline_unsupported": {"en": "no line of the timeline is supported by the sources",
                             "nl": "geen regel van de tijdlijn wordt door de bronnen gesteund"},
}
# The kinds of answer a question may ask for (``rag.answer_kind``), as a refusal and the why-view name them.
KIND_WORDS = {
    "en": {"time": "a time", "duration": "a duration", "number": "a number", "day": "a day or date", "name": "a name", "named": "a name",
           "until": "a date or an end", "said": "what someone said", "date": "a date", "money": "an amount of money",
           "calendar": "the day or month asked about"},
    "nl": {"time": "een tijdstip", "duration": "een duur", "number": "een aantal", "day": "een dag of datum",
           "name": "een naam", "named": "een naam", "until": "een datum of einde", "said": "wat iemand zei", "date": "een datum",
           "money": "een geldbedrag", "calendar": "de gevraagde dag of maand"},
}
_OR = {"en": " or ", "nl": " of "}


def refusal_reason(code: str, values: dict[str, Any], language: str = "en") -> str:
    """The reason for a refusal (``REFUSAL_REASONS[code]``) in ``language`` (English for any but
    Dutch), naming ``values``; a list of kinds of answer is worded as alternatives ("een aantal of
    een duur")."""
    lang = language if language in _OR else "en"
    worded = {k: _OR[lang].join(KIND_WORDS[lang].get(x, str(x)) for x in v) if isinstance(v, list) else v
              for k, v in values.items()}
    return REFUSAL_REASONS[code][lang].format(**worded)


NOT_ANSWERED = "not answered: no sentence answers this part of the question"  # the note of such a sentence
# The note of a sentence the model wrote in another language than its source: checked by meaning, names
# and numbers only. A blind read of the holdout run found wrong details in 8 of 20 such English
# sentences (docs/eval.md), so the UI marks them and points to the quote.
ACROSS_LANGUAGES = "the model's wording of a source in another language: compare with the quote"


class AlsoIn(BaseModel):
    """Another version of a source's story (the same agency story elsewhere, or an older version)."""
    doc_id: str
    title: str
    date: str


class Passage(BaseModel):
    """A retrieved passage with the article facts a citation needs: what a search returns (the
    Python API, the HTTP API's /search, MCP's search tool, the LangChain retriever's documents) and
    what an answer's sources are."""
    chunk_id: str
    doc_id: str
    title: str
    date: str
    text: str
    start: int  # span of ``text`` in the article
    end: int
    heading: str = ""
    score: float  # cosine similarity to the query
    language: str = ""  # the article's language ("nl", "en", ...), "" when the index does not say
    also_in: list[AlsoIn] = Field(default_factory=list)  # the story's other versions, newest first

    @classmethod
    def of(cls, hit: Hit, **fields: Any) -> Self:
        """The passage of a store hit (its score to 4 decimals), with ``fields`` added."""
        return cls(chunk_id=hit.chunk_id, doc_id=hit.doc_id, title=hit.title, date=hit.date, text=hit.text,
                   start=hit.start, end=hit.end, heading=hit.heading, score=round(hit.score, 4),
                   language=hit.language, **fields)


class Source(Passage):
    """A retrieved passage, numbered as the model saw it."""
    n: int
    cited: bool = False


class Citation(BaseModel):
    """A checked citation: the exact quote that supports an answer sentence."""
    n: int  # the source number shown in the answer as [n]
    doc_id: str
    title: str
    date: str
    quote: str  # verbatim article text
    start: int  # span of ``quote`` in the article text
    end: int
    score: float  # similarity between answer sentence and quote


QUOTED = "quoted: the model's wording did not pass the check"  # the note of a quote-fallback sentence
LEFT_OUT = "leaves out the answer its sentence holds"  # a true wording without the name, number or date asked
# a wording of two sentences that answer together, without what the second holds or pointing back to
# what it left out of the first ("Haar opvolger …")
HALF_WORDED = "answers only with the sentence before or after it: both are quoted"


class AnswerSentence(BaseModel):
    text: str  # without citation markers
    citations: list[int] = Field(default_factory=list)
    supported: bool = True
    note: str = ""  # why a citation was moved or removed, or why unsupported; QUOTED for a quote fallback


class Answer(BaseModel):
    question: str
    answer: str  # final text with checked [n] markers
    language: str
    abstained: bool = False
    abstain_reason: str = ""  # in English (``refusal_reason``)
    abstain_code: str = ""  # its key in ``REFUSAL_REASONS``
    abstain_values: dict[str, Any] = Field(default_factory=dict)  # the values its wording names
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    standalone_query: str = ""
    filters: dict = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per stage
    model: str = ""
    mode: str = ""
    raw_answer: str = ""  # what the model wrote, before checking
    dropped: list[AnswerSentence] = Field(default_factory=list)  # model sentences that failed the check
    decision: dict = Field(default_factory=dict)  # the answerability decision: p_answer, threshold, candidates

    @property
    def unsupported(self) -> int:
        return sum(not s.supported for s in self.sentences)


class Event(BaseModel):
    kind: Literal["sources", "token", "answer"]
    sources: list[Source] | None = None
    token: str | None = None
    answer: Answer | None = None
