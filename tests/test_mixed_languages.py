"""An index of Dutch and English articles: keyword search must not bury the other language.

BM25 matches words, so a Dutch question's keyword ranks favour Dutch passages that share "nieuwe"
or "moeten", and an English article that dense search ranks first by meaning fell out of the five
passages (found trying an English article as a new user would). ``fuse`` now takes a passage in
another language than the question as no worse for keywords than for meaning, and among the
sentences of such passages, those in the other language are lifted by the gap measured between
same- and cross-language relevance (``rag.language.CROSS_LANGUAGE_GAP``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from newsrag.chatbot import Chatbot
from rag.evidence import Evidence, Unit
from rag.language import CROSS_LANGUAGE_GAP, language_lift
from rag.records import Hit
from rag.retrieval import blind_to_keywords, fuse, lifted
from tests.conftest import ARTICLES, make_settings

WIND = """---
title: Cabinet opens tender for two new offshore wind farms
date: 2025-03-14
---

THE HAGUE - The Dutch cabinet on Friday opened the tender for two new wind farms in the North Sea,
off the coast of IJmuiden. Together the farms must add 4 gigawatts of capacity, enough for about
five million households.

Climate minister Sophie Hermans said the farms have to be running by the end of 2031. "Without more
wind at sea we will not reach our climate goals," she said at a press conference in The Hague.

Unlike earlier rounds, the state will pay a subsidy of up to 1 billion euros, because rising
interest rates and higher prices for steel made the projects unprofitable. Last year no company bid
in a tender off the Wadden islands.

Companies can submit bids until 30 September. The winners will be announced early next year.
Fishermen's organisation VisNed criticised the plan: its members lose fishing grounds of about 900
square kilometres.
"""


def hit(chunk_id: str, language: str, score: float = 0.8) -> Hit:
    return Hit(chunk_id, chunk_id, "", "", "", 0, 0, "", score, language)


def test_a_passage_in_another_language_is_ranked_by_meaning_as_if_in_the_questions() -> None:
    # An English question over Dutch articles and an English one: the English passages' similarities
    # run higher by language alone (trial 10's "how deep do the foundation piles …?": 0.82 for a wind
    # farm, 0.80 for the bridge).
    dense = [hit("en-wind", "en", 0.82), hit("nl-bridge", "nl", 0.80), hit("en-flood", "en", 0.79),
             hit("nl-other", "nl", 0.70)]
    order = lifted(dense, "en")
    assert [h.chunk_id for h in order] == ["nl-bridge", "en-wind", "en-flood", "nl-other"]
    assert [h.score for h in order] == [0.80, 0.82, 0.79, 0.70]  # each keeps its real similarity
    # lifted by the gap, not more: a passage further behind stays behind
    assert [h.chunk_id for h in lifted([hit("en-1", "en", 0.87), hit("nl-1", "nl", 0.80)], "en")] == ["en-1", "nl-1"]
    # one language among the passages, or the question's unknown or absent: the order as it was
    dutch = [hit("nl-1", "nl", 0.9), hit("nl-2", "nl", 0.8)]
    assert [h.chunk_id for h in lifted(dutch, "en")] == ["nl-1", "nl-2"]
    assert [h.chunk_id for h in lifted(dense, "")] == ["en-wind", "nl-bridge", "en-flood", "nl-other"]
    assert [h.chunk_id for h in lifted(dense, "de")] == ["en-wind", "nl-bridge", "en-flood", "nl-other"]


def test_a_passage_keyword_search_cannot_match_keeps_its_dense_rank() -> None:
    dense = ["en-1", "nl-2", "nl-3", "nl-4"]
    keyword = ["nl-2", "nl-4", "nl-3"]
    assert [cid for cid, _ in fuse(dense, keyword, 0.3)][0] == "nl-2"  # before: the English passage lost
    fused = fuse(dense, keyword, 0.3, blind={"en-1"})
    assert [cid for cid, _ in fused][0] == "en-1"
    scores = dict(fused)
    assert scores["en-1"] == pytest.approx(1 / 61)  # as if keyword search had ranked it first too
    assert scores["nl-2"] == pytest.approx(0.7 / 62 + 0.3 / 61)  # the others are scored as before


def test_a_keyword_rank_better_than_the_dense_rank_is_kept() -> None:
    # An English passage that shares a name or number with a Dutch question keeps that advantage.
    fused = dict(fuse(["nl-1", "en-2"], ["en-2", "nl-1"], 0.3, blind={"en-2"}))
    assert fused["en-2"] == pytest.approx(0.7 / 62 + 0.3 / 61)


def test_only_a_mixed_set_of_passages_is_blind() -> None:
    mixed = [hit("en-1", "en"), hit("nl-2", "nl"), hit("old", "")]
    assert blind_to_keywords("Wanneer moeten de nieuwe windparken draaien?", mixed) == {"en-1"}
    assert blind_to_keywords("When must the new wind farms be running?", mixed) == {"nl-2"}
    # English questions over Dutch articles: keyword search is equally blind to all of them and
    # still finds shared names and numbers, so their ranks are left as they are.
    dutch = [hit("nl-1", "nl"), hit("nl-2", "nl")]
    assert blind_to_keywords("When must the new wind farms be running?", dutch) == set()
    assert blind_to_keywords("Wanneer moeten de windparken draaien?", dutch) == set()
    # A question without function words has no known language: nothing is told apart (it used to
    # count as Dutch, which would have favoured the English passages of "Offshore wind subsidy?").
    assert blind_to_keywords("Offshore wind subsidy amount?", mixed) == set()


def test_a_sentence_in_another_language_is_lifted_only_in_mixed_evidence() -> None:
    assert language_lift(["nl", "en", "en", ""], "nl").tolist() == pytest.approx([0, CROSS_LANGUAGE_GAP,
                                                                                   CROSS_LANGUAGE_GAP, 0])
    assert language_lift(["nl", "en"], "en").tolist() == pytest.approx([CROSS_LANGUAGE_GAP, 0])
    assert not language_lift(["nl", "nl"], "en").any()  # English questions over Dutch articles: as before
    assert not language_lift(["en", "de"], "nl").any()
    assert not language_lift(["nl", "en"], "").any()  # the question's language unknown


def test_the_lift_is_added_to_relevance() -> None:
    units = [Unit(1, "De windparken draaien eind 2031.", 0, 10), Unit(2, "The farms run by 2031.", 0, 10)]
    vectors = np.array([[1.0, 0.0], [0.8, 0.6]], dtype=np.float32)
    plain = Evidence(units, vectors).relevance("vraag", [1.0, 0.0])
    lifted = Evidence(units, vectors, language_lift(["nl", "en"], "nl")).relevance("vraag", [1.0, 0.0])
    assert (lifted - plain).tolist() == pytest.approx([0.0, CROSS_LANGUAGE_GAP])


def test_a_dutch_question_finds_the_english_article_among_dutch_ones(tmp_path: Path, real_embeddings) -> None:
    (tmp_path / "wind.md").write_text(WIND, encoding="utf-8")
    with Chatbot(make_settings(tmp_path / "home", answer_mode="extractive"), embeddings=real_embeddings) as bot:
        bot.ingest([ARTICLES, tmp_path / "wind.md"])
        check_mixed_index(bot)


def check_mixed_index(bot: Chatbot) -> None:
    # Measured with multilingual-e5-small: dense search ranks the wind passage first (0.848 against
    # 0.833), keyword search does not find it at all; fused the old way it came fourth, after Dutch
    # passages that share "nieuwe" and "moeten".
    hits = bot.search("Wanneer moeten de nieuwe windparken draaien?", k=5)
    assert hits[0].doc_id == "wind", [(h.doc_id, round(h.score, 3)) for h in hits]
    assert hits[0].language == "en"
    # Its sentence is the extractive answer: the Dutch sentences' shared words no longer outrank it.
    answer = bot.ask("Hoeveel vierkante kilometer visgrond verliezen de vissers?")
    assert "about 900 square kilometres [1]" in " ".join(answer.answer.split()), answer.answer
    assert [c.doc_id for c in answer.citations] == ["wind"]
    # Without the lift a Dutch sentence that shares "plan" won the second ("Wat is Xi van plan?").
    bids = bot.ask("Tot wanneer kunnen bedrijven een bod doen?")
    assert "Companies can submit bids until 30 September" in bids.answer, bids.answer
    critics = bot.ask("Wie bekritiseerde het plan voor de windparken?")
    assert "VisNed criticised the plan" in critics.answer, critics.answer
    # The sample articles' own Dutch questions still come from them.
    assert bot.search("Hoeveel extra geld zegde Blinken de regio toe?", k=5)[0].doc_id == "000_9dbccd1724277ce9"
    # An English question about the Dutch articles: the English wind article (0.800, third by raw
    # similarity, measured) no longer takes a place among the five; by meaning the Dutch passages
    # (0.784-0.847) are as close once the gap between languages is allowed for (``lifted``).
    g20 = bot.search("When will the G20 foreign ministers meet?", k=5)
    assert "wind" not in [h.doc_id for h in g20], [(h.doc_id, round(h.score, 3)) for h in g20]
