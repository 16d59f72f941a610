"""Load on the HTTP API: N concurrent clients on loopback, a bounded number of requests, extractive mode.

    python bench/api_load.py                      # starts its own server on the sample articles
    python bench/api_load.py --clients 50 --requests 500 --path /v1/chat/completions
    python bench/api_load.py --url http://127.0.0.1:8080 --key ...    # an already running server

Without ``--url`` it starts ``newsrag serve --no-ui`` in a subprocess (real embedder and Chroma,
``NEWSRAG_ANSWER_MODE=extractive``, a temporary home), uploads the sample articles through
``POST /ingest``, and stops the server at the end. Reports p50/p95/p99 latency, throughput and
errors; exits 1 on any error (a non-200, a transport error, or an answer without citations).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARTICLES = ROOT / "data" / "articles"
QUESTIONS = [
    "Hoeveel extra geld zegde Blinken de regio toe?",
    "Welke landen bezocht Blinken in Centraal-Azië?",
    "Who did Xi Jinping receive for a state visit?",
    "Met wie had Blinken vrijdag een ontmoeting?",
    "What did Blinken promise the region?",
]
WORKER = ["-m", "newsrag.cli", "serve", "--no-ui"]  # `newsrag serve --no-ui`, configured by NEWSRAG_* variables


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def own_server(key: str):
    """A server in a subprocess on a temporary home holding the sample articles."""
    from rag.settings import Settings

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="newsrag-bench-") as home:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")},
               "NEWSRAG_HOME": home, "NEWSRAG_PORT": str(port), "NEWSRAG_ANSWER_MODE": "extractive",
               "NEWSRAG_API_KEY": key, "NEWSRAG_EMBED_MODEL": Settings.from_env().embed_model_path}
        log = Path(home) / "server.log"
        proc = subprocess.Popen([sys.executable, *WORKER], cwd=ROOT, env=env, stdout=log.open("w"),
                                stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 300
            while True:
                if proc.poll() is not None:
                    sys.exit(f"server exited:\n{log.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    sys.exit("server did not start in 300 s")
                time.sleep(0.5)
            files = [("files", (p.name, p.read_bytes())) for p in sorted(ARTICLES.iterdir())]
            r = httpx.post(f"{url}/ingest", files=files, headers={"Authorization": f"Bearer {key}"}, timeout=300)
            r.raise_for_status()
            yield url, proc.pid
        finally:
            proc.terminate()
            proc.wait(30)


def body_for(path: str, i: int) -> dict:
    question = QUESTIONS[i % len(QUESTIONS)]
    if path.startswith("/v1/"):
        return {"model": "newsrag-extractive", "messages": [{"role": "user", "content": question}]}
    if path == "/search":
        return {"query": question}
    return {"question": question, "mode": "extractive"}


def cited(path: str, data: dict) -> bool:
    if path == "/search":
        return bool(data["hits"])
    return bool(data["citations"]) or bool(data.get("abstained"))


async def load(url: str, key: str, path: str, clients: int, total: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    abstained = 0
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, limits=limits,
                                 timeout=300) as http:
        async def client() -> None:
            nonlocal abstained
            for i in counter:
                t0 = time.perf_counter()
                try:
                    r = await http.post(path, json=body_for(path, i))
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors.append(f"{r.status_code}: {r.text[:200]}")
                elif not cited(path, r.json()):
                    errors.append(f"uncited answer: {r.text[:200]}")
                else:
                    abstained += bool(r.json().get("abstained"))

        health: list[float] = []
        done = asyncio.Event()

        async def probe() -> None:  # is /health still answered while every worker thread is busy?
            async with httpx.AsyncClient(base_url=url, timeout=300) as own:  # not queued behind the pool
                while not done.is_set():
                    t0 = time.perf_counter()
                    r = await own.get("/health")
                    if r.status_code == 200:
                        health.append(time.perf_counter() - t0)
                    await asyncio.sleep(1)

        start = time.perf_counter()
        prober = asyncio.create_task(probe())
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - start
        done.set()
        await prober
    from eval.metrics import percentile  # the one percentile definition behind every p50/p95

    def ms(q: float) -> int:
        return round((percentile(latencies, q) or 0.0) * 1000)

    return {"path": path, "clients": clients, "requests": total, "ok": total - len(errors), "errors": len(errors),
            "abstained": abstained, "wall_s": round(wall, 1), "throughput_rps": round(total / wall, 2),
            "p50_ms": ms(50), "p95_ms": ms(95), "p99_ms": ms(99),
            "max_ms": round(max(latencies) * 1000), "health_max_ms": round(max(health, default=0) * 1000),
            "first_errors": errors[:3]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--key", default="bench-key", help="API key (sent as a bearer token)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--path", default="/ask", choices=["/ask", "/search", "/v1/chat/completions"])
    args = parser.parse_args()

    def run(url: str) -> dict:
        asyncio.run(load(url, args.key, args.path, min(args.clients, 5), min(args.requests, 10)))  # warm up
        return asyncio.run(load(url, args.key, args.path, args.clients, args.requests))

    if args.url:
        result = run(args.url.rstrip("/"))
    else:
        with own_server(args.key) as (url, _pid):
            result = run(url)
    result["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(json.dumps(result, indent=2, ensure_ascii=False))
    sys.exit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
