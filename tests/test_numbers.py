"""The numbers a text states, read into one form whatever their language (rag.numbers), and the
citation check's use of them (rag.citations)."""

from __future__ import annotations

import pytest

from rag.citations import facts_ok, restates
from rag.numbers import numbers


@pytest.mark.parametrize("text, expected", [
    # thousands in either language's separator, decimals in either
    ("2,300 staff", {"2300"}), ("zo'n 2.300 medewerkers", {"2300"}), ("2300 medewerkers", {"2300"}),
    ("1.234.567 euro", {"1234567"}), ("26,5 miljoen", {"26.5"}), ("26.5 million", {"26.5"}), ("0,125 gram", {"0.125"}),
    # number words, single, fused to a duration, and compounds of either language
    ("vier kilometer", {"4"}), ("een driedaags staatsbezoek", {"3"}), ("a three-day state visit", {"3"}),
    ("eenentwintig maanden", {"21"}), ("twenty-one months", {"21"}), ("drieëntwintig tuinen", {"23"}),
    ("negenduizend mensen", {"9000"}), ("nine thousand people", {"9000"}),
    ("tweehonderdvijftig", {"250"}), ("two hundred and fifty", {"250"}), ("vijfenzeventig procent", {"75"}),
    ("between five and six", {"5", "6"}), ("five six", {"5", "6"}),  # two numbers, not eleven
    ("the two three-day visits", {"2", "3"}), ("fifty-fifty", {"50"}), ("hundred hundred", {"100"}),
    # a capital does not change a number (the review of stop 42: "Thirty-five" was read as 5)
    ("Thirty-five farms", {"35"}), ("Nine thousand people", {"9000"}), ("Two hundred and fifty cows", {"250"}),
    ("TWENTY-FIVE", {"25"}), ("Forty-two thousand", {"42000"}), ("Eenentwintig maanden", {"21"}),
    ("één dag", {"1"}), ("for one day", {"1"}), ("one of the two leaders", {"2"}), ("Een van beide leiders", set()),
    ("tienduizenden mensen", set()), ("de tweede keer", set()), ("we vieren feest", set()),
    # halves
    ("anderhalf uur", {"1.5"}), ("an hour and a half", {"1.5"}), ("half an hour", {"0.5"}), ("elk halfuur", {"0.5"}),
    ("every half-hour", {"0.5"}), ("gehalveerd", {"0.5"}),
    # clock times, 24-hour
    ("tussen 7.00 en 19.00 uur", {"7:00", "19:00"}), ("from 7 a.m. to 7 p.m.", {"7:00", "19:00"}),
    ("om 12.30", {"12:30"}), ("at 5:00 PM", {"17:00"}), ("12 a.m.", {"0:00"}), ("at 2 PM", {"14:00"}),
    ("5 meter", {"5"}),  # a unit, not a time
    ("at 20.00 in the business club", {"20:00"}),  # a time copied from „om 20.00 uur”
    ("een prijs van 7.50 euro", {"7.50"}), ("€ 7.50", {"7.50"}), ("7,50 euro", {"7.50"}),  # amounts, not times
    ("om 99.99 uur", {"99.99"}), ("85.20 U.S. dollars", {"85.20"}),  # no hour 99, no "u." of "U.S."
    # a date or a mixed form: its parts, alike on both sides
    ("14.11.2023", {"14", "11", "2023"}), ("12,345.67", {"12", "345", "67"}),
])
def test_numbers_are_read_alike_in_either_language(text, expected):
    assert numbers(text) == expected


@pytest.mark.parametrize("answer, quote, ok", [
    ("The two hospitals employed 2,300 staff.", "De twee ziekenhuizen hebben samen zo'n 2300 medewerkers.", True),
    ("The bus runs every half-hour.", "Lijn 74 rijdt elk halfuur naar het ziekenhuis.", True),
    ("The ambulance only runs from 7 a.m. to 7 p.m.", "De extra ambulance rijdt alleen tussen 7.00 en 19.00 uur.", True),
    ("The ambulance only runs from 7 a.m. to 9 p.m.", "De extra ambulance rijdt alleen tussen 7.00 en 19.00 uur.", False),
    ("The book bus stops in Eexterwolde at 2 PM.", "Een bus staat er twee uur en rijdt dan weer weg.", False),
    ("More than 9,000 people are on the waiting list.", "Op de wachtlijst staan meer dan negenduizend mensen.", True),
    ("More than 900 people are on the waiting list.", "Op de wachtlijst staan meer dan negenduizend mensen.", False),
    ("Thirty-five farms were cleared.", "Er werden vijf boerderijen geruimd.", False),
    ("Two hundred and fifty cows died.", "Er stierven honderdvijftig koeien.", False),
])
def test_the_fact_check_compares_numbers_across_their_forms(answer, quote, ok):
    assert facts_ok(answer, quote) is ok


def test_a_year_no_quote_states_fails_the_check():
    # stop 42 tried letting the year of the quote's article through; the review found it dated events
    # wrongly („vorig jaar” is not the article's year) and invented years
    assert not facts_ok("The pool closed in 2024.", "Het zwembad ging vorig jaar dicht.")
    assert not facts_ok("The C5+1 was founded in 2023.", "De C5+1 is in 2015 opgericht.")


def test_a_no_across_languages_is_an_answer_not_a_restatement():
    question = "Will director Bart Koolen stand trial himself in March 2026?"
    assert not restates("Director Bart Koolen will not stand trial himself in March 2026.", question, closeness=0.95)
    assert restates("Director Bart Koolen will stand trial himself in March 2026.", question, closeness=0.95)
    # in the evidence's own language the quote is the better answer, a no as well
    assert restates("Directeur Koolen wordt niet vervolgd.", "Wordt directeur Koolen vervolgd?", closeness=0.95,
                    across_languages=False)


def test_a_sentence_that_only_repeats_the_questions_time_holds_no_number():
    from rag.decide import lacks_answer

    # the question's numbers are left out of the sentence whole and word by word (the review of stop 42)
    assert lacks_answer("Hoeveel mensen kwamen om 19.00 uur naar de vergadering?",
                        "Om 19.00 uur begon de vergadering in het dorpshuis.")
    assert not lacks_answer("Hoeveel mensen kwamen om 19.00 uur naar de vergadering?",
                            "Om 19.00 uur zaten er 120 mensen in het dorpshuis.")
