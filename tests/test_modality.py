"""rag.modality: a sentence that only looks ahead says nothing about what happened."""

from __future__ import annotations

import pytest

from rag.modality import asks_ahead, looks_ahead, only_ahead

STROE = ("Voor volgende week woensdag staat een grote manifestatie in het Gelderse Stroe gepland, waar de "
         "organisatoren 35.000 boeren met trekkers verwachten.")
G20 = ("Deze woensdag en donderdag vergaderen bovendien de ministers van buitenlandse zaken van de G20 in India, "
       "waar Blinken mogelijk zijn Russische ambtgenoot Sergej Lavrov tegen het lijf zal lopen.")
EPEN = "De eerste buffer, bij Epen, moet in 2025 klaar zijn; de laatste in 2027."


@pytest.mark.parametrize("sentence", [STROE, G20, EPEN, "Het kabinet overweegt een verbod.",
                                      "Het is mogelijk dat de staking langer duurt.",
                                      "The summit is set to take place in June.", "Turnout was expected to be high."])
def test_a_sentence_that_expects_plans_or_allows_looks_ahead(sentence):
    assert looks_ahead(sentence)


@pytest.mark.parametrize("sentence", [
    "In Meerssen werd verpleeghuis Sint-Jozef met 86 bewoners ontruimd.",
    "De verboden gaan zes maanden na de inwerkingtreding in.",
    "Het waterschap wil zo snel mogelijk beginnen.",  # "zo snel mogelijk": as soon as possible
    "Zoveel mogelijk boeren deden mee.",
    "De nieuwe wet maakt gezichtsherkenning in openbare ruimtes mogelijk.",  # "maakt … mogelijk": enables
    "Dat werd mogelijk gemaakt door de provincie.",
    "Volgens het kabinet moet de uitstoot met 70 procent dalen.",  # a duty, not a plan
    "Moskou verweet Biden dat hij niet was ingegaan op een gesprek dat door iedereen te volgen zou zijn.",
    "Farmers were paid 40 million euros.",
])
def test_a_sentence_about_what_happened_or_holds_does_not(sentence):
    assert not looks_ahead(sentence)


@pytest.mark.parametrize("question, ahead", [
    ("Kwamen er bij de manifestatie in Stroe daadwerkelijk 35.000 boeren?", False),
    ("Did Blinken actually meet Lavrov at the G20 meeting in India?", False),
    ("Was the new rain buffer at Epen completed on schedule?", False),
    ("Will the AI Act's bans take effect after two years?", True),
    ("Komen er regels voor grote taalmodellen?", True),
    ("Zal Blinken Lavrov ontmoeten?", True),
    ("Is a new strike planned?", True),
    ("Verwacht LTO meer protesten?", True),
])
def test_a_question_asks_ahead_only_by_an_unmistakable_word(question, ahead):
    assert asks_ahead(question) is ahead


def test_only_a_question_that_does_not_itself_look_ahead_is_left_unanswered_by_an_expectation():
    assert only_ahead("Kwamen er bij de manifestatie in Stroe daadwerkelijk 35.000 boeren?", STROE)
    assert not only_ahead("Wordt er een manifestatie in Stroe verwacht?", STROE)
    assert not only_ahead("Was Meerssen's nursing home evacuated?", "In Meerssen werd verpleeghuis Sint-Jozef ontruimd.")
