"""The HTTP API's request and response bodies: what /openapi.json publishes.

Limits here are the schema's; the answer chain enforces its own (a question of at most 2,000
characters, real ISO dates) and says so in one line.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.answer import Passage
from rag.settings import AnswerMode

DateText = Annotated[str | None, Field(default=None, max_length=10, examples=["2023-03"],
                                       description="YYYY, YYYY-MM or YYYY-MM-DD")]


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=10_000, examples=["Hoeveel extra geld zegde Blinken de regio toe?"])
    history: list[Turn] = Field(default_factory=list, max_length=100, description="Earlier turns, oldest first")
    mode: AnswerMode | None = Field(default=None, description="Answer mode; the server's default when absent")
    since: DateText
    until: DateText
    k: int | None = Field(default=None, ge=1, le=50, description="Passages to retrieve")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=10_000)
    k: int | None = Field(default=None, ge=1, le=50)
    since: DateText
    until: DateText


class SearchResponse(BaseModel):
    query: str
    hits: list[Passage]


class IngestResponse(BaseModel):
    counts: dict[str, int]  # added, updated, unchanged, removed, skipped
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    skipped: list[str]  # one line each: "file[:line]: reason"
    warnings: list[str]
    chunks_embedded: int
    linked: list[str] = Field(default_factory=list,
                              description="Stories that gained a member: near-duplicate ids joined by ' ~ '")


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    date: str
    source: str
    n_chunks: int
    content_hash: str


class DocumentsResponse(BaseModel):
    count: int
    documents: list[DocumentOut]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
