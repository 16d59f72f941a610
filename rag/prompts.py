"""What the language model is told: narrow tasks with one shared, cached system prompt.

A 1.5B model asked to both decide whether the sources hold the answer and phrase it refused half of
the answerable questions. So it gets two small tasks, in the same conversation frame:

* **judge**: "Question … Sentence [n] … Yes or No:" — one token whose probabilities are read
  (``rag.decide``), so code makes the decision against a calibrated threshold;
* **phrase**: the same frame with the chosen sentence(s), ending with the instruction to answer in
  the question's language — one or two complete sentences, with no option to refuse (that decision
  is already made).

Both start with the same system prompt and the same "Question: …" line, so llama.cpp reuses the
cached prefix from one call to the next: each judgement costs only its sentence's tokens. Sentences
are data, not instructions, and instruction-like sentences never reach the model (``rag.context``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

# English instructions for both languages: the model follows them best. The system prompt is the
# judge's (measured: docs/eval.md); the phrasing instruction goes at the end of the user turn, so a
# phrasing call reuses the cached system prompt and question of the judging calls before it.
SYSTEM = ("You check whether a sentence from a news article answers a question. Reply Yes when the sentence "
          "gives what is asked, or shows that the question assumes something false. Reply No when it is about "
          "the same people or topic but does not give what is asked.")

JUDGE_CUE = "Does the sentence answer the question? Yes or No:"
PHRASE_CUE = {
    "nl": ("Beantwoord de vraag in het Nederlands in één of twee korte, volledige zinnen, alleen met wat in de "
           "zin staat, en zet {marks} achter elke zin. Gaat de vraag uit van iets wat niet klopt, zeg dan wat de "
           "zin wel zegt.\nAntwoord:"),
    "en": ("Answer the question in English in one or two short, complete sentences, using only what the sentence "
           "says (it is in Dutch), and put {marks} after each sentence. If the question assumes something the "
           "sentence contradicts, say what the sentence says instead.\nAnswer:"),
}

Numbered = Sequence[tuple[int, str]]  # [(source n, sentence)]


def _frame(question: str, numbered: Numbered, cue: str) -> list[BaseMessage]:
    from langchain_core.messages import HumanMessage, SystemMessage  # only modes with a model need them

    lines = "\n".join(f"Sentence [{n}]: {text}" for n, text in numbered)
    return [SystemMessage(SYSTEM), HumanMessage(f"Question: {question}\n{lines}\n{cue}")]


def judge_messages(question: str, n: int, sentence: str) -> list[BaseMessage]:
    """Does this one sentence answer the question? (read as P(Yes))"""
    return _frame(question, [(n, sentence)], JUDGE_CUE)


def phrase_messages(question: str, language: str, numbered: Numbered) -> list[BaseMessage]:
    """Write the answer from the chosen sentence(s), in ``language``."""
    marks = " of ".join(f"[{n}]" for n, _ in numbered) if language == "nl" else \
        " or ".join(f"[{n}]" for n, _ in numbered)
    return _frame(question, numbered, PHRASE_CUE[language].format(marks=marks))


# -- the quote fallback ---------------------------------------------------------------------------------
QUOTE_LEAD = {"nl": "Volgens het artikel", "en": "The article (in Dutch) says"}


def quote_sentence(language: str, quote: str) -> str:
    """The answer when the model's wording fails the check but the evidence is strong."""
    return f"{QUOTE_LEAD[language]}: „{quote.strip()}”"
