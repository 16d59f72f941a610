"""Past one machine, with no code changes: a Chroma server shared by two API workers, and the LLM
served by an OpenAI-compatible server.

Real processes on 127.0.0.1: ``chroma run``, two newsrag API workers (real embedder, each with its
own NEWSRAG_HOME and so its own keyword index) and, in a thread here, a tiny OpenAI-compatible
server that replies with a fixed cited answer. Articles are ingested through worker A while
worker B answers questions in a loop; B must never fail, and must then find the new article.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.conftest import ARTICLES, E5_PATH, ROOT, free_port

CHROMA = Path(sys.executable).parent / "chroma"
KEY = "scale-out-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
QUESTION = "Hoeveel extra geld zegde Blinken de regio toe?"
LLM_ANSWER = ("Hij zegde de regio 25 miljoen dollar extra toe om economische groei te ondersteunen en bedrijven "
              "te helpen nieuwe exportmarkten te vinden [1].")
WORKER = ["-m", "newsrag.cli", "serve", "--no-ui"]  # `newsrag serve --no-ui`, configured by NEWSRAG_* variables
NEW_ARTICLE = ("date 2024-06-14 De kaasmarkt in Gouda trok donderdag een recordaantal bezoekers. Handelaren "
               "verkochten in vier uur ruim veertig ton boerenkaas, meldt de marktmeester.\n\nDe gemeente "
               "overweegt een tweede marktdag in de zomer.")

pytestmark = pytest.mark.skipif(not CHROMA.exists(), reason="the chroma server binary is not installed")


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[:2]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not come up in {timeout}s:\n{log.read_text()[-3000:]}")


class FakeLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint with one fixed answer, streamed word by word when asked."""
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        FakeLLM.seen.append(body)
        base = {"id": "chatcmpl-fake", "created": 0, "model": body.get("model", "fake")}
        if body.get("logprobs"):  # the answerability judge: Yes for the 25-million sentence, with logprobs
            yes = "25 miljoen" in body["messages"][-1]["content"]
            top = [{"token": "Yes", "logprob": -0.05 if yes else -3.0}, {"token": "No", "logprob": -3.0 if yes else -0.05}]
            top.sort(key=lambda t: -t["logprob"])
            payload = json.dumps({**base, "object": "chat.completion", "choices": [{
                "index": 0, "finish_reason": "length", "message": {"role": "assistant", "content": top[0]["token"]},
                "logprobs": {"content": [{**top[0], "top_logprobs": top}]}}]})
            self._reply(200, "application/json", payload.encode())
            return
        if not body.get("stream"):
            payload = json.dumps({**base, "object": "chat.completion", "choices": [{
                "index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": LLM_ANSWER}}]})
            self._reply(200, "application/json", payload.encode())
            return
        deltas = [{"role": "assistant", "content": ""}] + [{"content": w} for w in re.findall(r"\S+\s*", LLM_ANSWER)]
        chunks = [{**base, "object": "chat.completion.chunk",
                   "choices": [{"index": 0, "delta": d, "finish_reason": "stop" if d == {} else None}]}
                  for d in deltas + [{}]]
        stream = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        self._reply(200, "text/event-stream", stream.encode())

    def _reply(self, status: int, kind: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def fake_llm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, fake_llm, e5_folder):
    """A Chroma server and two API workers on it: yields (url of A, url of B, home of B)."""
    tmp = tmp_path_factory.mktemp("scale-out")
    procs: list[subprocess.Popen] = []

    def start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    try:
        chroma_port = free_port()
        chroma = start([str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(chroma_port),
                        "--path", str(tmp / "chroma")], tmp / "chroma.log")
        wait_until_up(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma, tmp / "chroma.log", 60)
        clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")}
        workers = []
        for name in ("a", "b"):
            port = free_port()
            env = {**clean, "NEWSRAG_HOME": str(tmp / f"home-{name}"), "NEWSRAG_CHROMA_HOST": "127.0.0.1",
                   "NEWSRAG_CHROMA_PORT": str(chroma_port), "NEWSRAG_EMBED_MODEL": str(E5_PATH),
                   "NEWSRAG_ANSWER_MODE": "extractive", "NEWSRAG_PORT": str(port), "NEWSRAG_API_KEY": KEY,
                   "NEWSRAG_SERVER_BASE_URL": fake_llm, "NEWSRAG_SERVER_MODEL": "fake-llm"}
            log = tmp / f"worker-{name}.log"
            workers.append((f"http://127.0.0.1:{port}", start([sys.executable, *WORKER], log, env), log))
        for url, proc, log in workers:
            wait_until_up(f"{url}/health", proc, log)
        yield workers[0][0], workers[1][0], tmp / "home-b"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def upload(url: str, files: list[tuple[str, bytes]]) -> dict:
    r = httpx.post(f"{url}/ingest", files=[("files", f) for f in files], headers=AUTH, timeout=300)
    assert r.status_code == 200, r.text
    return r.json()


def keyword_ids(home: Path) -> list[str]:
    """The chunk ids in a worker's own keyword index, as last committed on disk."""
    import sqlite3

    folder = next((home / "index").glob("keywords-*"))
    with sqlite3.connect(folder / "keywords.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT chunk_id FROM chunks")]


def test_workers_share_a_chroma_server_while_ingesting(cluster):
    a, b, home_b = cluster
    first = upload(a, [(p.name, p.read_bytes()) for p in sorted(ARTICLES.iterdir())])
    assert first["counts"]["added"] == 3

    answered, failures, stop = [], [], threading.Event()

    def ask_in_a_loop():
        with httpx.Client(headers=AUTH, timeout=120) as http:
            while not stop.is_set():
                r = http.post(f"{b}/ask", json={"question": QUESTION})
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:300]}")
                elif not any(c["doc_id"] == "000_9dbccd1724277ce9" for c in r.json()["citations"]):
                    failures.append(f"uncited: {r.json()['answer'][:200]}")
                else:
                    answered.append(time.monotonic())

    loop = threading.Thread(target=ask_in_a_loop)
    loop.start()
    try:
        while len(answered) < 2 and not failures and loop.is_alive():
            time.sleep(0.2)
        jsonl = "\n".join(json.dumps({"id": f"bulk_{i:03d}", "date": "2024-05", "text": f"Bericht {i} over de "
                                      f"haven van Rotterdam en de containeroverslag in week {i}."}) for i in range(40))
        started = time.monotonic()
        report = upload(a, [("gouda_2024.txt", NEW_ARTICLE.encode()), ("bulk.jsonl", jsonl.encode())])
        finished = time.monotonic()
        assert report["counts"]["added"] == 41 and not report["skipped"]
        time.sleep(1)
    finally:
        stop.set()
        loop.join(120)
    assert not failures, failures[:3]
    assert any(started <= t <= finished for t in answered), "no answer completed while the ingest ran"

    # B finds the new article in the shared store at once (dense search), and refreshes its own
    # keyword index within a few seconds, after which the keyword channel ranks it first too.
    def search_b(query: str, k: int = 5) -> list[str]:
        r = httpx.post(f"{b}/search", json={"query": query, "k": k}, headers=AUTH, timeout=120)
        return [h["doc_id"] for h in r.json()["hits"]]

    assert "gouda_2024" in search_b("kaasmarkt Gouda boerenkaas")
    deadline = time.monotonic() + 60
    while not any(cid.startswith("gouda_2024#") for cid in keyword_ids(home_b)):
        assert time.monotonic() < deadline, "worker B's keyword index never caught up"
        search_b("Gouda")
        time.sleep(1)
    assert search_b("kaasmarkt Gouda boerenkaas")[0] == "gouda_2024"
    answer = httpx.post(f"{b}/ask", json={"question": "Hoeveel kaas verkochten de handelaren in Gouda?"},
                        headers=AUTH, timeout=120).json()
    assert any(c["doc_id"] == "gouda_2024" for c in answer["citations"]), answer["answer"]

    # Deleting through B removes it for A too.
    assert httpx.delete(f"{b}/documents/gouda_2024", headers=AUTH).status_code == 200
    docs = httpx.get(f"{a}/documents", headers=AUTH).json()["documents"]
    assert "gouda_2024" not in {d["doc_id"] for d in docs} and len(docs) == 43


def test_answers_through_an_openai_compatible_llm_server(cluster):
    a, _, _ = cluster
    FakeLLM.seen.clear()
    assert "newsrag-server" in [m["id"] for m in httpx.get(f"{a}/v1/models", headers=AUTH).json()["data"]]
    r = httpx.post(f"{a}/ask", json={"question": QUESTION, "mode": "server"}, headers=AUTH, timeout=120)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["mode"] == "server" and "fake-llm" in answer["model"] and not answer["abstained"]
    assert any(c["doc_id"] == "000_9dbccd1724277ce9" and "25 miljoen dollar" in c["quote"] for c in answer["citations"])
    assert FakeLLM.seen and FakeLLM.seen[-1]["model"] == "fake-llm"
    assert any(body.get("logprobs") for body in FakeLLM.seen)  # answerability was judged by the server
    prompt = json.dumps(FakeLLM.seen[-1]["messages"], ensure_ascii=False)
    assert "25 miljoen dollar" in prompt  # the retrieved context went to the LLM server

    completion = httpx.post(f"{a}/v1/chat/completions", headers=AUTH, timeout=120, json={
        "model": "newsrag-server", "messages": [{"role": "user", "content": QUESTION}]}).json()
    assert "25 miljoen dollar" in completion["choices"][0]["message"]["content"] and completion["citations"]
