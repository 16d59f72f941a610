"""Embedding through an OpenAI-compatible ``/v1/embeddings`` service: a small fake service on
127.0.0.1 (deterministic bag-of-words vectors), chosen by settings alone, for ingest and questions
(extractive answers), batched, E5 prefixes sent, retried when it stumbles, one line when it is down."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newsrag.chatbot import Chatbot
from rag.errors import BackendError, ConfigError
from rag.remote_embedder import RemoteEmbeddings
from rag.settings import Settings
from tests.fakes import BagOfWordsEmbeddings
from tests.test_chain import ARTICLES, Q_MONEY

MODEL = "intfloat/multilingual-e5-small"


class FakeEmbeddingsService(BaseHTTPRequestHandler):
    """POST /v1/embeddings -> hashed bag-of-words vectors; ``fail_next`` requests get a 503 first."""
    requests: list[dict] = []
    fail_next = 0
    words = BagOfWordsEmbeddings(dim=64)

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        cls = FakeEmbeddingsService
        if self.path != "/v1/embeddings":
            return self._reply(404, {"error": {"message": "not found"}})
        if cls.fail_next > 0:
            cls.fail_next -= 1
            return self._reply(503, {"error": {"message": "warming up"}})
        cls.requests.append({**body, "auth": self.headers.get("authorization")})
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vectors = [[3.0 * x for x in cls.words._vec(t)] for t in texts]  # not unit length: the client normalises
        self._reply(200, {"object": "list", "model": body["model"], "usage": {"prompt_tokens": 0, "total_tokens": 0},
                          "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]})

    def _reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def service():
    FakeEmbeddingsService.requests, FakeEmbeddingsService.fail_next = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEmbeddingsService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_ingest_and_answer_through_an_embeddings_service(service, tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings.from_env({"NEWSRAG_HOME": str(tmp_path / "home"), "NEWSRAG_EMBED_BASE_URL": service,
                                  "NEWSRAG_EMBED_MODEL": MODEL, "NEWSRAG_EMBED_API_KEY": "sekrit",
                                  "NEWSRAG_EMBED_BATCH": "2", "NEWSRAG_ANSWER_MODE": "extractive",
                                  "NEWSRAG_MIN_SCORE": "0.1", "NEWSRAG_SUPPORT_SCORE": "0.5"})
    bot = Chatbot.from_settings(settings)
    report = bot.ingest([corpus])
    assert len(report.added) == 3 and report.chunks_embedded == bot.index.count() == 3
    sent = FakeEmbeddingsService.requests
    assert [len(r["input"]) for r in sent] == [2, 1]  # batched by NEWSRAG_EMBED_BATCH
    assert all(r["model"] == MODEL and r["auth"] == "Bearer sekrit" for r in sent)
    assert all(t.startswith("passage: ") for r in sent for t in r["input"])  # an E5: prefixes applied
    assert bot.index.embedder.name == "multilingual-e5-small" and bot.index.embedder.dimension == 64

    answer = bot.ask(Q_MONEY)
    assert not answer.abstained and answer.answer.startswith("Hij zegde de regio 25 miljoen dollar")
    assert answer.citations and answer.citations[0].doc_id == "blinken"
    assert any(t == "query: " + Q_MONEY for r in FakeEmbeddingsService.requests for t in r["input"])


def test_a_stumbling_service_is_retried(service) -> None:
    FakeEmbeddingsService.fail_next = 2
    vectors = RemoteEmbeddings(service, "bge-m3", max_retries=3).embed_documents(["een", "twee"])
    assert len(vectors) == 2 and abs(sum(x * x for x in vectors[0]) - 1) < 1e-5
    assert FakeEmbeddingsService.requests[0]["input"] == ["een", "twee"]  # not an E5: no prefixes


def test_a_service_that_is_down_is_one_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    with pytest.raises(BackendError) as err:
        RemoteEmbeddings(f"http://127.0.0.1:{port}/v1", MODEL, max_retries=1, timeout=5).embed_query("kaas")
    message = str(err.value)
    assert "\n" not in message and f"127.0.0.1:{port}/v1" in message and "NEWSRAG_EMBED_BASE_URL" in message


def test_settings_check_the_service() -> None:
    with pytest.raises(ConfigError, match="NEWSRAG_EMBED_MODEL"):
        Settings(embed_base_url="http://127.0.0.1:8000/v1")
    with pytest.raises(ConfigError, match="http"):
        Settings(embed_base_url="127.0.0.1:8000", embed_model=MODEL)
    with pytest.raises(ConfigError, match="NEWSRAG_EMBED_BATCH"):
        Settings.from_env({"NEWSRAG_EMBED_BATCH": "0"})
