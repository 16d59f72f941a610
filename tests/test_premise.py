"""The premise clause a question states, and the question without it (``rag.premise``)."""

from __future__ import annotations

import pytest

from rag.premise import premise_cut


@pytest.mark.parametrize("question, cut", [
    ("Waar is Marloes van Dijk gaan werken nadat ze vertrok als wethouder?", "Waar is Marloes van Dijk gaan werken?"),
    ("Wie was de tipgever die de beloning kreeg voor het schilderij?", "Wie was de tipgever?"),
    ("Hoeveel boeren heeft het waterschap al beboet omdat ze toch beregenden?", "Hoeveel boeren heeft het waterschap al beboet?"),
    ("Where does Lotte Wijnbergen work now that she has left the museum?", "Where does Lotte Wijnbergen work?"),
    ("What is the name of the judge who presided over the case?", "What is the name of the judge?"),
    ("How many freight trains were cancelled because of the strike?", "How many freight trains were cancelled?"),
    ("Wat kost een tienrittenkaart voor De Wielen, sinds de heropening?", "Wat kost een tienrittenkaart voor De Wielen?"),
    # a particle before the conjunction is the verb's, not a preposition that binds the clause
    ("Welke sancties kondigde Biden aan nadat Moskou zijn ambassadeur terugriep?", "Welke sancties kondigde Biden aan?"),
    ("Hoe heet de man die de loterij won?", "Hoe heet de man?"),
    ("Wat kost de kaart – sinds de heropening?", "Wat kost de kaart?"),  # no dash left dangling
])
def test_a_clause_that_states_a_premise_is_cut_off(question, cut):
    assert premise_cut(question) == cut


@pytest.mark.parametrize("question", [
    "Hoe heet de nieuwe directeur van het museum?",  # no clause
    "Why is the KNMI certain that the storms will bring relief?",  # "that" after an adjective: what is asked
    "What did Lukashenko accuse the United States of shortly after arriving in Beijing?",  # bound: "shortly after"
    "How long has it been since most of the country last saw rain?",  # the clause is what is asked
    "Besides the United States, which countries are members of the Quad?",  # "which" asks, after a comma
    "Along the brook where fish died after the fire, how much farmland holds PFAS?",  # the clause asks the question
    "Wat is er sinds de sluiting gebeurd met de club?",  # too little left to ask anything
    "Which official said in 2021 that the buffers were too small?",  # "that" after a number: what was said
    "Hoe heet de grote man die vertrok?",  # a clause of one word says nothing
    "Wat zei Blinken tijdens die ontmoeting in Alaska?",  # "die" after a preposition: a demonstrative
    "What did Blinken discuss during that meeting in Alaska?",
    "What is the West worried that companies in Central Asia might do?",  # "that" after a participle
    "Why did the minister announce that the plan would stop?",  # ... and after a verb of saying
    "Wie kreeg de beloning die werd uitgeloofd? Die van 2020?",  # two questions, no question word
    "Wie kreeg de beloning die werd uitgeloofd",  # no question mark
    "What did the judge who presided over the case rule?",  # a relative clause mid-question: no verb left
    "Waar werkt ze nu?",
    "Wie was de tipgever die de beloning kreeg? En waarom?",  # two questions: not one clause at the end
    "",
])
def test_no_clause_is_cut_where_none_can_be_cut_cleanly(question):
    assert premise_cut(question) is None
