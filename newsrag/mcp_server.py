"""newsrag as an MCP server over stdio: tools ``ask`` and ``search`` for MCP hosts (Claude Desktop, IDEs).

    {"mcpServers": {"newsrag": {"command": "newsrag", "args": ["mcp"],
                                "env": {"NEWSRAG_HOME": "/path/to/.newsrag"}}}}

Tools are plain sync functions: the MCP SDK (``mcp`` 2.x, ``MCPServer``) runs them in a worker
thread. The bot loads its models on the first call. A ``NewsragError`` becomes a tool error whose
text is the one-line message; anything else is a crash the SDK logs to stderr.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from newsrag.chatbot import Chatbot
from rag.answer import Citation, Passage
from rag.errors import NewsragError
from rag.settings import AnswerMode, Settings

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

log = logging.getLogger(__name__)


class SourceRef(BaseModel):
    n: int
    doc_id: str
    title: str
    date: str
    cited: bool


class AskResult(BaseModel):
    answer: str = Field(description="The checked answer, with [n] markers pointing at citations")
    abstained: bool
    abstain_reason: str = ""
    language: str
    citations: list[Citation]
    sources: list[SourceRef]


class SearchResult(BaseModel):
    passages: list[Passage]


def build_server(bot: Chatbot) -> MCPServer:
    """An ``MCPServer`` whose tools answer with ``bot`` (a ``newsrag.Chatbot``)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer("newsrag", instructions="Answers questions about the indexed news articles (Dutch or "
                       "English) with verbatim, checked citations. Use `search` to see passages, `ask` for answers.")

    @server.tool()
    def ask(question: str, history: list[dict[str, str]] | None = None,
            mode: AnswerMode | None = None,
            since: str | None = None, until: str | None = None) -> AskResult:
        """Answer a question from the news articles, with checked citations (exact quotes).

        history: earlier turns, [{"role": "user"|"assistant", "content": ...}], oldest first.
        since/until: YYYY, YYYY-MM or YYYY-MM-DD. The answer says so when the articles don't."""
        try:
            a = bot.ask(question, history or [], mode=mode, since=since, until=until)
        except NewsragError as exc:
            raise ToolError(str(exc)) from None
        return AskResult(answer=a.answer, abstained=a.abstained, abstain_reason=a.abstain_reason,
                         language=a.language, citations=a.citations,
                         sources=[SourceRef(n=s.n, doc_id=s.doc_id, title=s.title, date=s.date, cited=s.cited)
                                  for s in a.sources])

    @server.tool()
    def search(query: str, k: int = 5, since: str | None = None, until: str | None = None) -> SearchResult:
        """The article passages that best match a query, best first (k at most 50)."""
        if not query.strip():
            raise ToolError("the query is empty")
        try:
            hits = bot.search(query, k=max(1, min(k, 50)), since=since, until=until)
        except NewsragError as exc:
            raise ToolError(str(exc)) from None
        return SearchResult(passages=hits)

    return server


def run_mcp(settings: Settings | None = None) -> None:
    """Serve MCP over stdin/stdout until the client closes it. Logs go to stderr."""
    bot = Chatbot.from_settings(settings or Settings.from_env())
    bot.warm_up()  # before the client's first call; logs go to stderr, stdout stays the protocol's
    build_server(bot).run("stdio")


if __name__ == "__main__":  # python -m newsrag.mcp_server (what `newsrag mcp` runs)
    run_mcp()
