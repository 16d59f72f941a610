"""Questions about how something developed, answered as dated lines, oldest first.

    "Hoe ontwikkelde de relatie tussen China en Rusland zich sinds 2021?"
        maart 2021: Lavrov bezocht Wang Yi in China [2].
        maart 2023: Xi bracht een staatsbezoek aan Moskou [1].

``is_timeline`` decides in code (Dutch and English) whether a question asks for a development: words
such as "ontwikkelde … zich", "verloop", "tijdlijn", "how did … change", "over time", "timeline", or
"what happened / wat gebeurde" together with a span of dates ("since 2021", "between 2021 and 2023")
or from an event on ("sinds de sluiting").
A date span alone does not make a timeline ("Wie bezocht er in 2021 en in 2023?" asks who), nor does
"sinds wanneer". ``subject`` is what such a question is about ("de schatting van de schade …"
without "… in de loop van de tijd veranderd"), by which each article's line is ranked (the whole
question drew each article's opening about the flood, not its damage estimate). ``per_article``
groups the evidence into the best few sentences of each article,
``date_label`` writes an article date in the question's language, and ``in_date_order`` sorts the
chosen lines oldest first.

What this leaves out: judging, phrasing and checking each line (``rag.chain._answer_timeline``), and
events inside one article (an article is one line, at its own date).

An answer taken from articles of different dates to a question about time ("Wat zei Meulenberg in
2021, en wat zei hij in 2023?") says each sentence's date the same way (``dated``): without it the
reader had to find out from the sources which part was of which year.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from rag.answer import AnswerSentence
from rag.dates import MONTH_NAMES, DateFilter, parse_question_dates
from rag.documents import ISO_DATE
from rag.evidence import Evidence
from rag.keyword import terms

# Events a development runs from or to: "van het sluitingsbesluit tot de heropening", "from the closure
# to the reopening" (not "van het centrum tot de rivier", "from the ship to the harbour").
_EVENT_NL = (r"[\w-]*(?:besluit|sluiting|opening|ramp|overstroming|watersnood|stemming|uitspraak|verkiezingen?"
             r"|aankondiging|invasie|oorlog|staking|crisis|brand|aanslag|start|begin|presentatie|akkoord)")
_EVENT_EN = (r"(?:[\w-]+\s+)?(?:closure|closing|reopening|opening|decision|vote|ruling|floods?|flooding|disaster"
             r"|announcement|elections?|invasion|war|strike|crisis|fire|attack|start|beginning|approval|agreement)")
_SPAN = (rf"\bvan\s+(?:het|de)\s+{_EVENT_NL}\s+tot\s+(?:en\s+met\s+)?(?:na\s+)?(?:het|de)\s+{_EVENT_NL}"
         rf"|\bfrom\s+(?:before\s+)?the\s+{_EVENT_EN},?\s+(?:through\s+[^,?]+,?\s+)?to\s+(?:after\s+)?the\s+{_EVENT_EN}")
# "hoe ontwikkelde X zich", "hoe heeft X zich ontwikkeld", "het verloop", "how did X change since …".
# "How did the act change the rules?" changes something: the English verb must end the question or
# be followed by a date word, so only the intransitive "how did X change (since 2021)?" counts.
_DEVELOPMENT = re.compile(
    r"\bontwikkel(?:de|den|t|en)\b.*\bzich\b|\bzich\b.*\bontwikkel(?:d|de|den)\b"
    r"|\bhoe\s+(?:veranderde|veranderden|verliep|verliepen|evolueerde)\b"
    r"|\bhoe\s+(?:is|zijn|heeft|hebben)\b.*\b(?:veranderd|verlopen|ge[eë]volueerd)\b"
    # an estimate or a date moved over time, not once ("Hoe is de begroting bijgesteld?", "Hoe is de
    # wedstrijd verschoven?"): with a span after it, or before it in the question
    r"|\bhoe\s+(?:is|zijn|heeft|hebben)\b.*\b(?:bijgesteld|verschoven)\b(?=.*\b(?:tussen|sinds|tot)\b)"
    r"|\bhoe\s+(?:is|zijn|heeft|hebben)\b.*\b(?:tussen|sinds|in\s+de\s+loop)\b.*\b(?:bijgesteld|verschoven)\b"
    r"|\b(?:tijdlijn|tijdsverloop|verloop|chronologie|ontwikkelingen)\b"
    r"|\bin\s+de\s+loop\s+(?:van\s+de|der)\s+(?:tijd|jaren)\b|\bdoor\s+de\s+jaren\s+heen\b"
    r"|\bhow\s+(?:did|has|have)\b.*\b(?:develop|developed|change|changed|evolve|evolved|unfold|unfolded|shift|shifted)\b"
    r"(?=\s*(?:[?.!]|$|since\b|between\b|from\b|over\b|after\b|in\s+(?:19|20)\d\d))"
    r"|\bover\s+(?:time|the\s+years)\b|\btime\s?line\b|\bchronolog|\bevolution\s+of\b"
    # "Geef een overzicht in de tijd van …", "Walk me through …", "Wat is er terechtgekomen van …?"
    # (not "Walk me through the new parking rules", "Waar is het geld terechtgekomen van …?": review)
    r"|\boverzicht\s+in\s+de\s+tijd\b|\bwalk\s+(?:me|us)\s+through\b(?=.*\b(?:from|since|between|over)\b)"
    r"|\bwat\s+is\s+er\s+(?:van\b.*\b)?terecht\s?gekomen\b"
    # how something fared, what became of it: "Hoe verging het de Grotestraat sinds de overstroming?",
    # "What became of Camping De Gele Poort after the flood?" (a blind trial's questions, stop 39); not
    # "Hoe is het schip vergaan?" (sank), "Hoe vergaat plastic?", "… react to the fare increase?"
    r"|\bhoe\s+(?:verging|vergaat)\s+het\b|\bhoe\s+is\s+het\s+(?:de|het|hem|haar|hen|hun|ze|die|dat|deze)\b.*\bvergaan\b"
    r"|\bhow\s+(?:did|has|have)\b.*(?<!the )(?<!a )(?<!bus )(?<!air )(?<!train )(?<!taxi )(?<!ticket )\bfared?(?=\s*(?:[?.!]|$|since\b|after\b|over\b|between\b|from\b|in\s+(?:19|20)\d\d))"
    r"|\bwhat\s+(?:became|has\s+become)\s+of\b|\bwat\s+(?:is|werd)\s+er\s+(?:ge)?worden\s+van\b"
    r"|" + _SPAN,  # from one event to another
    re.IGNORECASE)
# "wat gebeurde er …", "what happened …": a timeline only over a span of dates, or since an event
# ("sinds de sluiting": not "na de stemming", "after the match", which ask what came next)
_HAPPENED = re.compile(
    r"\b(?:wat\s+(?:gebeurde|veranderde)|wat\s+is\s+er\b.*\b(?:gebeurd|veranderd)"
    r"|what\s+(?:has\s+)?(?:happened|changed))\b",
    re.IGNORECASE)

# What a development question says about time rather than about its subject: the development words,
# the span of dates, "geef een tijdlijn van". ``subject`` leaves the rest ("de schatting van de schade
# door de Limburgse overstroming"), which is what each article's line must be about.
_ABOUT_TIME = re.compile(
    r"(?<![\w-])(?:hoe|how|what|wat|did|does|has|have|had|is|zijn|heeft|hebben|er|zich|over"
    r"|ontwikkel\w*|develop\w*|evolu\w*|evolve[ds]?|ge[eë]volueerd|veranderd\w*|verander\w*|change[ds]?|unfold\w*"
    r"|verging|vergingen|vergaat|vergaan|fared?|geworden|worden|verliep|verliepen|verlopen|verloop|tijdlijn"
    r"|tijdsverloop|timeline|time\s?line|chronolog\w*|ontwikkelingen"
    r"|gebeurd[e]?|happened|became|werd|geef|give|me|mij|een|a|of|van|in\s+de\s+loop\s+(?:van\s+de|der)\s+(?:tijd|jaren)"
    r"|door\s+de\s+jaren\s+heen|the\s+years|time|sinds|since|tussen|between|from|tot|to|until|and|en|na|after"
    r"|(?:19|20)\d\d)(?![\w-])")  # lower case only: "Van Gogh", "Me Too" are names


# Where a development starts or ends is not its subject either: "sinds de overstroming", "van het
# sluitingsbesluit tot de heropening" (their words drew the sentences about the flood or the closure,
# not about the staff the question asked after).
_START = r"\b(?:sinds|since|after|na|following)\s+(?:de|het|the)\s+(?:(?:19|20)\d\d\s+)?[\w-]+(?:\s+(?:van|of|in)\s+(?:[a-z]+\s+)?(?:19|20)\d\d)?"
_ANCHORS = re.compile(_START + "|" + _SPAN, re.IGNORECASE)
_SINCE_EVENT = re.compile(r"\b(?:sinds|since)\s+(?:de|het|the)\s+[\w-]+", re.IGNORECASE)
# what no line can be about: "What became of them after the flood?" leaves only "them" (stemmed as
# ``terms`` stems, so that "afterwards" is "afterward" here too)
_EMPTY = frozenset(terms("hij zij ze hem haar hen hun het die dat deze dit daar daarna toen nu he she it they him "
                         "her them his its their there then now afterwards later"))


def subject(question: str) -> str:
    """What a development question is about, without what it says about time: "Hoe is de schatting
    van de schade door de Limburgse overstroming in de loop van de tijd veranderd?" -> "de schatting
    de schade door de Limburgse overstroming". The whole question when nothing is left."""
    text = question.strip()
    text = text[:1].lower() + text[1:]  # "Hoe …", "How …": the question's first word, not a name
    rest = re.sub(r"\s+", " ", _ABOUT_TIME.sub(" ", _ANCHORS.sub(" ", text))).strip(" ?!.,:;")
    return rest if terms(rest) - _EMPTY else question


UNDATED = {"nl": "zonder datum", "en": "undated"}
MAX_ARTICLES = 6  # lines of one timeline at most (each costs judging and phrasing)
PER_ARTICLE = 3  # sentences of one article put to the judge


def is_timeline(question: str) -> bool:
    """Does the question ask how something developed over time? (A pure function: no index needed.)"""
    if _DEVELOPMENT.search(question):
        return True
    if _HAPPENED.search(question):  # over a span: "since 2021", "between 2021 and 2023", "sinds het
        # besluit van maart 2025", or from an event on: "sinds de sluiting", "since the flood"
        span = from_then_on(parse_question_dates(question, None), question)
        return bool(span.since) and span.since != span.until or bool(_SINCE_EVENT.search(question))
    return False


def from_then_on(found: DateFilter, question: str) -> DateFilter:
    """The dates a development question searches, from the dates found in it (``found``): a single
    year or month that dates where the development starts ("How did insurance cover … change after
    the 2021 disaster?", "sinds de overstroming van juli 2021") opens the span to the newest
    article, since what came after is asked; any other ("in 2023", "tot de top van 2023", "vorig
    jaar") stays as it is."""
    if not found.since or found.since != found.until or not re.search(r"\d", found.phrase):
        return found
    year = found.since[:4]
    starts = any(year in m.group(0) for m in re.finditer(_START, question, re.IGNORECASE))
    return DateFilter(found.since, None, found.phrase) if starts else found


def date_label(iso: str | None, language: str) -> str:
    """``"2021-03"`` -> "maart 2021" / "March 2021"; ``"2021-03-15"`` -> "15 maart 2021" / "15 March 2021";
    ``"2021"`` -> "2021"; no date -> "zonder datum" / "undated"."""
    m = ISO_DATE.fullmatch((iso or "").strip())
    if not m:
        return UNDATED[language]
    year, month, day = m[1], m[2], m[3]
    if not month:
        return year
    label = f"{MONTH_NAMES[language][int(month) - 1]} {year}"
    return f"{int(day)} {label}" if day else label


def per_article(evidence: Evidence, scores: np.ndarray, doc_of: dict[int, str],
                per: int = PER_ARTICLE, most: int = MAX_ARTICLES) -> list[list[int]]:
    """The best ``per`` evidence units of each article (its chunks pooled), best first; articles in
    order of their best unit, at most ``most``. ``doc_of``: source n -> doc id."""
    groups: dict[str, list[int]] = {}
    for i in np.argsort(-scores, kind="stable"):
        i = int(i)
        if not np.isfinite(scores[i]):
            continue
        group = groups.setdefault(doc_of[evidence.units[i].source], [])
        if len(group) < per:
            group.append(i)
    return list(groups.values())[:most]


def in_date_order(lines: Sequence[tuple[str | None, int]]) -> list[int]:
    """Positions of ``(date, source n)`` lines, oldest first; undated lines last, ties by n."""
    return sorted(range(len(lines)), key=lambda j: (lines[j][0] is None or lines[j][0] == "",
                                                    lines[j][0] or "", lines[j][1]))


# A line's date label as ``date_label`` writes it ("15 maart 2021: ", "March 2021: ", "2021: ", "undated: ").
DATE_LABEL = re.compile(r"^(?:(?:\d{1,2} )?(?:" + "|".join(MONTH_NAMES["nl"] + MONTH_NAMES["en"]) + r") )?\d{4}: |^(?:"
                        + "|".join(UNDATED.values()) + r"): ", re.MULTILINE)


def undated(text: str) -> str:
    """``text`` without the date labels that lead its lines (a timeline's or a dated answer's)."""
    return DATE_LABEL.sub("", text)


# A sentence that opens by pointing back to the one before it: a pronoun, "dat", "daar", "toen", "eerder".
_POINTS_BACK = re.compile(r"\W*(?:hij|zij|ze|dat|die|dit|deze|daar|daarna|daarvoor|toen|eerder|ook|he|she|they|this|that"
                          r"|these|those|there|then|earlier|also|it)\b|\W*\w+\s+(?:\w+\s+)?(?:eerder|daarvoor|earlier|before)\b",
                          re.IGNORECASE)


def dated(sentences: Sequence[AnswerSentence], dates: Mapping[int, str | None], language: str) -> list[AnswerSentence]:
    """``sentences`` with each cited one led by the date of the article it cites first ("maart 2021: …"),
    oldest first (sentences of one date in the order given, undated and uncited ones last), when they
    cite articles of more than one date; as they are otherwise. ``dates``: source n -> its article's
    date (ISO, or None). Dated lines read as a timeline, so they run as one does: "March 2023: …"
    above "March 2021: …" (found in a training run) reads as if 2023 came first. A sentence that
    points back ("Twee jaar eerder had hij …") to a sentence of another date keeps the order given:
    moved, it would come before what it points to (review)."""
    cited = [s for s in sentences if s.citations]
    if len({dates.get(s.citations[0]) for s in cited}) < 2:
        return list(sentences)
    when = [dates.get(s.citations[0]) or "" for s in cited]
    order = sorted(range(len(cited)), key=lambda j: (not when[j], when[j]))  # stable: one date keeps its order
    if any(_POINTS_BACK.match(cited[j].text) and when[j] != when[j - 1] for j in range(1, len(cited))):
        order = list(range(len(cited)))  # (after a sentence of its own date it stays after it when sorted)
    return [cited[j].model_copy(update={"text": f"{date_label(dates.get(cited[j].citations[0]), language)}: {cited[j].text}"})
            for j in order] + [s for s in sentences if not s.citations]
