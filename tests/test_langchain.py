"""newsrag inside LangChain: the retriever returns Documents, the Runnable composes in a pipe."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda

from newsrag.langchain import NewsRetriever, as_runnable
from tests.conftest import ARTICLES

QUESTION = "Hoeveel extra geld zegde Blinken de regio toe?"


@pytest.fixture
def bot(fake_bot):
    fake_bot.ingest([ARTICLES])
    return fake_bot


def test_retriever_returns_documents_with_citation_metadata(bot):
    docs = NewsRetriever(bot=bot, k=3).invoke("Blinken Centraal-Azië")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    meta = docs[0].metadata
    assert meta["doc_id"] == "000_9dbccd1724277ce9" and meta["date"] == "2023-03"
    assert {"title", "chunk_id", "score", "start", "end"} <= set(meta)
    article = (ARTICLES / "000_9dbccd1724277ce9.txt").read_text(encoding="utf-8")
    assert docs[0].page_content in article  # the exact chunk text
    assert NewsRetriever(bot=bot, k=3, until="1999").invoke("Blinken") == []


def test_runnable_answers_and_composes(bot):
    runnable = as_runnable(bot)
    answer = runnable.invoke({"question": QUESTION, "history": []})
    assert answer["citations"] and answer["citations"][0]["doc_id"] == "000_9dbccd1724277ce9"
    assert len(as_runnable(bot, k=2).invoke(QUESTION)["sources"]) == 2

    chain = runnable | RunnableLambda(lambda a: {c["doc_id"] for c in a["citations"]})
    assert all("000_9dbccd1724277ce9" in ids for ids in chain.batch([QUESTION, {"question": QUESTION, "k": 3}]))
