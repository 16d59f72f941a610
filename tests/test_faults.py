"""Fault injection, one test (or a few) per item of issue 12: what a careless or hostile user can do to
the index, and that the user sees one clear line and loses nothing (articles, chunks and records
are counted before and after). CLI behaviour runs as the real command: in-process with the fake
embedder where only paths and messages matter, as subprocesses where processes are the point
(locks, a running server, a damaged index), with the real embedder and Chroma."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from newsrag.chatbot import Chatbot
from rag.errors import ArticleError, ConfigError, IndexBusy, InputError
from rag.settings import Settings
from tests.conftest import ARTICLES, E5_PATH, ROOT, free_port, make_settings
from tests.test_ingest import SAMPLE_IDS, assert_consistent
from tests.test_loaders import HTML, write

ONE_LINE_ERROR = re.compile(r"^error: [^\n]+\n$")


def counts(index) -> tuple[int, int, int]:
    """(articles, chunks, chunks the records account for): equal before and after a fault."""
    records = index.records()
    return len(records), index.count(), sum(r.n_chunks for r in records.values())


def summary(output: str) -> dict[str, int]:
    return {k: int(v) for v, k in re.findall(r"(\d+) (added|updated|unchanged|removed|skipped)", output)}


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "NEWSRAG_EMBED_MODEL": str(E5_PATH), "NEWSRAG_HOME": str(home),
           "NEWSRAG_ANSWER_MODE": "extractive", **extra}
    env.pop("NEWSRAG_CHROMA_HOST", None)
    return env


def newsrag(home: Path, *args: str, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    """The real command in its own process."""
    return subprocess.run([sys.executable, "-m", "newsrag.cli", *args], cwd=ROOT, env=cli_env(home, **extra),
                          capture_output=True, text=True, timeout=timeout)


def copy_home(src: Path, dest: Path) -> Path:
    """A copy of ``src``'s index, made by another process: a file SQLite holds open that this process
    opens and closes loses this process's locks on it (POSIX), so the next process to close the index
    would think itself the last one and delete the -wal and -shm under the open connections."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(src / "index"), str(dest / "index")], check=True)
    return dest


# -- 1. paths: prune from another folder, relative vs absolute, one id from two files -------------

def test_prune_from_another_folder_keeps_articles_whose_files_exist(run_cli, tmp_path, monkeypatch) -> None:
    project = tmp_path / "project"
    shutil.copytree(ARTICLES, project / "data" / "articles")
    monkeypatch.chdir(project)
    assert run_cli("ingest", "data/articles").exit_code == 0
    before = counts(run_cli.bot().index)

    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "notitie.txt", "Een losse notitie. Over niets.")
    monkeypatch.chdir(elsewhere)
    result = run_cli("ingest", "--prune", "notitie.txt")
    assert result.exit_code == 0, result.output
    assert summary(result.stdout) == {"added": 1, "updated": 0, "unchanged": 0, "removed": 0, "skipped": 0}
    index = run_cli.bot().index
    assert sorted(index.records()) == sorted(SAMPLE_IDS + ["notitie"])
    assert counts(index)[0] == before[0] + 1 and counts(index)[1] > before[1]
    record = index.records()[SAMPLE_IDS[0]]
    assert record.path == str((project / "data" / "articles" / f"{SAMPLE_IDS[0]}.txt").resolve())

    # Really gone: only that one is pruned, from any folder.
    (project / "data" / "articles" / f"{SAMPLE_IDS[0]}.txt").unlink()
    result = run_cli("ingest", "--prune", "notitie.txt")
    assert summary(result.stdout)["removed"] == 1
    assert sorted(run_cli.bot().index.records()) == sorted(SAMPLE_IDS[1:] + ["notitie"])
    assert_consistent(run_cli.bot().index)


def test_the_same_files_by_relative_then_absolute_path_are_unchanged(run_cli, tmp_path, monkeypatch,
                                                                      fake_embeddings) -> None:
    shutil.copytree(ARTICLES, tmp_path / "data" / "articles")
    monkeypatch.chdir(tmp_path)
    run_cli("ingest", "data/articles")
    before, embedded = counts(run_cli.bot().index), fake_embeddings.calls
    for named in (str(tmp_path / "data" / "articles"), "data/articles/", "./data/../data/articles",
                  str(tmp_path / "data")):  # the parent folder too: each file keeps its id
        result = run_cli("ingest", named)
        assert result.exit_code == 0, result.output
        assert summary(result.stdout) == {"added": 0, "updated": 0, "unchanged": 3, "removed": 0, "skipped": 0}
        assert "0 chunks embedded" in result.stdout
    assert fake_embeddings.calls == embedded and counts(run_cli.bot().index) == before


def test_an_id_from_another_file_is_reported_not_silently_replaced(run_cli, tmp_path) -> None:
    write(tmp_path / "other.txt", "Het origineel. Uit een los bestand.")
    feed = write(tmp_path / "feed.jsonl", json.dumps({"id": "j-1", "text": "Eerste. Ja."}) + "\n"
                 + json.dumps({"id": "other", "text": "De indringer. Uit een feed."}) + "\n")
    run_cli("ingest", str(tmp_path / "other.txt"))
    before = counts(run_cli.bot().index)
    result = run_cli("ingest", str(feed))
    assert result.exit_code == 1
    assert summary(result.stdout)["added"] == 1 and summary(result.stdout)["skipped"] == 1
    (line,) = [ln for ln in result.stderr.splitlines() if "other" in ln]
    assert f"{feed}:2:" in line and str((tmp_path / "other.txt").resolve()) in line and "--replace" in line
    bot = run_cli.bot()
    assert bot.index.article("other").text == "Het origineel. Uit een los bestand."
    assert counts(bot.index)[0] == before[0] + 1

    result = run_cli("ingest", "--replace", str(feed))  # the user's choice
    assert summary(result.stdout)["updated"] == 1 and result.exit_code == 0
    assert run_cli.bot().index.article("other").text == "De indringer. Uit een feed."


def test_a_moved_file_keeps_its_article_and_is_not_embedded_again(fake_bot, fake_embeddings, tmp_path) -> None:
    write(tmp_path / "a" / "x.txt", "Verhuisd artikel. Zelfde tekst.")
    fake_bot.ingest([tmp_path / "a" / "x.txt"])
    calls = fake_embeddings.calls
    (tmp_path / "b").mkdir()
    shutil.move(tmp_path / "a" / "x.txt", tmp_path / "b" / "x.txt")
    report = fake_bot.ingest([tmp_path / "b" / "x.txt"], prune=True)
    assert report.unchanged == ["x"] and not report.removed and fake_embeddings.calls == calls
    assert fake_bot.index.records()["x"].path == str((tmp_path / "b" / "x.txt").resolve())


# -- 2. a running server and a second writer ------------------------------------------------------

@pytest.fixture
def server(sample_home, tmp_path):
    """``newsrag serve`` (real embedder, embedded Chroma, the sample articles) in its own process."""
    home = copy_home(sample_home, tmp_path / "served")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "newsrag.cli", "serve", "--no-ui", "--port", str(port)],
                            cwd=ROOT, env=cli_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        assert proc.poll() is None, proc.communicate()
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.3)
    yield home, base, proc
    proc.terminate()
    proc.communicate(timeout=30)


BYPASS = """
import sys, chromadb, random
from chromadb.config import Settings
from ingest.chunking import chunk_article
from ingest.loaders import load_file
from pathlib import Path
from rag.embedder import E5Embeddings
from rag.store import NewsIndex
client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))
(article,) = load_file(Path(sys.argv[2]))
chunks = chunk_article(article)
NewsIndex(client).write_article(article, chunks, E5Embeddings(sys.argv[3]).embed_documents([c.text for c in chunks]))
"""


def test_a_second_writer_is_refused_by_a_running_server_which_survives_writes_under_it(server, tmp_path) -> None:
    home, base, proc = server
    docs = httpx.get(f"{base}/documents").json()
    assert docs["count"] == 3
    article = write(tmp_path / "kaas.txt", " date 2024-02 De kaasmarkt in Gouda trok recordaantallen bezoekers. "
                                           "Handelaren verkochten 40 ton kaas.")

    # A CLI ingest into the server's home: refused in one line that names the server, nothing written.
    result = newsrag(home, "ingest", "--wait", "1", str(article))
    assert result.returncode == 2 and ONE_LINE_ERROR.match(result.stderr), result.stderr
    assert "newsrag" in result.stderr and "serve" in result.stderr and f"pid {proc.pid}" in result.stderr
    assert "POST /ingest" in result.stderr
    assert httpx.get(f"{base}/documents").json() == docs

    # The documented way: upload to the server.
    r = httpx.post(f"{base}/ingest", files=[("files", ("kaas.txt", article.read_bytes()))], timeout=120)
    assert r.status_code == 200 and r.json()["added"] == ["kaas"]

    # A writer that ignores the lock: the server notices and answers from the new index, in JSON.
    rogue = write(tmp_path / "rogue.txt", " date 2024-03 Een zeldzame zeekoe zwom door de Amsterdamse grachten. "
                                          "Duizenden mensen keken toe vanaf de bruggen.")
    subprocess.run([sys.executable, "-c", BYPASS, str(home / "index" / "chroma"), str(rogue), str(E5_PATH)],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    for path, body in (("/search", {"query": "zeekoe in de Amsterdamse grachten", "k": 3}),
                       ("/ask", {"question": "Welk dier zwom door de Amsterdamse grachten?", "mode": "extractive"}),
                       ("/v1/chat/completions", {"model": "newsrag-extractive", "messages": [
                           {"role": "user", "content": "Welk dier zwom door de Amsterdamse grachten?"}]})):
        r = httpx.post(f"{base}{path}", json=body, timeout=120)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json"), (path, r.text)
    hits = httpx.post(f"{base}/search", json={"query": "zeekoe in de Amsterdamse grachten", "k": 3}).json()["hits"]
    assert hits[0]["doc_id"] == "rogue"
    assert httpx.get(f"{base}/documents").json()["count"] == 5


def test_an_unexpected_server_error_is_one_line_of_json(fake_bot) -> None:
    from fastapi.testclient import TestClient

    from newsrag.http.server import create_app

    fake_bot.ingest([ARTICLES])
    fake_bot.search = lambda *a, **k: 1 / 0  # a bug somewhere underneath
    client = TestClient(create_app(fake_bot, ui=False), raise_server_exceptions=False)
    r = client.post("/search", json={"query": "Blinken"})
    assert r.status_code == 500 and r.headers["content-type"] == "application/json"
    assert r.json() == {"error": "internal error (ZeroDivisionError); the server log has the details"}


def test_a_busy_index_is_a_409_at_the_api(fake_bot, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from newsrag.http.server import create_app

    fake_bot.ingest([ARTICLES])
    fake_bot.settings.index_dir.joinpath("writer.holder.json").write_text(json.dumps(
        {"pid": 1, "command": "newsrag ingest big-feed.jsonl", "since": "now"}))
    fake_bot.ingest = lambda *a, **k: (_ for _ in ()).throw(IndexBusy("the index is being written by x"))
    client = TestClient(create_app(fake_bot, ui=False))
    r = client.post("/ingest", files=[("files", ("a.txt", b"Een. Twee."))])
    assert r.status_code == 409 and "being written" in r.json()["error"]


# -- 3. two writers at once ------------------------------------------------------------------------

def test_two_ingests_at_once_embed_each_file_once(tmp_path, e5_folder) -> None:
    home = tmp_path / "home"
    procs = [subprocess.Popen([sys.executable, "-m", "newsrag.cli", "ingest", "--wait", "600", str(ARTICLES)],
                              cwd=ROOT, env=cli_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    runs = sorted(((summary(out), int(re.search(r"(\d+) chunks embedded", out).group(1))) for out, _ in outs),
                  key=lambda run: run[1])
    (second, none), (first, chunks) = runs
    assert first["added"] == 3 and second == {"added": 0, "updated": 0, "unchanged": 3, "removed": 0, "skipped": 0}
    assert none == 0 and chunks > 0

    bot = Chatbot(make_settings(home))
    assert counts(bot.index) == (3, chunks, chunks)
    assert_consistent(bot.index)


def test_a_held_lock_refuses_a_second_writer_in_one_line(fake_bot, tmp_path) -> None:
    fake_bot.ingest([ARTICLES])
    before = counts(fake_bot.index)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from rag.lock import WriterLock; lock = WriterLock(Path(sys.argv[1])); lock.acquire(); "
                               "print('held', flush=True); time.sleep(60)", str(fake_bot.settings.index_dir)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        with pytest.raises(IndexBusy) as refused:
            fake_bot.ingest([write(tmp_path / "x.txt", "Nieuw. Artikel.")], wait=0.5)
        assert time.monotonic() - t0 >= 0.4  # it did wait before refusing (a lower bound: never flaky)
        message = str(refused.value)
        assert "\n" not in message and f"pid {holder.pid}" in message and "waited 0.5 s" in message
        with pytest.raises(IndexBusy):
            fake_bot.delete(SAMPLE_IDS[0], wait=0)
        assert counts(fake_bot.index) == before
    finally:
        holder.kill()
        holder.wait()
    assert fake_bot.ingest([tmp_path / "x.txt"]).added == ["x"]  # free again once the holder is gone


def _update_many(folder: str, n: int, worker: int, queue) -> None:
    from rag.keyword import IndexedArticle, KeywordIndex

    try:
        index = KeywordIndex(Path(folder))
        for i in range(n):
            with index.writing(wait=120) as w:
                w.put([IndexedArticle(f"d{j}", f"h{worker}-{i}", "2024-01",
                                      [(f"d{j}#{c:05d}", f"tekst {j} over kaas {worker} {i} {c}") for c in range(5)])
                       for j in range(10)])
            assert index.search("kaas", 3)
        queue.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        queue.put(f"{type(exc).__name__}: {exc}")


def test_keyword_index_updates_in_three_processes_take_turns(tmp_path) -> None:
    from rag.keyword import KeywordIndex

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_update_many, args=(str(tmp_path / "kw"), 12, n, queue)) for n in range(3)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == ["ok"] * 3
    index = KeywordIndex(tmp_path / "kw")
    assert index.count() == 50 and len(index.hashes()) == 10  # every update replaced, none mixed in


# -- 4. a damaged index ----------------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["missing folder", "missing file", "garbage"])
def test_a_damaged_keyword_index_is_rebuilt_from_chroma_by_itself(fake_bot, damage) -> None:
    fake_bot.ingest([ARTICLES])
    before = counts(fake_bot.index)
    path = fake_bot.keywords.path
    if damage == "missing folder":
        shutil.rmtree(path.parent)
    elif damage == "missing file":
        path.unlink()
    else:
        path.write_bytes(b"\0garbage" * 1000)
    bot = Chatbot(fake_bot.settings, embeddings=fake_bot.embeddings)  # a new process, as it were
    hits = bot.search("Blinken Centraal-Azië", k=3)
    assert hits and bot.keywords.count() == fake_bot.index.count()
    assert bot.keywords.search("Blinken", 3) and counts(bot.index) == before


def test_a_damaged_keyword_index_at_the_cli(run_cli) -> None:
    run_cli("ingest", str(ARTICLES))
    folder = next((run_cli.home / "index").glob("keywords-*"))
    (folder / "keywords.sqlite3").write_text("gone")
    result = run_cli("search", "Blinken")
    assert result.exit_code == 0 and "000_9dbccd1724277ce9" in result.stdout


def test_a_truncated_chroma_database_is_one_line_saying_what_to_do(sample_home, tmp_path) -> None:
    home = copy_home(sample_home, tmp_path / "damaged")
    db = home / "index" / "chroma" / "chroma.sqlite3"
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])
    size = db.stat().st_size
    article = write(tmp_path / "nieuw.txt", "Een nieuw artikel. Het komt er niet in.")
    for args in (["search", "Blinken"], ["ask", "Wat zegde Blinken toe?"], ["ingest", str(article)],
                 ["ingest", "--prune", str(article)]):
        result = newsrag(home, *args)
        assert result.returncode == 2 and ONE_LINE_ERROR.match(result.stderr), (args, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        assert "malformed" in result.stderr and f"delete the folder {home / 'index'}" in result.stderr
        assert "newsrag ingest" in result.stderr
    assert db.stat().st_size == size  # nothing written to it


# -- 5. ids unique per file ------------------------------------------------------------------------

def test_same_named_files_in_different_folders_get_distinct_stable_ids(fake_bot, fake_embeddings, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from newsrag.http.server import create_app

    help_tree = tmp_path / "help"
    write(help_tree / "swriter" / "main0214.html", HTML)
    write(help_tree / "scalc" / "main0214.html", HTML.replace("Blinken", "Lavrov"))
    write(help_tree / "index.txt", "De index. Van de hulp.")
    report = fake_bot.ingest([help_tree])
    assert sorted(report.added) == ["index", "scalc/main0214", "swriter/main0214"] and not report.skipped
    before, calls = counts(fake_bot.index), fake_embeddings.calls

    os.chdir(tmp_path)  # the same tree named otherwise: relative, with a trailing slash, via its parent
    try:
        for named in ("help", "help/", str(help_tree)):
            again = fake_bot.ingest([Path(named)])
            assert sorted(again.unchanged) == ["index", "scalc/main0214", "swriter/main0214"]
    finally:
        os.chdir(ROOT)
    assert fake_embeddings.calls == calls and counts(fake_bot.index) == before

    client = TestClient(create_app(fake_bot, ui=False))
    assert client.delete("/documents/scalc/main0214").json() == {"deleted": "scalc/main0214"}
    assert sorted(fake_bot.index.records()) == ["index", "swriter/main0214"]


def test_the_sample_articles_keep_their_ids(fake_bot) -> None:
    assert sorted(fake_bot.ingest([ARTICLES]).added) == SAMPLE_IDS
    assert "000_9dbccd1724277ce9" in SAMPLE_IDS


# -- 7. ask on an empty index ----------------------------------------------------------------------

def test_ask_on_an_empty_index_says_so_and_how_to_fill_it(run_cli) -> None:
    result = run_cli("ask", "Wat zegde Blinken toe?", "--mode", "extractive")
    assert result.exit_code == 2 and ONE_LINE_ERROR.match(result.stderr), result.output
    assert "is empty" in result.stderr and "newsrag ingest" in result.stderr


@pytest.mark.parametrize("content, words", [
    ("[{\"role\": \"user\"", "not valid JSON"),
    ("{\"role\": \"user\", \"content\": \"Wie?\"}", "expected a JSON list"),
    ("[{\"role\": \"robot\", \"content\": \"Wie?\"}]", "expected a JSON list"),
])
def test_a_bad_history_file_is_one_line(run_cli, tmp_path, content, words) -> None:  # item 11
    history = tmp_path / "history.json"
    history.write_text(content, encoding="utf-8")
    result = run_cli("ask", "Hoeveel geld zegde hij toe?", "--mode", "extractive", "--history", str(history))
    assert result.exit_code == 2 and ONE_LINE_ERROR.match(result.stderr), result.output
    assert words in result.stderr and "history.json" in result.stderr


def test_a_navigation_only_html_page_is_not_an_article(tmp_path) -> None:  # item 10
    from ingest.loaders import load_file

    page = tmp_path / "index.html"
    page.write_text("<html><body><nav><a href='/'>Home</a> <a href='/n'>Nieuws</a> <a href='/s'>Sport</a></nav>"
                    "<footer>© 2024 De Krant</footer></body></html>", encoding="utf-8")
    (error,) = list(load_file(page))
    assert isinstance(error, ArticleError) and "no article text" in str(error) and "index.html" in str(error)


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_cr_line_endings_keep_paragraphs_and_headings(tmp_path, newline) -> None:  # item 10
    from ingest.chunking import chunk_article
    from ingest.loaders import load_file

    path = tmp_path / "mac.txt"
    text = (ARTICLES / "000_9dbccd1724277ce9.txt").read_text(encoding="utf-8")
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    (article,) = list(load_file(path))
    assert "\r" not in article.text and article.text.count("\n\n") == text.strip().count("\n\n")
    assert "Russische invloedssfeer" in {c.heading for c in chunk_article(article)}


# -- 8. bad settings -------------------------------------------------------------------------------

@pytest.mark.parametrize("env, args, words", [
    ({"NEWSRAG_K": "abc"}, ["search", "Blinken"], "NEWSRAG_K must be a whole number"),
    ({"NEWSRAG_K": "0"}, ["search", "Blinken"], "from 1 to 50"),
    ({"NEWSRAG_BM25_WEIGHT": "1.5"}, ["search", "Blinken"], "NEWSRAG_BM25_WEIGHT"),
    ({"NEWSRAG_MIN_SCORE": "hoog"}, ["ask", "Wat?"], "NEWSRAG_MIN_SCORE must be a number"),
    ({"NEWSRAG_PORT": "99999"}, ["serve"], "NEWSRAG_PORT"),
    ({}, ["search", "-k", "-5", "Blinken"], "k must be a whole number from 1 to 50"),
    ({}, ["ask", "-k", "0", "Wat?"], "k must be a whole number from 1 to 50"),
])
def test_bad_settings_are_one_line_and_exit_2(run_cli, env, args, words) -> None:
    run_cli("ingest", str(ARTICLES))
    result = run_cli(*args, env=env)
    assert result.exit_code == 2 and ONE_LINE_ERROR.match(result.stderr), result.output
    assert words in result.stderr


def test_settings_check_every_copy() -> None:
    with pytest.raises(ConfigError, match="NEWSRAG_K"):
        Settings().with_overrides(k=0)
    with pytest.raises(ConfigError, match="NEWSRAG_ANSWER_MODE must be one of local, extractive, server"):
        Settings().with_overrides(answer_mode="locaal")  # a copy never runs an unknown mode as another
    with pytest.raises(ConfigError, match="NEWSRAG_LLM_THREADS"):
        Settings(llm_threads=-1)
    with pytest.raises(ConfigError, match="NEWSRAG_FETCH_K"):
        Settings.from_env({"NEWSRAG_FETCH_K": "1e9"})
    with pytest.raises(InputError, match="k must be"):
        Chatbot(Settings()).search("Blinken", k=500)


# -- 9. ids at ingest, duplicate lines, unreadable folders -----------------------------------------

def test_jsonl_ids_are_checked_against_the_api_pattern(fake_bot, tmp_path) -> None:
    lines = [{"id": "../../etc/passwd", "text": "Kwaad. Ja."}, {"id": "ok-1", "text": "Goed. Ja."},
             {"id": "met spatie", "text": "Fout. Ja."}, {"id": "ok-1", "text": "Dubbel. Ja."},
             {"id": "a/b/c", "text": "Geneste id. Mag."}]
    feed = write(tmp_path / "feed.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    report = fake_bot.ingest([feed])
    assert sorted(report.added) == ["a/b/c", "ok-1"]
    bad1, bad3, dup = sorted(report.skipped)
    assert bad1.startswith(f"{feed}:1: id '../../etc/passwd' is not a valid article id")
    assert bad3.startswith(f"{feed}:3: id 'met spatie' is not a valid article id")
    assert dup == f"{feed}:4: duplicate article id 'ok-1' (kept the one from {feed}:2)"
    assert fake_bot.index.article("ok-1").text == "Goed. Ja."


def make_unreadable(folder: Path, monkeypatch) -> str:
    """Make ``folder`` unreadable: by ``chmod 000`` when not root; as root (these tests run as root
    here) chmod stops nothing, so the kernel's answer to a user without permission is simulated:
    listing the folder, and looking at anything in it, fails with EACCES. Returns which it was."""
    if os.geteuid() != 0:
        folder.chmod(0)  # pytest's tmp_path clean-up restores permissions itself
        return "chmod"
    inside = str(folder)
    real_scandir, real_stat = os.scandir, os.stat

    def denied(path) -> bool:
        path = os.fspath(path) if not isinstance(path, int) else ""
        return path == inside or path.startswith(inside + os.sep)

    def scandir(path="."):
        if denied(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    def stat(path, *args, **kwargs):
        if denied(path) and os.fspath(path) != inside:  # the folder itself can be stat'ed, not what is in it
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", stat)
    return "simulated"


def test_an_unreadable_subfolder_is_one_error_and_loses_nothing(run_cli, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "in"
    write(folder / "a.txt", "Leesbaar. Ja.")
    write(folder / "geheim" / "b.txt", "Onleesbaar. Ja.")
    assert run_cli("ingest", str(folder)).exit_code == 0  # both ingested while readable
    bot = run_cli.bot()
    before = counts(bot.index)
    assert before[0] == 2

    write(folder / "c.txt", "Nieuw. Ja.")
    make_unreadable(folder / "geheim", monkeypatch)
    result = run_cli("ingest", "--prune", str(folder))
    secret = folder / "geheim"
    assert result.exit_code == 1  # not everything named was ingested
    assert f"error: {secret}: cannot read this folder (Permission denied); its files were not ingested\n" \
        in result.output  # one line naming the folder
    assert "skipped:" not in result.output  # a folder is no skipped file
    assert summary(result.output) == {"added": 1, "updated": 0, "unchanged": 1, "removed": 0, "skipped": 0}
    after = run_cli.bot().index
    assert sorted(after.records()) == ["a", "c", "geheim/b"]  # the other files ingested, b not pruned
    assert counts(after)[1] == counts(after)[2] == before[1] + 1  # nothing lost: one more chunk, for c


def test_an_unreadable_subfolder_in_the_python_api(fake_bot, tmp_path, monkeypatch) -> None:
    write(tmp_path / "in" / "a.txt", "Leesbaar. Ja.")
    write(tmp_path / "in" / "geheim" / "b.txt", "Onleesbaar. Ja.")
    make_unreadable(tmp_path / "in" / "geheim", monkeypatch)
    report = fake_bot.ingest([tmp_path / "in"])
    assert report.added == ["a"] and report.skipped == []
    assert report.unreadable_folders == [f"{tmp_path / 'in' / 'geheim'}: cannot read this folder (Permission "
                                         f"denied); its files were not ingested"]


# -- 12. API key strength, refused uploads ---------------------------------------------------------

def test_a_weak_key_is_refused_beyond_loopback(tmp_path) -> None:
    from newsrag.http.server import check_exposure

    settings = make_settings(tmp_path, host="0.0.0.0")
    for weak in (" ", "geheim", "x" * 15, " " + "x" * 20):
        with pytest.raises(ConfigError, match="16 characters|without an API key"):
            check_exposure(settings.with_overrides(api_key=weak))
    check_exposure(settings.with_overrides(api_key="x" * 16))
    check_exposure(settings.with_overrides(host="127.0.0.1", api_key="kort"))  # loopback: any key


def test_refused_uploads_leave_nothing_on_disk(fake_bot) -> None:
    from fastapi.testclient import TestClient

    from newsrag.http.server import create_app

    client = TestClient(create_app(fake_bot, ui=False))
    files = [("files", ("leeg.txt", b"   ")), ("files", ("plaatje.txt", b"\x89PNG\x00\x00" * 10)),
             ("files", ("feed.jsonl", b"geen json\n")), ("files", ("goed.txt", b"Een goed artikel. Ja."))]
    report = client.post("/ingest", files=files).json()
    assert report["added"] == ["goed"] and report["counts"]["skipped"] == 3
    assert all(not line.startswith("/") for line in report["skipped"])  # no server paths
    uploads = fake_bot.settings.home / "uploads"
    assert sorted(p.name for p in uploads.rglob("*")) == ["goed.txt"]


def test_a_reader_waits_for_another_processs_lock_instead_of_failing(tmp_path) -> None:
    """The connections' busy timeout is 0.2 s; a connect (its switch to WAL) that met another
    process's lock on a loaded machine failed with "database is locked" (CI, stop 39)."""
    import sqlite3
    import threading

    from rag.keyword import FILENAME, KeywordIndex

    folder = tmp_path / "kw"
    folder.mkdir()
    holder = sqlite3.connect(folder / FILENAME, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # a new file, not yet WAL: nobody may read it or switch it to WAL
    release = threading.Timer(1.0, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        t0 = time.monotonic()
        assert KeywordIndex(folder).count() == 0
        assert time.monotonic() - t0 >= 0.5  # it did wait for the lock (a lower bound: never flaky)
    finally:
        release.join()
        holder.close()
