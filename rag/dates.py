"""Dates named in a question (Dutch or English), turned into a date range filter on articles.

Recognised, case-insensitively, and only the first one in the question counts:

    month and year    "in maart 2021", "March 2021", "mrt. 2021"     -> 2021-03 … 2021-03
    year              "in 2023", "2023", "in het jaar 2023"           -> 2023 … 2023
    relative          "vorig jaar", "last month", "twee jaar geleden" -> counted from the newest
                      indexed article; ignored when that date is unknown
    ranges            "sinds/since/vanaf/from X"   -> since X
                      "na/after X"                 -> since the period after X
                      "voor/vóór/before X"         -> until the period before X
                      "tot/tot en met/until X"     -> until X (inclusive)
                      "tussen/between X en/and Y", "van/from X tot/to Y"

X and Y are any of the first three forms. Years run 1900-2099 and must stand alone: "12023",
"1990s", "€2020" and a number followed by a unit ("2000 mensen", "2015 dollar") are not years.

Left out: day dates ("15 maart 2023" is read as the month), ISO dates typed in the question,
seasons, quarters, decades and "jaren 90", "de afgelopen twee jaar" (a window, not a year), and
the other meaning of Dutch "voor" ("de begroting voor 2022" is read as before 2022).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rag.documents import ISO_DATE, date_range
from rag.errors import InputError

# each month: Dutch name, English name, abbreviations (lower case)
_MONTH_ROWS = [("januari", "january", "jan"), ("februari", "february", "feb"), ("maart", "march", "mrt", "mar"),
               ("april", "april", "apr"), ("mei", "may"), ("juni", "june", "jun"), ("juli", "july", "jul"),
               ("augustus", "august", "aug"), ("september", "september", "sep", "sept"),
               ("oktober", "october", "okt", "oct"), ("november", "november", "nov"), ("december", "december", "dec")]
# month name or abbreviation (lower case) -> 1..12
_MONTHS = {name: number for number, names in enumerate(_MONTH_ROWS, start=1) for name in names}
# "een"/"één"/"a"/"one" … "tien"/"ten" -> 1..10 (digits are read with int())
_NUMBERS = {word: number for number, words in enumerate([
    "een één a an one", "twee two", "drie three", "vier four", "vijf five", "zes six",
    "zeven seven", "acht eight", "negen nine", "tien ten",
], start=1) for word in words.split()}
_UNITS = (r"dollars?|euros?|euro's|miljoen|miljard|millions?|billions?|km|kilometers?|meters?"
          r"|mensen|people|personen|inwoners|doden|deaths|procent|percent")

_YEAR = rf"(?<![\w.,€$£])(?:19|20)\d\d(?!\w|[.,]\d|\s*(?:(?:{_UNITS})\b|%))"
_YEAR_RE = re.compile(_YEAR)
_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))
_RELATIVE = (r"\b(?:(?:vorige?|afgelopen|last|(?:the\s+)?previous|dit|deze|this)\s+"
             r"(?:jaar|year|maand|month)"
             rf"|(?:10|[1-9]|{'|'.join(_NUMBERS)})\s+(?:jaar|years?|maand(?:en)?|months?)"
             r"\s+(?:geleden|ago))\b")
_DATE = rf"(?:(?:\b(?:{_MONTH_NAME})\b\.?\s+)?{_YEAR}|{_RELATIVE})"  # one date, no groups

_QUESTION = re.compile(
    rf"\b(?:(?:tussen|between|van|from)\s+(?P<a>{_DATE})"
    rf"(?:\s*-\s*|\s+(?:en|and|tot\s+en\s+met|t/m|tot|to|until|till)\s+)(?P<b>{_DATE})"
    rf"|(?P<op>sinds|since|vanaf|from|na|after|vóór|voor|before|tot\s+en\s+met|t/m|tot"
    rf"|until|till)\s+(?P<c>{_DATE}))"
    rf"|(?:\bin\s+(?:het\s+jaar\s+|the\s+year\s+)?)?(?P<d>{_DATE})",
    re.IGNORECASE)
_ABSOLUTE = re.compile(r"(?:([^\W\d]+)\.?\s+)?(\d{4})")  # a matched absolute _DATE, split up

_SINCE, _AFTER = {"sinds", "since", "vanaf", "from"}, {"na", "after"}
_BEFORE = {"voor", "vóór", "before"}  # anything else in op is "until"


# Day and month names, Dutch and English, for comparing an answer with its quote (``calendar_names``).
# Dutch ones in any case, a day also as the start of a compound ("woensdagavond"); English ones
# capitalised, so the verb "may" and "march" as in "to march" are not months. A quote is read
# loosely (``within``): a name inside a compound ("Paasmaandag", "meivakantie") and the usual
# abbreviations ("3 mrt.", "okt") count, so that an answer is not failed for a date its quote holds.
_DAY_ROWS = [("maandag", "monday"), ("dinsdag", "tuesday"), ("woensdag", "wednesday"), ("donderdag", "thursday"),
             ("vrijdag", "friday"), ("zaterdag", "saturday"), ("zondag", "sunday")]
# The names as they are written, per language: timeline labels ("maart 2023", "March 2023"), and words
# that frame a question rather than name someone (``rag.names.FRAMING``).
MONTH_NAMES = {"nl": [row[0] for row in _MONTH_ROWS], "en": [row[1].capitalize() for row in _MONTH_ROWS]}
DAY_NAMES = {"nl": [row[0] for row in _DAY_ROWS], "en": [row[1].capitalize() for row in _DAY_ROWS]}


def _calendar_patterns(names: tuple[str, ...], compound: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(strict, loose) patterns for one day or month: its Dutch name, English name, abbreviations."""
    dutch, english, *short = names
    loose = f"(?i:{dutch}|{english})" + (rf"|(?i:\b(?:{'|'.join(short)})\b)" if short else "")
    return re.compile(rf"\b(?i:{dutch}){compound}|\b{english.capitalize()}s?\b"), re.compile(loose)


_CALENDAR = [(f"{kind}{number}", *_calendar_patterns(names, compound))
             for kind, table, compound in (("day", _DAY_ROWS, ""), ("month", _MONTH_ROWS, r"\b"))
             for number, names in enumerate(table, start=1)]


def calendar_names(text: str, *, within: bool = False) -> set[str]:
    """The days of the week and months ``text`` names, the same key in either language ("day2" for
    "dinsdag", "dinsdagavond" and "Tuesday"; "month3" for "maart" and "March"). ``within``: also
    inside a word and abbreviated, as a quote is read."""
    return {key for key, strict, loose in _CALENDAR if (loose if within else strict).search(text)}


def years_of(text: str) -> set[str]:
    """The years ``text`` names ("2019" in "in 2019", not in "2019 euro" or "de 2019e")."""
    return set(_YEAR_RE.findall(text))


def without_years(text: str) -> str:
    """``text`` with its years ("2021", not "2000 euro" or "1500 meter") blanked out."""
    return _YEAR_RE.sub(" ", text)


def _days(iso: str) -> tuple[int, int]:
    """``date_range`` of a date already validated (or resolved here), which always has one."""
    span = date_range(iso)
    if span is None:
        raise InputError(f"{iso!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    return span


def validate_iso(value: str) -> str:
    """``"2023"``, ``"2023-01"`` or ``"2023-01-15"`` (a real date), stripped; else InputError."""
    text = (value or "").strip()
    m = ISO_DATE.fullmatch(text)
    try:
        if m:
            date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
            return text
    except ValueError:
        pass
    raise InputError(f"{value!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")


@dataclass(frozen=True)
class DateFilter:
    since: str | None = None  # ISO, inclusive ("2023", "2023-01", "2023-01-15")
    until: str | None = None  # ISO, inclusive
    phrase: str = ""  # the words in the question it came from, "" for explicit filters

    def __post_init__(self) -> None:
        for side in (self.since, self.until):
            if side is not None:
                validate_iso(side)

    def __bool__(self) -> bool:
        return bool(self.since or self.until)

    def bounds(self) -> tuple[int | None, int | None]:
        """(first day of since, last day of until) as YYYYMMDD, None for an open side."""
        lo = _days(self.since)[0] if self.since else None
        hi = _days(self.until)[1] if self.until else None
        return lo, hi

    def where(self) -> dict | None:
        """Chroma where clause keeping articles whose date range overlaps [since, until]."""
        lo, hi = self.bounds()
        clauses = ([{"date_to": {"$gte": lo}}] if lo is not None else []) + \
                  ([{"date_from": {"$lte": hi}}] if hi is not None else [])
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, date_iso: str | None) -> bool:
        """The where() test on one article date; an unknown date only passes an empty filter."""
        if not self:
            return True
        span = date_range(date_iso)
        if span is None:
            return False
        lo, hi = self.bounds()
        return (lo is None or span[1] >= lo) and (hi is None or span[0] <= hi)

    def describe(self) -> str:
        if self.since and self.until:
            return f"{self.since} … {self.until}"
        if self.since:
            return f"since {self.since}"
        return f"until {self.until}" if self.until else "any date"


def merge(explicit: DateFilter, from_question: DateFilter) -> DateFilter:
    """Explicit --since/--until win per side; the question fills the sides left open."""
    since = explicit.since or from_question.since
    until = explicit.until or from_question.until
    used = (since and not explicit.since) or (until and not explicit.until)
    return DateFilter(since, until, from_question.phrase if used else "")


# News reports on a period after it: "Hoeveel afvaarten vielen er uit tussen juli 2025 en maart 2026?"
# was asked of an article of May 2026 (a blind trial of stop 43), and the filter kept to articles of
# the span itself, all of other stories. So the articles a question's dates keep run this many
# months past the end of the span it names.
REPORT_LAG_MONTHS = 6


def reported_by(found: DateFilter) -> DateFilter:
    """``found`` (a question's dates) as the articles that may report on them: its end moved
    ``REPORT_LAG_MONTHS`` later ("in 2025" keeps articles of 2025 to June 2026); no end, no change."""
    if not found.until:
        return found
    month = found.until[:7] if len(found.until) >= 7 else f"{found.until}-12"
    return DateFilter(found.since, _shift(month, REPORT_LAG_MONTHS), found.phrase)


def _shift(iso: str, step: int) -> str:
    """Move a year ("2021") or month ("2021-12") by whole periods of its own precision."""
    if len(iso) == 4:
        return str(int(iso) + step)
    k = int(iso[:4]) * 12 + int(iso[5:7]) - 1 + step
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def _resolve(text: str, newest: str | None) -> str | None:
    """One matched _DATE -> ISO year or month; None for a relative date we cannot count."""
    m = _ABSOLUTE.fullmatch(text)
    if m:
        return f"{m[2]}-{_MONTHS[m[1].lower()]:02d}" if m[1] else m[2]
    words = text.lower().split()  # ["twee", "jaar", "geleden"] or ["vorig", "jaar"]
    if words[-1] in ("geleden", "ago"):
        step = -(_NUMBERS.get(words[0]) or int(words[0]))
        unit = words[1]
    else:
        step = 0 if words[0] in ("dit", "deze", "this") else -1
        unit = words[-1]
    if newest is None:
        return None
    if unit.startswith(("jaar", "year")):
        return _shift(newest[:4], step)
    return _shift(newest[:7], step) if len(newest) >= 7 else None


def parse_question_dates(question: str, newest: str | None) -> DateFilter:
    """The date phrases of the question as a filter; DateFilter() when there is none.

    ``newest`` is the date of the newest indexed article (ISO); relative phrases count from it. A date
    after the newest article is what the question is about ("het doel voor 2030", "de Spelen van
    2026"), not when it was reported, so it filters nothing. Two separate dates ("in 2021 en in 2023")
    filter the span from the first to the last, so both articles can be found.
    """
    try:
        newest = validate_iso(newest) if newest else None
    except InputError:
        newest = None  # a malformed stored date: relative phrases cannot be counted
    found: list[DateFilter] = []
    for m in _QUESTION.finditer(question):
        phrase = m[0]
        if m["a"]:
            a, b = _resolve(m["a"], newest), _resolve(m["b"], newest)
            if a and b:
                a, b = sorted((a, b), key=lambda iso: _days(iso)[0])
                return DateFilter(a, max(a, b, key=lambda iso: _days(iso)[1]), phrase)
            continue
        when = _resolve(m["c"] or m["d"], newest)
        if when is None or (newest and _days(when)[0] > _days(newest)[1]):
            continue
        op = " ".join(m["op"].lower().split()) if m["op"] else ""
        if not op:
            found.append(DateFilter(when, when, phrase))
            continue
        if op in _SINCE:
            return DateFilter(when, None, phrase)
        if op in _AFTER:
            return DateFilter(_shift(when, 1), None, phrase)
        if op in _BEFORE:
            return DateFilter(None, _shift(when, -1), phrase)
        return DateFilter(None, when, phrase)
    if len(found) > 1:
        earliest = min(found, key=lambda f: _days(f.since or "")[0])
        latest = max(found, key=lambda f: _days(f.until or "")[1])
        return DateFilter(earliest.since, latest.until, " … ".join(f.phrase for f in found))
    return found[0] if found else DateFilter()
