"""Closing: a ``Chatbot`` lets go of what it built (the embedded Chroma's files and threads, the
keyword index's SQLite connections, local chat models, the writer lock), and a reopen of the index
lets go of the client it replaced by the next reopen, without breaking a read still using it.

Each embedded Chroma client holds about 28 file descriptors and 6 native threads; before ``close``
existed, and while reopens never stopped the old client, a process that made ~35 bots ran out of
file descriptors under ``ulimit -n 1024``. Native (Rust) threads are not Python threads, so they are
counted in ``/proc/self/task`` as well as by ``threading.active_count``. Chroma's thread pools
start and end a few threads (each with a file descriptor) as they go, so the counts move by a few
either way: the bounds allow that, well below one client's worth."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from newsrag.chatbot import Chatbot
from rag import providers
from tests.conftest import ARTICLES, make_settings

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd")


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def native_threads() -> int:
    return len(os.listdir("/proc/self/task"))


def files_under(folder: Path) -> list[str]:
    """The open file descriptors of this process that point into ``folder``."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            out.append(target)
    return out


def closed_soon(folder: Path, seconds: float = 10.0) -> list[str]:
    """``files_under(folder)`` once it is empty, or after ``seconds``: Chroma closes its SQLite files
    on threads of its own, sometimes a moment after the client is closed (seen once in a few runs)."""
    deadline = time.monotonic() + seconds
    while (left := files_under(folder)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


def used_bot(home: Path, embeddings, **overrides) -> Chatbot:
    """A bot on ``home`` that has opened everything a question opens: Chroma, the keyword index."""
    bot = Chatbot(make_settings(home, answer_mode="extractive", min_score=0.0, **overrides), embeddings=embeddings)
    bot.ingest([ARTICLES])
    assert bot.ask("Hoeveel geld zegde Blinken toe?").sources
    return bot


def test_closed_bots_leave_no_files_or_threads_behind(tmp_path, fake_embeddings) -> None:
    used_bot(tmp_path / "first", fake_embeddings).close()  # what the first bot loads for good (imports, pools)
    files, threads, python_threads = open_files(), native_threads(), threading.active_count()
    for n in range(40):
        with used_bot(tmp_path / f"home{n}", fake_embeddings):
            assert files_under(tmp_path / f"home{n}")  # open while in use ...
        assert closed_soon(tmp_path / f"home{n}") == []  # ... and closed with the bot
    assert open_files() <= files + 10, "40 closed bots kept file descriptors open"
    assert native_threads() <= threads + 5, "40 closed bots kept threads running"
    assert threading.active_count() <= python_threads


def test_reopening_keeps_at_most_one_old_client(tmp_path, fake_embeddings) -> None:
    with used_bot(tmp_path / "home", fake_embeddings) as bot:
        for _ in range(2):  # the client a reopen replaces lives until the next one
            bot.index.reopen()
        files, threads = open_files(), native_threads()
        for _ in range(30):
            bot.index.reopen()
            assert bot.search("Blinken")  # and the index reads through the new client
        assert open_files() <= files + 10, "30 reopens kept old clients open"
        assert native_threads() <= threads + 8, "30 reopens kept old clients' threads running"
    assert closed_soon(tmp_path / "home") == []


def test_a_read_on_the_old_collection_survives_a_reopen(tmp_path, fake_embeddings) -> None:
    """A request on another thread that took a collection before the reopen (as ``all_ids`` does
    with its ``collection`` argument) goes on reading it after the reopen, unbroken."""
    with used_bot(tmp_path / "home", fake_embeddings) as bot:
        old = bot.index.chunks
        expected = old.count()
        started, reopened = threading.Event(), threading.Event()
        seen: list[object] = []

        def read() -> None:
            try:
                seen.append(old.count())
                started.set()
                reopened.wait(30)
                for _ in range(20):  # after the swap, on the collection of the client replaced
                    seen.append(old.count())
                    seen.append(len(old.get(include=["documents"])["ids"]))
            except Exception as exc:  # noqa: BLE001 -- the test reports it below
                seen.append(exc)
                started.set()

        reader = threading.Thread(target=read)
        reader.start()
        assert started.wait(30)
        bot.index.reopen()
        assert bot.index.chunks is not old
        reopened.set()
        reader.join(30)
        assert seen == [expected] * 41
        assert bot.index.count() == expected


def test_a_reopen_on_another_bot_of_the_same_index_leaves_this_one_working(tmp_path, fake_embeddings) -> None:
    """Two bots on one folder share chromadb's system; one reopening (chromadb forgets that system)
    and closing must neither stop it under the other nor close the other's new one."""
    with used_bot(tmp_path / "home", fake_embeddings) as first:
        with Chatbot(first.settings, embeddings=fake_embeddings) as second:
            count = second.count()
            first.index.reopen()
            first.index.reopen()
            first.index.reopen()  # the shared system's last client here is second's
            assert second.count() == count and second.search("Blinken")
            second.index.reopen()  # now on first's current system
        assert first.count() == count and first.search("Blinken")
    assert closed_soon(tmp_path / "home") == []


def test_close_twice_is_harmless_and_a_closed_bot_says_so(fake_bot) -> None:
    fake_bot.ingest([ARTICLES])
    fake_bot.close()
    fake_bot.close()
    for use in (fake_bot.count, fake_bot.documents, lambda: fake_bot.search("Blinken"),
                lambda: fake_bot.ask("Blinken?"), lambda: fake_bot.ingest([ARTICLES])):
        with pytest.raises(RuntimeError, match="closed"):
            use()


def test_a_closed_index_says_so(tmp_path) -> None:
    index = providers.build_index(make_settings(tmp_path / "home"))
    index.close()
    index.close()
    for use in (index.count, index.reopen, lambda: index.search([1.0, 0.0], 3),
                lambda: index.update_records({"a": {"k": "v"}})):
        with pytest.raises(RuntimeError, match="closed"):
            use()


def test_an_index_that_fails_to_open_keeps_nothing_open(tmp_path, monkeypatch) -> None:
    import sqlite3

    from rag.errors import BackendError
    from rag.store import NewsIndex

    def broken(self, client):
        raise sqlite3.DatabaseError("database disk image is malformed")

    settings = make_settings(tmp_path / "home")
    providers.build_index(settings).close()  # the folder exists; chromadb's one-time set-up is done
    monkeypatch.setattr(NewsIndex, "_collections", broken)
    for _ in range(10):
        with pytest.raises(BackendError, match="malformed"):
            providers.build_index(settings)
    assert closed_soon(tmp_path / "home") == [], "a failed open kept the client's files"


def test_close_leaves_what_was_handed_in(fake_bot, fake_embeddings) -> None:
    fake_bot.ingest([ARTICLES])
    borrowed = Chatbot(fake_bot.settings, embeddings=fake_embeddings, index=fake_bot.index,
                       keywords=fake_bot.keywords)
    count = borrowed.count()
    borrowed.close()
    assert fake_bot.count() == count and fake_bot.search("Blinken")


def test_close_closes_the_chat_models_it_built_and_gives_back_the_writer_lock(tmp_path, monkeypatch,
                                                                              fake_embeddings) -> None:
    class Model:
        closed = 0

        def close(self) -> None:
            self.closed += 1

    built: list[Model] = []
    monkeypatch.setattr(providers, "build_llm", lambda settings: built.append(Model()) or built[-1])
    given = Model()
    bot = Chatbot(make_settings(tmp_path / "home", answer_mode="local"), embeddings=fake_embeddings,
                  llm=given)  # type: ignore[arg-type]
    assert bot.llm_for("local") is given
    assert bot.llm_for("server") is built[0]
    bot.hold_writer()
    bot.hold_writer()  # once is enough
    assert providers.build_writer_lock(bot.settings).held
    bot.close()
    bot.close()
    assert built[0].closed == 1 and given.closed == 0
    assert not providers.build_writer_lock(bot.settings).held
    with pytest.raises(RuntimeError, match="closed"):
        bot.llm_for("server")


def test_the_keyword_index_closes_every_threads_connection(tmp_path) -> None:
    from rag.keyword import IndexedArticle, KeywordIndex

    keywords = KeywordIndex(tmp_path / "keywords")
    with keywords.writing() as w:
        w.put([IndexedArticle("a", "h", "2024-01-01", [("a#0", "Blinken zegde geld toe")])])
    opened, done = threading.Event(), threading.Event()
    counts: list[int] = []

    def serve() -> None:  # a server thread: a connection of its own, open while the thread lives
        counts.append(keywords.count())
        opened.set()
        done.wait(30)
        counts.append(keywords.count())  # after the close: connects again

    other = threading.Thread(target=serve)
    other.start()
    assert opened.wait(30)
    keywords.close()
    keywords.close()
    assert files_under(tmp_path / "keywords") == []
    done.set()
    other.join(30)
    assert counts == [1, 1]
    assert keywords.count() == 1  # here too a later use opens the file again
    keywords.close()
    assert files_under(tmp_path / "keywords") == []


def test_the_one_shot_commands_close_their_bot(run_cli) -> None:
    for command in (["ingest", str(ARTICLES)], ["search", "Blinken"],
                    ["ask", "--mode", "extractive", "Hoeveel geld zegde Blinken toe?"]):
        result = run_cli(*command)
        assert result.exit_code == 0, result.output
        assert closed_soon(run_cli.home) == [], command
