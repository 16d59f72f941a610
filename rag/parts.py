"""Questions that ask two things: "Hoeveel regenbuffers lagen er in 2021, en hoeveel komen er bij?"

Such a question is answered part by part: each part ranks the evidence for itself (and keeps to the
articles of its own date, when it names one), so the answer holds one sentence for each part instead
of two sentences for whichever part the whole question resembles most. A question is split only at
"and"/"en" followed by a question word, which is where a second question starts; "Which ministers
appear in 2021 and 2023?" stays whole (its two dates are handled by the date filter and the chain).

A question that sets what was planned against what came of it ("Hoeveel zouden de veerboten kosten,
en hoeveel kosten ze nu?", "What was it supposed to cost, and what did it turn out to cost?") asks each
part of another article of the story: the plan of an earlier report, the outcome of a later one
(``sides``, ``side_keeps``); so does a question that compares the two in one ("How much later than
promised …?"), asked whole of each side. The later part of such a question is about what the first part names,
also when it names nothing itself ("… en hoeveel zijn er nu nog over?").

What this leaves out: how each part is judged and answered (``rag.chain``, ``rag.decide``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.documents import date_range

QUESTION_WORDS = (r"what|where|when|who|whom|whose|which|why|how|"
                  r"wat|waar|waarom|waar(?:door|mee|voor|op|aan|in|uit|over|heen|naar|bij|van|tegen)|"
                  r"wanneer|wie|welke?|hoe|hoeveel|"
                  r"(?:on|in|at|for|to|from|with|by|op|in|aan|voor|met|uit|bij|van|naar) (?:what|which|whom|wat|welke?|wie)|"
                  r"bij hoeveel|to how many")
_SPLIT = re.compile(rf",?\s+(?:and|en)\s+(?=(?:{QUESTION_WORDS})\b)", re.IGNORECASE)
MIN_PART_WORDS = 2
# What came of it: "nu" (not "nu de brug dicht is": "now that"), "inmiddels", "echt gebeurd",
# "uiteindelijk", "turn out", "actually"
_NOW = re.compile(r"\b(?:nu(?!\s+(?:de|het|een|dat|die|hij|zij|ze|we|wij|je|ik)\b)|inmiddels|tegenwoordig|momenteel|"
                  r"echt|daadwerkelijk|uiteindelijk|nog over|"
                  r"now|currently|today|actually|really|eventually|in the end|turn(?:ed)? out|end(?:ed)? up)\b",
                  re.IGNORECASE)
# What was planned, promised or the case at first: "zou(den)", "moest(en)", "beloofde", "toen",
# "gepland", "supposed to", "was going to", "would", "promised", "according to the plan"
_THEN = re.compile(r"\b(?:zou|zouden|moest|moesten|beloofde|beloofden|verwachtte|verwachtten|toen|destijds|"
                   r"ten tijde van|oorspronkelijk|aanvankelijk|gepland|begroot|geraamd|"
                   r"volgens (?:het|de) \w*(?:plan|planning|besluit|begroting)|"
                   r"supposed to|(?:was|were) going to|would|promised|did (?:\w+\s+){0,3}promise|planned|budgeted|originally|initially|"
                   r"at the time|(?:was|were) expected|(?:under|in|according to) the (?:\w+ )?plan)\b", re.IGNORECASE)


# "How much later than promised will the bridge open?", "hoeveel bomen zijn er meer gekapt dan in het
# plan stond?": a comparison with what was planned asks for both, the plan (from an earlier article of
# the story) and what came of it (from a later one). Such a question is asked of each side whole.
# Only a "how much / hoeveel" question: "Did more people come than expected?" or "Why was turnout
# lower than expected?" is answered by one sentence that says so (found in review).
_AGAINST_PLAN = re.compile(
    r"\b(?:hoeveel|how (?:much|many|long|far))\b[^?]{0,60}?"
    r"\b(?:meer|minder|later|eerder|hoger|lager|duurder|goedkoper|groter|kleiner|langer|korter|"
    r"more|less|fewer|later|earlier|higher|lower|bigger|smaller|longer|shorter|dearer|cheaper)\b[^?]{0,40}?\b(?:dan|than)\b"
    r"[^?]{0,40}?\b(?:beloofd|beloofde|gepland|gehoopt|verwacht|voorspeld|begroot|geraamd|afgesproken|aangekondigd|plan|"
    r"planning|promised|planned|hoped|expected|forecast|predicted|budgeted|estimated|agreed|announced|scheduled)\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    text: str
    scores: np.ndarray  # relevance of each evidence unit to this part; -inf where its date rules it out


def split_question(question: str) -> list[str]:
    """The parts of a question that asks several things, in order; ``[question]`` when it asks one."""
    parts = [p.strip(" ,") for p in _SPLIT.split(question.strip())]
    parts = [p for p in parts if p]
    if len(parts) < 2 or any(len(re.findall(r"\w+", p)) < MIN_PART_WORDS for p in parts):
        whole = question.strip()  # a comparison with the plan: asked of the plan and of what came of it
        return [whole, whole] if _AGAINST_PLAN.search(whole) else [whole]
    return [p if p.endswith("?") else p + "?" for p in parts]


def compares(parts: Sequence[str]) -> bool:
    """Is this a comparison with the plan, asked whole of each side (``split_question``)?"""
    return len(parts) == 2 and parts[0] == parts[1]


def sides(parts: list[str]) -> list[str]:
    """For a question that sets what was planned against what came of it, "then" or "now" for each
    part (a part that says neither: ""); all "" for any other question. A part is "now" when it
    asks what came of it ("hoeveel kosten ze nu?", "what did it turn out to cost?"), else "then"
    when it asks what was planned or the case at first ("Hoeveel zouden de boten kosten?",
    "toen de vogelgriep uitbrak"). Both sides must be asked, the plan first: "Hoeveel kost de brug
    nu, en wanneer zou hij opengaan?" asks two things of today."""
    if compares(parts):
        return ["then", "now"]
    marks = ["now" if _NOW.search(p) else "then" if _THEN.search(p) else "" for p in parts]
    if "then" in marks and "now" in marks[marks.index("then") + 1:]:
        return marks
    return [""] * len(parts)


def side_keeps(side: str, dates: Sequence[str | None], story: Iterable[str | None]) -> np.ndarray | None:
    """Which units a "then" or "now" part (``sides``) keeps to, by their articles' ``dates``: a "now"
    part the articles after the story's first, a "then" part the articles before its latest; an
    article without a date neither. ``story``: the dates of the articles the whole question is
    answered from (another story's article may be among them: "now" is not only the latest). Dates
    are compared as the spans they name ("2024" holds "2024-10-20"). None for a part of neither
    side, or when the story's articles do not fall apart in time (nothing to tell apart)."""
    spans = [r for d in story if (r := date_range(d))]
    if not side or not spans:
        return None
    first_end = min(spans, key=lambda r: r[1])[1]  # the end of the earliest
    last_start = max(spans, key=lambda r: r[0])[0]  # the start of the latest
    if first_end >= last_start:
        return None

    def kept(d: str | None) -> bool:
        span = date_range(d)
        return span is not None and (span[0] > first_end if side == "now" else span[1] < last_start)

    return np.array([kept(d) for d in dates], dtype=bool)


def leans(parts: list[str], j: int) -> bool:
    """Part ``j`` names nobody and needs the first part to be understood ("where did he finish?"),
    or it asks what came of what the first part asks ("… en hoeveel zijn er nu nog over?")."""
    from rag.followup import needs_history
    from rag.names import question_names

    if j == 0:
        return False
    return needs_history(parts[j], [{"role": "user", "content": parts[0]}]) or (
        sides(parts)[j] == "now" and not question_names(parts[j]))
