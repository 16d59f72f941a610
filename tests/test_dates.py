"""Dates in a question -> DateFilter, and the filter's Chroma clause and Python test."""

import pytest

from rag.dates import DateFilter, merge, parse_question_dates, reported_by, validate_iso, without_years, years_of
from rag.errors import InputError

NEWEST = "2023-03"

# (question, since, until, phrase), all with newest = NEWEST
PARSED = [
    # month and year, Dutch and English, full names and abbreviations, any case
    ("Wat gebeurde er in maart 2021?", "2021-03", "2021-03", "in maart 2021"),
    ("Nieuws uit maart 2021", "2021-03", "2021-03", "maart 2021"),
    ("What happened in March 2021?", "2021-03", "2021-03", "in March 2021"),
    ("Verkiezingen in mrt 2021", "2021-03", "2021-03", "in mrt 2021"),
    ("Verkiezingen in mrt. 2021", "2021-03", "2021-03", "in mrt. 2021"),
    ("Storms in mar 2021", "2021-03", "2021-03", "in mar 2021"),
    ("IN MAART 2021 was er een storm", "2021-03", "2021-03", "IN MAART 2021"),
    ("januari 2020", "2020-01", "2020-01", "januari 2020"),
    ("Jan 2020", "2020-01", "2020-01", "Jan 2020"),
    ("februari 2020", "2020-02", "2020-02", "februari 2020"),
    ("feb 2020", "2020-02", "2020-02", "feb 2020"),
    ("april 2019", "2019-04", "2019-04", "april 2019"),
    ("apr 2019", "2019-04", "2019-04", "apr 2019"),
    ("in mei 2022", "2022-05", "2022-05", "in mei 2022"),
    ("in May 2022", "2022-05", "2022-05", "in May 2022"),
    ("juni 2018", "2018-06", "2018-06", "juni 2018"),
    ("jun 2018", "2018-06", "2018-06", "jun 2018"),
    ("July 2018", "2018-07", "2018-07", "July 2018"),
    ("jul 2018", "2018-07", "2018-07", "jul 2018"),
    ("augustus 2017", "2017-08", "2017-08", "augustus 2017"),
    ("aug 2017", "2017-08", "2017-08", "aug 2017"),
    ("sep 2020", "2020-09", "2020-09", "sep 2020"),
    ("sept 2020", "2020-09", "2020-09", "sept 2020"),
    ("oktober 2019", "2019-10", "2019-10", "oktober 2019"),
    ("okt 2019", "2019-10", "2019-10", "okt 2019"),
    ("October 2019", "2019-10", "2019-10", "October 2019"),
    ("oct 2019", "2019-10", "2019-10", "oct 2019"),
    ("nov 2016", "2016-11", "2016-11", "nov 2016"),
    ("december 1999", "1999-12", "1999-12", "december 1999"),
    ("Dec 1999", "1999-12", "1999-12", "Dec 1999"),
    # a bare year, with or without "in" / "in het jaar" / "in the year"
    ("Wat gebeurde er in 2023?", "2023", "2023", "in 2023"),
    ("Overstromingen 2023", "2023", "2023", "2023"),
    ("Wat gebeurde er in het jaar 2023?", "2023", "2023", "in het jaar 2023"),
    ("What happened in the year 1999?", "1999", "1999", "in the year 1999"),
    ("Wie won de Tour de France in 2022?", "2022", "2022", "in 2022"),
    ("Who won the Tour de France in 2022?", "2022", "2022", "in 2022"),
    ("Wat gebeurde er in 1900?", "1900", "1900", "in 1900"),
    # a year after the newest article is a topic ("het doel voor 2030"), not a date to filter on
    ("Wat gebeurde er in 2099?", None, None, ""),
    ("Wat is het doel voor 2030?", None, None, ""),
    ("Wat gebeurde er in 2022.", "2022", "2022", "in 2022"),
    # relative to the newest article (2023-03)
    ("Wat gebeurde er vorig jaar?", "2022", "2022", "vorig jaar"),
    ("Wat gebeurde er vorige jaar?", "2022", "2022", "vorige jaar"),
    ("Wat gebeurde er afgelopen jaar?", "2022", "2022", "afgelopen jaar"),
    ("What happened last year?", "2022", "2022", "last year"),
    ("What happened the previous year?", "2022", "2022", "the previous year"),
    ("Wat gebeurde er dit jaar?", "2023", "2023", "dit jaar"),
    ("What happened this year?", "2023", "2023", "this year"),
    ("Wat gebeurde er vorige maand?", "2023-02", "2023-02", "vorige maand"),
    ("What happened last month?", "2023-02", "2023-02", "last month"),
    ("Wat gebeurde er deze maand?", "2023-03", "2023-03", "deze maand"),
    ("What happened this month?", "2023-03", "2023-03", "this month"),
    ("Wat gebeurde er twee jaar geleden?", "2021", "2021", "twee jaar geleden"),
    ("Wat gebeurde er 2 jaar geleden?", "2021", "2021", "2 jaar geleden"),
    ("What happened two years ago?", "2021", "2021", "two years ago"),
    ("Wat gebeurde er één jaar geleden?", "2022", "2022", "één jaar geleden"),
    ("Wat gebeurde er een jaar geleden?", "2022", "2022", "een jaar geleden"),
    ("What happened a year ago?", "2022", "2022", "a year ago"),
    ("Wat gebeurde er tien jaar geleden?", "2013", "2013", "tien jaar geleden"),
    ("What happened 10 years ago?", "2013", "2013", "10 years ago"),
    ("What happened three months ago?", "2022-12", "2022-12", "three months ago"),
    ("Wat gebeurde er VORIG JAAR?", "2022", "2022", "VORIG JAAR"),
    # ranges
    ("Wat is er sinds 2022 gebeurd?", "2022", None, "sinds 2022"),
    ("What happened since 2022?", "2022", None, "since 2022"),
    ("Wat gebeurde er vanaf maart 2022?", "2022-03", None, "vanaf maart 2022"),
    ("News from 2022", "2022", None, "from 2022"),
    ("Wat gebeurde er na 2021?", "2022", None, "na 2021"),
    ("What happened after 2021?", "2022", None, "after 2021"),
    ("What happened after March 2021?", "2021-04", None, "after March 2021"),
    ("Wat gebeurde er na december 2021?", "2022-01", None, "na december 2021"),
    ("Wat gebeurde er voor 2022?", None, "2021", "voor 2022"),
    ("Wat gebeurde er vóór 2022?", None, "2021", "vóór 2022"),
    ("What happened before 2022?", None, "2021", "before 2022"),
    ("What happened before January 2022?", None, "2021-12", "before January 2022"),
    ("Wat gebeurde er tot 2022?", None, "2022", "tot 2022"),
    ("Wat gebeurde er tot en met maart 2022?", None, "2022-03", "tot en met maart 2022"),
    ("What happened until 2022?", None, "2022", "until 2022"),
    ("Wat gebeurde er tussen 2021 en 2023?", "2021", "2023", "tussen 2021 en 2023"),
    ("What happened between 2021 and 2023?", "2021", "2023", "between 2021 and 2023"),
    ("What happened between 2023 and 2021?", "2021", "2023", "between 2023 and 2021"),
    ("tussen maart 2021 en 2022", "2021-03", "2022", "tussen maart 2021 en 2022"),
    ("Wat gebeurde er van 2021 tot 2023?", "2021", "2023", "van 2021 tot 2023"),
    ("What happened from 2021 to 2023?", "2021", "2023", "from 2021 to 2023"),
    ("Wat is er sinds vorig jaar gebeurd?", "2022", None, "sinds vorig jaar"),
    ("What happened before last year?", None, "2021", "before last year"),
    # two dates: the span from the first to the last, so a question about both finds both articles
    ("Wat gebeurde er in 2019 en in 2020?", "2019", "2020", "in 2019 … in 2020"),
    ("Vorig jaar of in 2019?", "2019", "2022", "Vorig jaar … in 2019"),
    # an open range wins
    ("Sinds 2020, en vooral in maart 2021", "2020", None, "Sinds 2020"),
    # an amount before the year does not hide it
    ("Kostte het 25 miljoen dollar in 2021?", "2021", "2021", "in 2021"),
]


@pytest.mark.parametrize("question, since, until, phrase", PARSED)
def test_parse_question_dates(question, since, until, phrase):
    assert parse_question_dates(question, NEWEST) == DateFilter(since, until, phrase)


@pytest.mark.parametrize("question", [
    "Hoeveel kostte het? 25 miljoen dollar",
    "Het kostte 2015 dollar",
    "It cost 2015 euros",
    "Er kwamen 2000 mensen",
    "About 2000 people came",
    "Een verlies van 2020 miljoen",
    "Het steeg 2021%",
    "Wanneer is de C5+1-groep opgericht?",
    "Welke regio bezocht Blinken?",
    "Wie is de premier van Nederland?",
    "",
    "Ordernummer 12023",
    "Een bedrag van 1.2023 euro",
    "Het kostte €2020",
    "Muziek uit de 1990s",
    "Wat gebeurde er in 1850?",
    "Wat gebeurde er in 2150?",
    "Wat gebeurde er in maart?",
    "de afgelopen maanden",
])
def test_no_date_in_question(question):
    assert parse_question_dates(question, NEWEST) == DateFilter()


@pytest.mark.parametrize("question, newest, expected", [
    ("What happened last month?", "2023-01", DateFilter("2022-12", "2022-12", "last month")),
    ("Wat gebeurde er vorige maand?", "2023-01-31", DateFilter("2022-12", "2022-12", "vorige maand")),
    ("Wat gebeurde er vorig jaar?", "2023-03-15", DateFilter("2022", "2022", "vorig jaar")),
    ("Wat gebeurde er vorig jaar?", "2023", DateFilter("2022", "2022", "vorig jaar")),
    ("What happened this month?", "2023-12-31", DateFilter("2023-12", "2023-12", "this month")),
    # without a newest article, or with only its year, there is nothing to count months from
    ("Wat gebeurde er vorig jaar?", None, DateFilter()),
    ("What happened last month?", None, DateFilter()),
    ("Wat is er sinds twee jaar geleden gebeurd?", None, DateFilter()),
    ("What happened last month?", "2023", DateFilter()),
    ("Wat gebeurde er vorig jaar?", "not a date", DateFilter()),
    # an unusable relative phrase is skipped, a later absolute date still counts
    ("Vorig jaar, of in 2019?", None, DateFilter("2019", "2019", "in 2019")),
    ("Tussen vorig jaar en 2023, of in 2019?", None, DateFilter("2019", "2019", "in 2019")),
])
def test_relative_dates_depend_on_newest(question, newest, expected):
    assert parse_question_dates(question, newest) == expected


@pytest.mark.parametrize("flt, where", [
    (DateFilter(), None),
    (DateFilter(since="2023"), {"date_to": {"$gte": 20230101}}),
    (DateFilter(until="2021-12"), {"date_from": {"$lte": 20211231}}),
    (DateFilter(until="2024-02"), {"date_from": {"$lte": 20240229}}),
    (DateFilter("2023-03", "2023-03"),
     {"$and": [{"date_to": {"$gte": 20230301}}, {"date_from": {"$lte": 20230331}}]}),
    (DateFilter("2023-01-15", "2023-02-03"),
     {"$and": [{"date_to": {"$gte": 20230115}}, {"date_from": {"$lte": 20230203}}]}),
    (DateFilter("2021", "2023"),
     {"$and": [{"date_to": {"$gte": 20210101}}, {"date_from": {"$lte": 20231231}}]}),
])
def test_where(flt, where):
    assert flt.where() == where


@pytest.mark.parametrize("flt, date_iso, expected", [
    (DateFilter(), None, True),
    (DateFilter(), "2023-03", True),
    (DateFilter("2023", "2023"), None, False),
    (DateFilter("2023", "2023"), "", False),
    (DateFilter("2023", "2023"), "garbage", False),
    (DateFilter(since="2023"), None, False),
    (DateFilter("2023", "2023"), "2023-06-01", True),
    (DateFilter("2023", "2023"), "2022-12-31", False),
    (DateFilter("2023", "2023"), "2024-01-01", False),
    (DateFilter("2023", "2023"), "2023", True),
    (DateFilter("2023", "2023"), "2022", False),
    # a month-precision article overlaps a day-precision filter inside that month
    (DateFilter("2023-03-15", "2023-03-15"), "2023-03", True),
    (DateFilter("2023-03-31", "2023-04-02"), "2023-03", True),
    (DateFilter("2023-04-01", "2023-04-30"), "2023-03", False),
    (DateFilter(until="2023-02-28"), "2023-03", False),
    (DateFilter(until="2023-03-01"), "2023-03", True),
    (DateFilter(since="2023-03-31"), "2023-03", True),
    (DateFilter(since="2023-04-01"), "2023-03", False),
    (DateFilter(since="2022"), "2021-12-31", False),
    (DateFilter(since="2022"), "2022-01-01", True),
    (DateFilter(until="2021"), "2021-12-31", True),
    (DateFilter(until="2021"), "2022-01-01", False),
])
def test_matches(flt, date_iso, expected):
    assert flt.matches(date_iso) is expected


@pytest.mark.parametrize("flt, text, truth", [
    (DateFilter("2023-03", "2023-03"), "2023-03 … 2023-03", True),
    (DateFilter(since="2022"), "since 2022", True),
    (DateFilter(until="2021-12"), "until 2021-12", True),
    (DateFilter(), "any date", False),
])
def test_describe_and_bool(flt, text, truth):
    assert flt.describe() == text
    assert bool(flt) is truth


@pytest.mark.parametrize("explicit, question, expected", [
    (DateFilter(), DateFilter("2022", "2022", "vorig jaar"), DateFilter("2022", "2022", "vorig jaar")),
    (DateFilter("2020", "2021"), DateFilter("2022", "2022", "vorig jaar"), DateFilter("2020", "2021")),
    (DateFilter(since="2020"), DateFilter("2022", "2022", "in 2022"), DateFilter("2020", "2022", "in 2022")),
    (DateFilter(until="2023-06"), DateFilter("2022", "2022", "in 2022"),
     DateFilter("2022", "2023-06", "in 2022")),
    (DateFilter(since="2020"), DateFilter(until="2021", phrase="voor 2022"),
     DateFilter("2020", "2021", "voor 2022")),
    (DateFilter(since="2020"), DateFilter(since="2022", phrase="sinds 2022"), DateFilter(since="2020")),
    (DateFilter(until="2019"), DateFilter(), DateFilter(until="2019")),
    (DateFilter(), DateFilter(), DateFilter()),
])
def test_merge(explicit, question, expected):
    assert merge(explicit, question) == expected


@pytest.mark.parametrize("value, expected", [
    ("2023", "2023"), ("2023-01", "2023-01"), ("2023-01-15", "2023-01-15"),
    (" 2024-02-29 ", "2024-02-29"), ("1899-12-31", "1899-12-31"),
])
def test_validate_iso_accepts(value, expected):
    assert validate_iso(value) == expected


@pytest.mark.parametrize("value", [
    "", "   ", "23", "20231", "2023-1", "2023-13", "2023-00", "2023-02-30", "2023-01-32",
    "2023/01", "01-2023", "maart 2023", "2023-01-15T10:00", "0000",
])
def test_validate_iso_rejects(value):
    with pytest.raises(InputError, match=r"not a date \(use YYYY, YYYY-MM or YYYY-MM-DD\)"):
        validate_iso(value)


@pytest.mark.parametrize("since, until", [("2023-13", None), (None, "2023-02-30"), ("maart", None)])
def test_date_filter_rejects_bad_sides(since, until):
    with pytest.raises(InputError):
        DateFilter(since, until)


def test_the_years_a_text_names_are_years_not_amounts_or_distances():
    text = "De Raad van State zette in 2019 een streep, 2019 euro, de 2019e, 2019 meter, 1500 meter, sinds 2021."
    assert years_of(text) == {"2019", "2021"}
    assert years_of(without_years(text)) == set()


@pytest.mark.parametrize("asked, searched", [
    (DateFilter("2021", "2021", "in 2021"), DateFilter("2021", "2022-06", "in 2021")),
    (DateFilter("2025-07", "2026-03", "tussen juli 2025 en maart 2026"), DateFilter("2025-07", "2026-09", "tussen juli 2025 en maart 2026")),
    (DateFilter(None, "2023-03-15", "voor 15 maart 2023"), DateFilter(None, "2023-09", "voor 15 maart 2023")),
    (DateFilter("2021", None, "sinds 2021"), DateFilter("2021", None, "sinds 2021")),  # no end: nothing to move
    (DateFilter(), DateFilter()),
])
def test_the_articles_a_questions_dates_keep_run_six_months_past_its_end(asked, searched):
    assert reported_by(asked) == searched
