"""The chat app's callbacks, without a browser: streaming order, history, errors, ingest while answering.

A real Chatbot on a temporary Chroma with the fake embedder, answering extractively.
"""

from __future__ import annotations

import logging
import re
import threading

import gradio as gr
import pytest

from newsrag.chatbot import Chatbot
from rag.answer import REFUSALS
from tests.conftest import ARTICLES, make_settings
from tests.fakes import BagOfWordsEmbeddings
from ui import chat

QUESTION = "Hoeveel extra geld zegde Blinken de regio toe?"


class GatedEmbeddings(BagOfWordsEmbeddings):
    """Holds any embedding call for texts containing ``gate_word`` until released."""

    def __init__(self, gate_word: str):
        super().__init__()
        self.gate_word = gate_word
        self.entered, self.release = threading.Event(), threading.Event()

    def embed_documents(self, texts):
        if any(self.gate_word in t for t in texts):
            self.entered.set()
            assert self.release.wait(30)
        return super().embed_documents(texts)


@pytest.fixture
def bot(tmp_path):
    bot = Chatbot(make_settings(tmp_path / "home", answer_mode="extractive", min_score=0.0),
                  embeddings=GatedEmbeddings("Zwolle"))
    bot.ingest([ARTICLES])
    return bot


def shown(question: str) -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": "…"}]


def test_build_app_loads_nothing(tmp_path):
    bot = Chatbot(make_settings(tmp_path / "home"))
    app = chat.build_app(bot)
    assert isinstance(app, gr.Blocks)
    assert not {"embeddings", "index", "keywords", "retriever"} & bot.__dict__.keys()
    assert not bot._llms and not bot._chains
    assert not (tmp_path / "home").exists()


def test_a_reply_in_progress_blocks_a_new_question():
    assert chat.answering(shown("q"))
    assert chat.answering([{"role": "user", "content": "q"}, {"role": "assistant", "content": "Het was ▍"}])
    assert not chat.answering([{"role": "user", "content": "q"}, {"role": "assistant", "content": "Klaar [1]."}])
    assert not chat.answering([])


def test_server_mode_is_offered_only_when_configured(tmp_path):
    choices, note = chat.mode_choices(make_settings(tmp_path))
    assert [v for _, v in choices] == ["local", "extractive"] and "NEWSRAG_SERVER_BASE_URL" in note
    choices, note = chat.mode_choices(make_settings(tmp_path, server_base_url="http://127.0.0.1:9/v1"))
    assert [v for _, v in choices] == ["local", "extractive", "server"]


def test_reply_streams_sources_first_then_the_checked_answer(bot):
    replies = list(chat.stream_reply(bot, QUESTION, shown(QUESTION), [], k=4))
    first, last = replies[0], replies[-1]
    assert "nr-pending" in first.sources and first.why is None
    assert first.view[-1]["content"].endswith("▍")
    assert "nr-cited" in last.sources and "<mark>" in last.sources
    assert "nr-why" in last.why and last.status == ""
    assert "#src-" in last.view[-1]["content"] and not last.view[-1]["content"].endswith("▍")
    assert last.view[0] == {"role": "user", "content": QUESTION}
    assert last.turns[0] == {"role": "user", "content": QUESTION}
    assert last.turns[1]["role"] == "assistant" and "<" not in last.turns[1]["content"]


def test_history_is_plain_text_passed_to_the_bot(bot):
    seen = []
    real_stream = bot.stream

    def spy(question, history=(), **options):
        seen.append(list(history))
        return real_stream(question, history, **options)

    bot.stream = spy
    first = list(chat.stream_reply(bot, "Welke groep ontmoette Blinken in Centraal-Azië?", shown("x"), []))[-1]
    follow = list(chat.stream_reply(bot, "Hoeveel geld zegde hij daar toe?", [*first.view, *shown("y")],
                                    first.turns))[-1]
    assert seen[1] == first.turns and len(seen[1]) == 2
    # searched as the earlier question, the first sentence of the earlier answer, and the follow-up
    assert re.search(r"Welke groep ontmoette Blinken in Centraal-Azië\? De Amerikaanse [^<]*\. Hoeveel geld zegde "
                     r"hij daar toe\?", follow.why), follow.why
    assert len(follow.view) == 4 and len(follow.turns) == 4


def test_a_bad_date_is_one_readable_line(bot):
    last = list(chat.stream_reply(bot, QUESTION, shown(QUESTION), [], since="2023-13"))[-1]
    assert last.status.startswith("⚠") and "2023\\-13" in last.status and "Traceback" not in last.status
    assert "nr-error" in last.view[-1]["content"] and last.turns == []


def test_a_bug_is_logged_and_shown_without_its_message(bot, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    bot.stream = broken
    with caplog.at_level(logging.ERROR, logger="ui.chat"):
        last = list(chat.stream_reply(bot, QUESTION, shown(QUESTION), []))[-1]
    assert "RuntimeError" in last.status and "secret" not in last.status and "secret" not in str(last.view)
    assert "secret internals" in caplog.text  # with its traceback, in the log


def test_an_abstention_replaces_the_streamed_text(tmp_path):
    bot = Chatbot(make_settings(tmp_path / "home", answer_mode="extractive", min_score=0.99),
                  embeddings=BagOfWordsEmbeddings())
    bot.ingest([ARTICLES])
    last = list(chat.stream_reply(bot, "Wie won de Tour de France in 2022?", shown("q"), []))[-1]
    assert "nr-abstain" in last.view[-1]["content"] and REFUSALS["nl"] in last.view[-1]["content"]


def test_ingest_reports_counts_and_skipped_files_by_name(bot, tmp_path):
    upload = tmp_path / "gradio-tmp" / "a1b2"
    upload.mkdir(parents=True)
    (upload / "zwolle.md").write_text("# Zwolle\n\nDe gemeenteraad van Zwolle besprak de begroting.\n")
    (upload / "leeg.txt").write_text("")
    seen = []
    bot.embeddings.release.set()
    status = chat.ingest_files(bot, [str(upload / "zwolle.md"), str(upload / "leeg.txt")],
                               progress=lambda value, desc: seen.append((value, desc)))
    assert "1 added" in status and "1 skipped" in status and "articles in the index" in status
    assert "leeg\\.txt: empty file" in status and str(upload) not in status
    assert seen and seen[-1][0] == 1.0
    assert chat.ingest_files(bot, []) == "Geen bestanden ontvangen."


def test_a_question_during_an_ingest_is_answered(bot, tmp_path):
    article = tmp_path / "zwolle.md"
    article.write_text("# Zwolle\n\nDe gemeenteraad van Zwolle besprak de begroting van 3 miljoen euro.\n")
    result = {}
    writer = threading.Thread(target=lambda: result.setdefault("status", chat.ingest_files(bot, [str(article)])))
    writer.start()
    assert bot.embeddings.entered.wait(10)  # the ingest holds the write lock, halfway through
    last = list(chat.stream_reply(bot, QUESTION, shown(QUESTION), []))[-1]
    assert last.status == "" and "25 miljoen dollar" in last.sources
    bot.embeddings.release.set()
    writer.join(30)
    assert "1 added" in result["status"]
    after = list(chat.stream_reply(bot, "Wat besprak de gemeenteraad van Zwolle?", shown("q"), []))[-1]
    # Failed once in a full CI run under load (not reproduced in 40 runs alone): say where Zwolle was lost.
    assert "Zwolle" in after.sources, {
        "in the index": "zwolle" in {d.doc_id for d in bot.documents()},
        "keyword hits": bot.keywords.search("gemeenteraad zwolle", 3),
        "search": [h.doc_id for h in bot.search("Wat besprak de gemeenteraad van Zwolle?")]}
