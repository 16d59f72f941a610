"""Serving processes load their models once, before the first question (``Chatbot.warm_up``).

Providers are counted (each ``rag.providers.build_*`` wraps the real one or returns a fake), so a
test can see that the first answer after a warm-up builds and loads nothing.
"""

from __future__ import annotations

from collections import Counter

import pytest

from rag import providers
from tests.conftest import ARTICLES, make_settings
from tests.fakes import AnsweringChatModel, yes_when

QUESTION = "Hoeveel extra geld zegde Blinken de regio toe?"


class LoadingChatModel(AnsweringChatModel):
    """A scripted model that, like ``ChatLlamaCpp``, has ``prime(prompts)`` (load, and prepare the
    prompts' system parts); it counts the calls and keeps the system messages it was given."""

    loads: int = 0
    primed: list = []

    def prime(self, prompts) -> None:
        self.loads += 1
        self.primed = [messages[0].text for messages in prompts]


@pytest.fixture
def counted(monkeypatch, fake_embeddings):
    """``rag.providers`` with every build counted: the fake embedder and model, real Chroma and BM25."""
    from langchain_core.messages import AIMessage

    built: Counter = Counter()
    llm = LoadingChatModel(messages=iter([AIMessage("Blinken zegde 25 miljoen dollar toe [1].")] * 3), seen=[],
                           yes=yes_when("25 miljoen"))

    def counting(name, make):
        def build(*args, **kwargs):
            built[name] += 1
            return make(*args, **kwargs)
        monkeypatch.setattr(providers, name, build)

    counting("build_embeddings", lambda settings: fake_embeddings)
    counting("build_llm", lambda settings: llm if settings.answer_mode == "local" else None)
    counting("build_index", providers.build_index)
    counting("build_keyword_index", providers.build_keyword_index)
    return built, llm


def test_the_first_answer_after_warm_up_builds_and_loads_nothing(tmp_path, counted):
    from newsrag.chatbot import Chatbot

    built, llm = counted
    settings = make_settings(tmp_path / "home", answer_mode="local", min_score=0.0)
    Chatbot(settings).ingest([ARTICLES])  # an earlier process filled the index
    built.clear()

    bot = Chatbot(settings)  # a serving process starts
    bot.warm_up()
    assert built == {"build_embeddings": 1, "build_index": 1, "build_keyword_index": 1, "build_llm": 1}
    assert llm.loads == 1 and llm.seen == []  # loaded, but asked nothing
    from rag.prompts import JUDGE_SYSTEM, PHRASE_SYSTEM, REWRITE_SYSTEM

    # every system prompt it uses
    assert llm.primed == [JUDGE_SYSTEM, PHRASE_SYSTEM["nl"], PHRASE_SYSTEM["en"], REWRITE_SYSTEM]
    after_warm_up = dict(built)

    answer = bot.ask(QUESTION)
    assert not answer.abstained and "25 miljoen" in answer.answer
    assert dict(built) == after_warm_up and llm.loads == 1  # the question built and loaded nothing


def test_warm_up_on_an_empty_index_and_in_extractive_mode(tmp_path, counted):
    from newsrag.chatbot import Chatbot

    built, llm = counted
    bot = Chatbot(make_settings(tmp_path / "home", answer_mode="extractive"))
    bot.warm_up()
    assert built["build_embeddings"] == 1 and llm.loads == 0  # no chat model in extractive mode


class Recorder:
    """Stands in for the bot and the servers: records what is called, in order."""

    def __init__(self, calls: list, settings=None):
        self.calls = calls
        self.settings = settings

    def hold_writer(self, wait: float = 2.0) -> None:
        self.calls.append("hold_writer")

    def warm_up(self, mode=None) -> float:
        self.calls.append("warm_up")
        return 0.0


def test_serve_warms_up_before_it_listens(tmp_path, monkeypatch):
    import uvicorn

    from newsrag.http import server

    calls: list = []
    monkeypatch.setattr(server, "create_app", lambda bot, ui=True: calls.append("create_app") or "app")
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append("listen"))
    server.serve(Recorder(calls, make_settings(tmp_path / "home")), ui=False)
    assert calls == ["hold_writer", "warm_up", "create_app", "listen"]


def test_the_uvicorn_factory_warms_up(tmp_path, monkeypatch):
    from newsrag import chatbot
    from newsrag.http import server

    calls: list = []
    monkeypatch.setattr(chatbot.Chatbot, "from_settings", classmethod(lambda cls, settings=None, **kw: Recorder(calls)))
    monkeypatch.setattr(server, "create_app", lambda bot, ui=True: calls.append("create_app") or "app")
    monkeypatch.setenv("NEWSRAG_HOME", str(tmp_path / "home"))
    assert server.app_from_env() == "app"
    assert calls == ["hold_writer", "warm_up", "create_app"]


def test_mcp_warms_up_before_it_serves(tmp_path, monkeypatch):
    from newsrag import chatbot, mcp_server

    calls: list = []

    class Server:
        def run(self, transport):
            calls.append(f"serve {transport}")

    monkeypatch.setattr(chatbot.Chatbot, "from_settings", classmethod(lambda cls, settings=None, **kw: Recorder(calls)))
    monkeypatch.setattr(mcp_server, "build_server", lambda bot: Server())
    mcp_server.run_mcp(make_settings(tmp_path / "home"))
    assert calls == ["warm_up", "serve stdio"]


def test_the_chat_ui_warms_up_before_it_serves(monkeypatch):
    from ui import chat

    calls: list = []

    class App:
        def queue(self, **kw):
            calls.append("queue")

        def launch(self, **kw):
            calls.append("serve")

    monkeypatch.setattr(chat, "build_app", lambda bot: App())
    chat.launch(Recorder(calls), port=1)
    assert calls == ["warm_up", "queue", "serve"]


@pytest.mark.llm
def test_warm_up_loads_the_local_model(sample_home, real_embeddings):
    """The real thing: after the warm-up the GGUF weights are in memory, before any question."""
    from newsrag.chatbot import Chatbot

    bot = Chatbot(make_settings(sample_home, answer_mode="local"), embeddings=real_embeddings)
    bot.warm_up()
    llm = bot.llm_for("local")
    assert llm._llama is not None
    assert len(llm._snapshots._saved) == 4  # the judge's, both phrase prompts' and the rewrite's fixed parts, ready
    assert len(list(make_settings(sample_home).llm_prefix_cache_dir.glob("*.llstate"))) == 4  # and saved
    bot.close()
    assert llm._llama is None  # the bot frees the model it loaded
