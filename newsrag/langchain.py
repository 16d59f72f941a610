"""newsrag for LangChain apps: a retriever over the article index and a Runnable that answers.

    from newsrag import Chatbot
    from newsrag.langchain import NewsRetriever, as_runnable

    bot = Chatbot.from_settings()
    docs = NewsRetriever(bot=bot, k=4).invoke("Blinken Centraal-Azië")     # list[Document]
    answer = as_runnable(bot).invoke({"question": "Hoeveel geld zegde Blinken toe?", "history": []})
    answer["answer"], answer["citations"]                                 # the Answer, as a dict

The retriever gives the passages only; the Runnable runs the whole chain (retrieval, answer,
citation check), so its output carries checked citations that a LangChain prompt of your own
would not. What it leaves out: async variants beyond LangChain's default thread offloading.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from newsrag.chatbot import Chatbot


class NewsRetriever(BaseRetriever):
    """Passages from the news index, best first; ``metadata`` holds what a citation needs."""

    bot: Chatbot
    k: int | None = None  # None: the bot's settings.k
    since: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    until: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [Document(page_content=p.text, id=p.chunk_id, metadata=p.model_dump(exclude={"text"}))
                for p in self.bot.search(query, k=self.k, since=self.since, until=self.until)]


def as_runnable(bot: Chatbot, **options: Any) -> Runnable:
    """A Runnable: ``str`` or ``{"question", "history"?, "mode"?, "since"?, "until"?, "k"?}`` -> Answer dict.

    ``options`` (mode, since, until, k) are defaults that the input mapping may override."""

    def answer(request: str | dict) -> dict:
        if isinstance(request, str):
            request = {"question": request}
        chosen = {**options, **{k: request[k] for k in ("mode", "since", "until", "k") if k in request}}
        return bot.ask(request["question"], list(request.get("history") or []), **chosen).model_dump()

    return RunnableLambda(answer, name="newsrag")
