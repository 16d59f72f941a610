"""Names written as the articles write them (``rag.names.respell``): the pure rules, the keyword
index's lookup of the words it holds, and the effect on a real search of the sample articles."""

from __future__ import annotations

import pytest

from rag.keyword import IndexedArticle, KeywordIndex
from rag.names import named_subject, respell, spellings

HELD = {"loekasjenko": "loekasjenko", "poetin": "poetin", "oekraine": "oekraïne", "wit": "wit",
        "rusland": "rusland", "biden": "biden", "china": "china", "zelenski": "zelenski"}


def held(words: list[str]) -> dict[str, str]:
    return {w: HELD[w] for w in words if w in HELD}


def test_spellings_give_the_dutch_name_first_then_transliterations() -> None:
    assert spellings("putin") == ["poetin"]
    assert spellings("belarus")[0] == "wit-rusland"
    assert "loekasjenko" in spellings("lukashenko")
    assert spellings("zelensky") == ["zelenski"]
    assert "charkiv" in spellings("kharkiv") and "tokajev" in spellings("tokayev")
    assert spellings("biden") == []  # nothing to transliterate


def test_respell_writes_the_names_the_articles_write_otherwise() -> None:
    assert respell("How long did Lukashenko's visit to China last?", held) == \
        "How long did Loekasjenko's visit to China last?"
    assert respell("Why did Belarus send soldiers to Ukraine?", held) == "Why did Wit-Rusland send soldiers to Oekraïne?"
    assert respell("What did Biden call Putin?", held) == "What did Biden call Poetin?"
    assert respell("Wat zei Zelensky?", held) == "Wat zei Zelenski?"


def test_respell_leaves_names_the_articles_hold_or_lack_in_every_spelling() -> None:
    both = {**HELD, "putin": "putin"}  # an index that holds the English spelling too
    assert respell("What did Putin say?", lambda ws: {w: both[w] for w in ws if w in both}) == "What did Putin say?"
    assert respell("Who is Navalny, and what did Shoigu say?", held) == "Who is Navalny, and what did Shoigu say?"
    assert respell("What did Putin say?", lambda ws: {}) == "What did Putin say?"  # no index: unchanged


def test_the_keyword_index_knows_its_words_with_their_accents(tmp_path) -> None:
    keywords = KeywordIndex(tmp_path)
    text = "Loekasjenko bezocht Peking. Poetins oorlog in Oekraïne duurt voort."
    with keywords.writing() as writer:
        writer.put([IndexedArticle("a", "h", "2023-03", [("a#0", text)])])
    found = keywords.spelled(["loekasjenko", "oekraine", "poetin", "lukashenko", "ukraine"])
    assert found == {"loekasjenko": "loekasjenko", "oekraine": "oekraïne", "poetin": "poetin"}
    assert respell("How long did Lukashenko stay in Ukraine?", keywords.spelled) == \
        "How long did Loekasjenko stay in Oekraïne?"
    keywords.close()


def test_an_english_name_is_searched_and_judged_as_the_dutch_article_writes_it(sample_bot) -> None:
    answer = sample_bot.ask("How long did Lukashenko's visit to China last?")
    assert answer.standalone_query == "How long did Loekasjenko's visit to China last?"
    assert answer.language == "en"
    passages = sample_bot.search("Lukashenko")
    assert passages and all("Loekasjenko" in p.text for p in passages[:2])


@pytest.mark.parametrize("question, subject", [
    ("What did Blinken say the US pays close attention to in Central Asia?", "Blinken Central Asia"),
    ("Wie is de nieuwe directeur van FC Veenhorst?", "FC Veenhorst"),
    ("Hoeveel inwoners van Valkenburg aan de Geul werden geëvacueerd?", "Valkenburg aan de Geul"),
    ("Why did The Hague approve the plan?", "The Hague"),  # a group as written
    ("Did The committee meet?", ""),  # "The" alone is a function word
    ("Wie is de nieuwe directeur van de club?", ""),  # names nothing
    ("Blinken arrived when?", ""),  # the first word is the question's, not a name
    ("What did the Dutch cabinet decide about Tata Steel in March?", "Tata Steel"),  # framing and months are no names
    ("Wie is Blinken?", ""),  # nothing but its names: nothing would be left of what it asks
    ("WIE IS DE DIRECTEUR VAN FC VEENHORST?", ""),  # in capitals, likewise
])
def test_the_subject_of_a_question_is_its_names(question, subject):
    assert named_subject(question) == subject
