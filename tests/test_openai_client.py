"""The official ``openai`` client, pointed at a real newsrag server, gets a cited answer both ways.

A real uvicorn server on 127.0.0.1 (a free port) in a thread, the real embedder and Chroma with
the three sample articles, extractive answers (fast, no LLM), and an API key the client sends.
"""

from __future__ import annotations

import threading
import time

import pytest

from newsrag.http.server import create_app
from tests.conftest import free_port, reconfigured

QUESTION = "Hoeveel extra geld zegde Blinken de regio toe?"
KEY = "sk-newsrag-test"


@pytest.fixture(scope="module")
def base_url(sample_bot):
    import uvicorn

    bot = reconfigured(sample_bot, api_key=KEY, port=free_port())
    server = uvicorn.Server(uvicorn.Config(create_app(bot, ui=False), host="127.0.0.1",
                                           port=bot.settings.port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{bot.settings.port}/v1"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def client(base_url):
    from openai import OpenAI

    return OpenAI(base_url=base_url, api_key=KEY, max_retries=0, timeout=60)


def assert_blinken_citation(citations: list[dict]) -> None:
    assert citations, "no citations"
    assert any(c["doc_id"] == "000_9dbccd1724277ce9" and "25 miljoen dollar" in c["quote"] for c in citations)


def test_models_are_listed(client):
    assert "newsrag" in [m.id for m in client.models.list()]


def test_non_streamed_answer_is_cited(client):
    completion = client.chat.completions.create(model="newsrag-extractive",
                                                messages=[{"role": "user", "content": QUESTION}])
    message = completion.choices[0].message
    assert "25 miljoen dollar" in message.content and "[" in message.content
    assert_blinken_citation(completion.model_extra["citations"])
    assert_blinken_citation(message.model_extra["citations"])


def test_streamed_answer_is_cited(client):
    stream = client.chat.completions.create(model="newsrag-extractive", stream=True,
                                            messages=[{"role": "system", "content": "Antwoord kort."},
                                                      {"role": "user", "content": QUESTION}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "25 miljoen dollar" in text
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert_blinken_citation(final.model_extra["citations"])
    assert final.model_extra["answer"] == text


def test_wrong_key_is_refused(base_url):
    from openai import AuthenticationError, OpenAI

    with pytest.raises(AuthenticationError):
        OpenAI(base_url=base_url, api_key="wrong", max_retries=0).models.list()
