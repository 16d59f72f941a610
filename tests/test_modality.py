"""rag.modality: a sentence that only looks ahead says nothing about what happened."""

from __future__ import annotations

import pytest

from rag.modality import asks_past, looks_ahead, only_ahead

STROE = ("Voor volgende week woensdag staat een grote manifestatie in het Gelderse Stroe gepland, waar de "
         "organisatoren 35.000 boeren met trekkers verwachten.")
G20 = ("Deze woensdag en donderdag vergaderen bovendien de ministers van buitenlandse zaken van de G20 in India, "
       "waar Blinken mogelijk zijn Russische ambtgenoot Sergej Lavrov tegen het lijf zal lopen.")
EPEN = "De eerste buffer, bij Epen, moet in 2025 klaar zijn; de laatste in 2027."


@pytest.mark.parametrize("sentence", [STROE, G20, EPEN, "Het kabinet overweegt een verbod.",
                                      "Misschien duurt de staking langer.", "Het is mogelijk dat de staking langer duurt.",
                                      "The summit is set to take place in June.", "Turnout was expected to be high.",
                                      "Farmers may join the protest.", "The ministers will meet in Delhi."])
def test_a_sentence_that_expects_plans_or_allows_looks_ahead(sentence):
    assert looks_ahead(sentence)


@pytest.mark.parametrize("sentence", [
    "In Meerssen werd verpleeghuis Sint-Jozef met 86 bewoners ontruimd.",
    "Het waterschap wil zo snel mogelijk beginnen.",  # "zo snel mogelijk": as soon as possible
    "Zoveel mogelijk boeren deden mee.",
    "De nieuwe wet maakt gezichtsherkenning in openbare ruimtes mogelijk.",  # "maakt … mogelijk": enables
    "Dat werd mogelijk gemaakt door de provincie.",
    "De gemeente trekt 1,2 miljoen euro uit om de belbus mogelijk te maken.",  # review: "mogelijk te maken"
    "Een oplossing bleek niet mogelijk.",
    "Volgens het kabinet moet de uitstoot met 70 procent dalen.",  # a duty, not a plan
    "Moskou verweet Biden dat hij niet was ingegaan op een gesprek dat door iedereen te volgen zou zijn.",
    "In totaal werden 214 geplande operaties uitgesteld.",  # an adjective
    "De heropening kwam drie maanden later dan gepland.",  # a comparison
    "Op de manifestatie kwamen 40.000 boeren, meer dan de organisatoren hadden verwacht.",
    "On 3 May, 35,000 farmers gathered in Stroe.",  # the month
    "Against their will, residents left their homes.",  # the noun
    "Farmers were paid 40 million euros.",
])
def test_a_sentence_about_what_happened_or_holds_does_not(sentence):
    assert not looks_ahead(sentence)


def test_only_the_clause_about_what_is_asked_counts():
    schuld = "In the village of Schuld, six houses were carried off entirely and a dozen more will have to be demolished."
    assert looks_ahead(schuld)  # its second clause
    assert not looks_ahead(schuld, "Were houses carried off in Schuld?")
    assert looks_ahead(schuld, "Were a dozen more demolished?")


@pytest.mark.parametrize("question, past", [
    ("Kwamen er bij de manifestatie in Stroe daadwerkelijk 35.000 boeren?", True),
    ("Did Blinken actually meet Lavrov at the G20 meeting in India?", True),
    ("Was the new rain buffer at Epen completed on schedule?", True),
    ("Heeft Blinken Lavrov gesproken?", True),
    ("Bedankte Tokajev Blinken?", True),
    ("Is the AI Act in force?", False),
    ("Geldt er een sproeiverbod?", False),
    ("Overweegt het kabinet een vuurwerkverbod?", False),
    ("Komt Blinken naar de G20?", False),
    ("Worden de WK volgend jaar in Calgary verreden?", False),
])
def test_a_question_asks_about_the_past_by_its_first_word_or_by_asking_what_really_happened(question, past):
    assert asks_past(question) is past


@pytest.mark.parametrize("question, sentence, refused", [
    ("Kwamen er bij de manifestatie in Stroe daadwerkelijk 35.000 boeren?", STROE, True),
    ("Did Blinken actually meet Lavrov at the G20 meeting in India?", G20, True),
    ("Was the new rain buffer at Epen completed on schedule?", EPEN, True),
    ("Ging de geplande manifestatie in Stroe door?", STROE, False),  # the question speaks of the plan itself
    ("Verzekerde Biden dat Poetin een prijs zal betalen?", "Biden verzekerde dat Poetin een prijs zal betalen.", False),
    ("Overweegt het kabinet een vuurwerkverbod?", "Het kabinet overweegt een vuurwerkverbod.", False),  # not the past
    ("Wordt er een manifestatie in Stroe verwacht?", STROE, False),
    # no time after the article's: the plan may be the answer "not yet" to a question that assumes it happened
    ("Heeft de bond gestaakt?", "De bond overweegt een staking.", False),
    ("Heeft de bond gestaakt?", "De bond overweegt volgende maand een staking.", True),
    ("Heeft het waterschap al besloten het verbod te verlengen?", "Het waterschap beslist volgende week of het verbod "
                                                                   "mogelijk wordt verlengd.", False),  # "al": not yet
    ("Was Meerssen's nursing home evacuated?", "In Meerssen werd verpleeghuis Sint-Jozef ontruimd; de bewoners zullen "
                                               "volgende week terugkeren.", False),  # the clause that names Meerssen
])
def test_only_a_question_about_the_past_is_left_unanswered_by_an_expectation(question, sentence, refused):
    assert only_ahead(question, sentence) is refused
