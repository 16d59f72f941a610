"""The MCP server as an MCP host runs it: a subprocess over stdio, driven by the ``mcp`` client.

The server gets a home holding the three sample articles (real embedder) and answers extractively.
"""

from __future__ import annotations

import asyncio
import sys

from tests.conftest import E5_PATH, ROOT

QUESTION = "Hoeveel extra geld zegde Blinken de regio toe?"


async def talk(home) -> dict:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "newsrag.cli", "mcp"], cwd=str(ROOT),
        env={"NEWSRAG_HOME": str(home), "NEWSRAG_EMBED_MODEL": str(E5_PATH), "NEWSRAG_ANSWER_MODE": "extractive"})
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        return {
            "tools": await session.list_tools(),
            "search": await session.call_tool("search", {"query": "Blinken Centraal-Azië exportmarkten", "k": 3}),
            "ask": await session.call_tool("ask", {"question": QUESTION}),
            "empty": await session.call_tool("ask", {"question": "  "}),
            "bad_date": await session.call_tool("search", {"query": "Blinken", "since": "vorige week"}),
        }


def test_mcp_tools_over_stdio(sample_home):
    got = asyncio.run(asyncio.wait_for(talk(sample_home), timeout=300))

    tools = {t.name: t for t in got["tools"].tools}
    assert set(tools) == {"ask", "search"}
    assert "question" in tools["ask"].input_schema["properties"]

    search = got["search"]
    assert not search.is_error
    passages = search.structured_content["passages"]
    assert len(passages) == 3 and passages[0]["doc_id"] == "000_9dbccd1724277ce9"

    ask = got["ask"]
    assert not ask.is_error
    answer = ask.structured_content
    assert "25 miljoen dollar" in answer["answer"] and not answer["abstained"]
    assert any(c["doc_id"] == "000_9dbccd1724277ce9" and "25 miljoen dollar" in c["quote"]
               for c in answer["citations"])
    assert ask.content and "25 miljoen dollar" in ask.content[0].text  # the text block for hosts without structure

    assert got["empty"].is_error and "the question is empty" in got["empty"].content[0].text
    assert got["bad_date"].is_error and "not a date" in got["bad_date"].content[0].text
