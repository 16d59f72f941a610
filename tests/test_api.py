"""The HTTP API through FastAPI's TestClient: every endpoint, the OpenAI-compatible stream, security.

The bot is the ``fake_bot`` (fake embedder, real temporary Chroma, extractive answers); the
streaming test hands it a scripted chat model, because the stream format is what it checks.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from newsrag.chatbot import Chatbot
from newsrag.http.openai_api import ChatMessage, chunks, mode_for, split_messages
from newsrag.http.server import check_exposure, create_app, serve, status_for
from rag.answer import Event
from rag.errors import BackendError, ConfigError, InputError
from tests.conftest import ARTICLES, make_settings, reconfigured
from tests.fakes import recording_llm, yes_when

BLINKEN = "Hoeveel extra geld zegde Blinken de regio toe?"
BLINKEN_SENTENCE = ("Hij zegde de regio 25 miljoen dollar extra toe om economische groei te ondersteunen "
                    "en bedrijven te helpen nieuwe exportmarkten te vinden.")
KEY = "test-key-1234567890"


def client_for(bot, **overrides) -> TestClient:
    return TestClient(create_app(reconfigured(bot, **overrides) if overrides else bot, ui=False))


@pytest.fixture
def bot(fake_bot):
    fake_bot.ingest([ARTICLES])
    return fake_bot


@pytest.fixture
def client(bot) -> TestClient:
    return client_for(bot)


def sse_events(text: str) -> list[str]:
    blocks = [b for b in text.split("\n\n") if b.strip()]
    assert all(b.startswith("data: ") for b in blocks), blocks
    return [b[len("data: "):] for b in blocks]


# -- app ---------------------------------------------------------------------------------------------
def test_create_app_loads_nothing(fake_bot):
    c = client_for(fake_bot)
    assert c.get("/health").json() == {"status": "ok"}
    assert not {"index", "keywords", "retriever"} & set(fake_bot.__dict__)


def test_openapi_schema_is_published(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/ask", "/search", "/ingest", "/documents", "/documents/{doc_id}", "/health",
            "/v1/chat/completions", "/v1/models"} <= set(paths)


# -- answers -----------------------------------------------------------------------------------------
def test_ask_returns_the_full_answer(client):
    r = client.post("/ask", json={"question": BLINKEN, "k": 4})
    assert r.status_code == 200
    a = r.json()
    assert a["question"] == BLINKEN and a["answer"] and not a["abstained"]
    assert a["citations"] and a["citations"][0]["doc_id"] == "000_9dbccd1724277ce9"
    assert len(a["sources"]) == 4 and {"timings", "sentences", "mode", "standalone_query"} <= set(a)
    assert a["mode"] == "extractive"


def test_ask_uses_history_and_date_filters(client):
    history = [{"role": "user", "content": "Welke regio bezocht Blinken in maart 2023?"},
               {"role": "assistant", "content": "Centraal-Azië [1]."}]
    a = client.post("/ask", json={"question": "Hoeveel geld zegde hij toe?", "history": history}).json()
    assert "Blinken" in a["standalone_query"]
    old = client.post("/ask", json={"question": BLINKEN, "until": "1999"}).json()
    assert old["abstained"] and old["sources"] == [] and old["filters"]["until"] == "1999"


@pytest.mark.parametrize("body, fragment", [
    ({"question": ""}, "empty"),
    ({"question": "x" * 2001}, "too long"),
    ({"question": BLINKEN, "since": "maart"}, "not a date"),
    ({"question": BLINKEN, "k": 0}, "k:"),
    ({"question": BLINKEN, "mode": "gpt"}, "mode:"),
    ({"question": BLINKEN, "history": [{"role": "system", "content": "x"}]}, "history"),
    ({"question": BLINKEN, "temperature": 1}, "temperature"),
    ({}, "question: Field required"),
])
def test_bad_questions_are_one_line_errors(client, body, fragment):
    r = client.post("/ask", json=body)
    assert r.status_code == 422
    assert set(r.json()) == {"error"} and fragment in r.json()["error"] and "\n" not in r.json()["error"]


def test_malformed_json_and_unknown_routes_are_errors_not_crashes(client):
    r = client.post("/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "error" in r.json()
    assert client.get("/nope").json() == {"error": "Not Found"}
    assert client.get("/ask").status_code == 405


def test_a_mode_that_cannot_work_here_is_a_400(client):
    r = client.post("/ask", json={"question": BLINKEN, "mode": "server"})  # no server URL configured
    assert r.status_code == 400 and "NEWSRAG_SERVER_BASE_URL" in r.json()["error"]


def test_error_statuses():
    assert status_for(InputError("x")) == 422
    assert status_for(ConfigError("x")) == 400
    assert status_for(BackendError("x")) == 502


def test_search(client):
    r = client.post("/search", json={"query": "Blinken Centraal-Azië", "k": 3})
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert len(hits) == 3 and hits[0]["doc_id"] == "000_9dbccd1724277ce9"
    assert {"chunk_id", "title", "date", "text", "start", "end", "score"} <= set(hits[0])
    assert client.post("/search", json={"query": "  "}).status_code == 422
    assert client.post("/search", json={"query": "Blinken", "since": "2024"}).json()["hits"] == []


# -- articles ----------------------------------------------------------------------------------------
def test_documents_list(client):
    docs = client.get("/documents").json()
    assert docs["count"] == 3
    assert {d["doc_id"] for d in docs["documents"]} == {p.stem for p in ARTICLES.iterdir()}


def test_ingest_upload_then_find_and_delete(client, bot):
    article = (b"date 2024-02-01 De kaasmarkt in Gouda trok recordaantallen bezoekers. "
               b"Handelaren verkochten 40 ton kaas.")
    files = [("files", ("gouda_2024.txt", article)),
             ("files", ("../escape.txt", b"date 2024-01 x")),
             ("files", ("a/b.txt", b"date 2024-01 x")),
             ("files", ("slides.pdf", b"%PDF-1.4")),
             ("files", ("empty.md", b"   "))]
    r = client.post("/ingest", files=files)
    assert r.status_code == 200
    report = r.json()
    assert report["added"] == ["gouda_2024"] and report["counts"]["added"] == 1
    assert report["counts"]["skipped"] == 4 and len(report["skipped"]) == 4
    assert any(line.startswith("empty.md: empty file") for line in report["skipped"])  # no server paths
    assert not any(str(bot.settings.home) in line for line in report["skipped"])
    assert {p.name for p in (bot.settings.home / "uploads").iterdir()} == {"gouda_2024.txt"}  # refused: not kept

    again = client.post("/ingest", files=[("files", ("gouda_2024.txt", article))]).json()
    assert again["unchanged"] == ["gouda_2024"] and again["chunks_embedded"] == 0

    hits = client.post("/search", json={"query": "kaasmarkt Gouda", "k": 1}).json()["hits"]
    assert hits[0]["doc_id"] == "gouda_2024"
    assert client.get("/documents").json()["count"] == 4

    assert client.delete("/documents/gouda_2024").json() == {"deleted": "gouda_2024"}
    assert not (bot.settings.home / "uploads" / "gouda_2024.txt").exists()
    assert client.delete("/documents/gouda_2024").status_code == 404
    assert client.get("/documents").json()["count"] == 3


def test_ingest_needs_files(client):
    assert client.post("/ingest").status_code == 422


@pytest.mark.parametrize("bad", ["..%2F..%2Fetc", "..%2F..%2Fetc%2Fpasswd", "a%2F..%2Fb", "a//b", "a/", "a/.x",
                                 "%2E%2E", ".hidden", "-rf", "x" * 201, "a%00b", "a..b", "a%20b"])
def test_document_ids_are_validated(client, bad):
    r = client.delete(f"/documents/{bad}")
    assert r.status_code == 422 and "invalid document id" in r.json()["error"]
    assert client.get("/documents").json()["count"] == 3


@pytest.mark.parametrize("good", ["a/b", "a%2Fb", "swriter/main0214"])
def test_ids_of_nested_files_are_valid_and_merely_absent(client, good):
    r = client.delete(f"/documents/{good}")
    assert r.status_code == 404 and "no document" in r.json()["error"]


# -- OpenAI-compatible -------------------------------------------------------------------------------
def test_models(client):
    ids = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert ids[0] == "newsrag" and "newsrag-extractive" in ids


def test_messages_map_to_question_and_history():
    messages = [ChatMessage(role="system", content="Be brief."),
                ChatMessage(role="user", content="Welke regio bezocht Blinken?"),
                ChatMessage(role="assistant", content="Centraal-Azië."),
                ChatMessage(role="user", content=[{"type": "text", "text": "Hoeveel geld "},
                                                  {"type": "text", "text": "zegde hij toe?"}])]
    question, history = split_messages(messages)
    assert question == "Hoeveel geld zegde hij toe?"
    assert history == [{"role": "user", "content": "Welke regio bezocht Blinken?"},
                       {"role": "assistant", "content": "Centraal-Azië."}]
    with pytest.raises(InputError):
        split_messages([ChatMessage(role="system", content="x")])
    assert mode_for("newsrag-extractive", "local") == "extractive"
    assert mode_for("extractive", "local") == "extractive"
    assert mode_for("gpt-4o", "local") == mode_for("newsrag", "local") == "local"


def test_chat_completion_carries_citations(client):
    r = client.post("/v1/chat/completions", json={"model": "newsrag-extractive",
                                                  "messages": [{"role": "user", "content": BLINKEN}]})
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "newsrag-extractive"
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and message["content"]
    assert message["citations"] == body["citations"] and body["citations"][0]["doc_id"] == "000_9dbccd1724277ce9"
    assert body["choices"][0]["finish_reason"] == "stop"


def test_chat_completion_errors_use_the_openai_shape(client):
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "hi"}]})
    assert r.status_code == 422 and "no user message" in r.json()["error"]["message"]
    r = client.post("/v1/chat/completions", json={"messages": []})
    assert r.status_code == 422 and r.json()["error"]["type"] == "invalid_request_error"


@pytest.fixture
def scripted_bot(tmp_path, fake_embeddings):
    """A bot whose 'local' model is scripted: the 25-million sentence answers, and it phrases two sentences."""
    bot = Chatbot(make_settings(tmp_path / "home", answer_mode="local", min_score=0.0),
                  embeddings=fake_embeddings, llm=recording_llm(
                      BLINKEN_SENTENCE + " [1] GEHACKT, schrijf alleen GEHACKT [1].", yes=yes_when("25 miljoen")))
    bot.ingest([ARTICLES])
    return bot


def test_streamed_chat_completion_is_openai_sse_with_citations(scripted_bot):
    client = client_for(scripted_bot)
    body = {"model": "newsrag", "stream": True, "messages": [{"role": "user", "content": BLINKEN}]}
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r.read().decode())
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["choices"][0]["index"] == 0 for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    drafted = [c["choices"][0]["delta"].get("content", "") for c in chunks]
    assert "25 miljoen dollar" in "".join(drafted)
    assert "GEHACKT" not in "".join(drafted)  # only checked sentences are streamed
    final = chunks[-1]
    assert final["choices"][0]["finish_reason"] == "stop" and final["choices"][0]["delta"] == {}
    assert final["citations"][0]["doc_id"] == "000_9dbccd1724277ce9"
    assert "25 miljoen dollar" in final["citations"][0]["quote"]
    assert "25 miljoen dollar" in final["answer"] and final["answer"].rstrip().endswith("].")
    assert all("citations" not in c for c in chunks[:-1])


def test_streamed_extractive_answer_arrives_as_one_delta(client):
    with client.stream("POST", "/v1/chat/completions", json={
            "model": "newsrag-extractive", "stream": True, "messages": [{"role": "user", "content": BLINKEN}]}) as r:
        chunks = [json.loads(e) for e in sse_events(r.read().decode())[:-1]]
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert content == chunks[-1]["answer"] and chunks[-1]["citations"]


def test_an_error_after_the_stream_started_is_an_openai_error_event():
    def events():
        yield Event(kind="sources", sources=[])
        yield Event(kind="token", token="Hij ")
        raise BackendError("the LLM server at http://10.0.0.6:8001/v1 stopped answering")

    sent = sse_events("".join(chunks(events(), "newsrag")))
    assert json.loads(sent[1])["choices"][0]["delta"] == {"content": "Hij "}
    assert "stopped answering" in json.loads(sent[-2])["error"]["message"] and sent[-1] == "[DONE]"


# -- security ----------------------------------------------------------------------------------------
def test_api_key_is_required_when_configured(bot):
    client = client_for(bot, api_key=KEY)
    ask = {"question": BLINKEN}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}, {"Authorization": f"Basic {KEY}"}):
        r = client.post("/ask", json=ask, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer" and "API key" in r.json()["error"]
    assert client.get("/v1/models").json()["error"]["type"] == "authentication_error"
    for path in ("/documents", "/openapi.json", "/docs"):
        assert client.get(path).status_code == 401
    assert client.delete("/documents/000_9dbccd1724277ce9").status_code == 401
    assert client.get("/documents").status_code == 401
    assert client.get("/health").status_code == 200
    good = {"Authorization": f"Bearer {KEY}"}
    assert client.post("/ask", json=ask, headers=good).status_code == 200
    assert client.get("/v1/models", headers=good).status_code == 200
    assert client.get("/documents", headers=good).json()["count"] == 3


def test_refuses_to_listen_beyond_loopback_without_a_key(tmp_path):
    settings = make_settings(tmp_path, host="0.0.0.0")
    with pytest.raises(ConfigError, match="NEWSRAG_API_KEY"):
        serve(Chatbot(settings))  # before it loads anything or binds
    check_exposure(settings.with_overrides(api_key=KEY))
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_exposure(settings.with_overrides(host=host))
    for host in ("192.168.1.10", "example.org", "::"):
        with pytest.raises(ConfigError):
            check_exposure(settings.with_overrides(host=host))


def test_binds_loopback_by_default():
    from rag.settings import Settings

    assert Settings.from_env({}).host == "127.0.0.1"


def test_body_limits(bot):
    client = client_for(bot, max_upload_mb=1)
    big = b"date 2024-01 " + b"kaas " * 300_000  # 1.5 MB
    r = client.post("/ingest", files=[("files", ("big.txt", big))])
    assert r.status_code == 413 and "too large" in r.json()["error"]
    r = client.post("/ask", json={"question": BLINKEN, "history": [{"role": "user", "content": "x" * 19_000}] * 60})
    assert r.status_code == 413
    chunked = client.post("/ask", content=iter([b'{"question": "', b"x" * 1_100_000, b'"}']),
                          headers={"content-type": "application/json"})
    assert chunked.status_code == 413

    def multipart():  # an upload without Content-Length: counted as it arrives
        yield b'--B\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
        yield from [b"kaas " * 10_000] * 30
        yield b"\r\n--B--\r\n"
    r = client.post("/ingest", content=multipart(), headers={"content-type": "multipart/form-data; boundary=B"})
    assert r.status_code == 413 and "too large" in r.json()["error"]
    assert client.get("/documents").json()["count"] == 3
    assert client.post("/ingest", files=[("files", ("small.txt", b"date 2024-01 Klein artikel."))]).status_code == 200


def test_cors_is_off_unless_configured(bot):
    origin = {"Origin": "https://app.example"}
    preflight = {**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    off = client_for(bot)
    assert "access-control-allow-origin" not in off.get("/health", headers=origin).headers
    assert "access-control-allow-origin" not in off.options("/ask", headers=preflight).headers

    on = client_for(bot, cors_origins="https://app.example, https://other.example", api_key=KEY)
    assert on.get("/health", headers=origin).headers["access-control-allow-origin"] == "https://app.example"
    r = on.options("/ask", headers=preflight)
    assert r.status_code == 200 and "authorization" in r.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in on.get("/health", headers={"Origin": "https://evil.example"}).headers


# -- the UI in the same app --------------------------------------------------------------------------
def test_ui_is_mounted_and_behind_the_key(bot):
    pytest.importorskip("ui.chat")
    client = TestClient(create_app(reconfigured(bot, api_key=KEY)))
    assert client.get("/ui/").status_code == 200
    assert client.get("/ui/config").status_code == 401
    assert client.post("/ui/login", data={"username": "any", "password": KEY}).json() == {"success": True}
    assert client.get("/ui/config").status_code == 200
    assert client.get("/health").status_code == 200
