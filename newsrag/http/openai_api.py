"""The OpenAI-compatible face of the API: ``POST /v1/chat/completions`` and ``GET /v1/models``.

The last user message is the question; the user and assistant turns before it are the history;
system messages are ignored (newsrag writes its own prompt). The ``model`` field picks an answer
mode when it names one (``newsrag-extractive``, ``newsrag-local``, ``newsrag-server``); any other
name gets the server's default mode.

Citations travel beside the text, in fields OpenAI clients keep as extras:

    non-streamed   completion.citations  and  completion.choices[0].message.citations
    streamed       the last chunk before ``data: [DONE]`` has ``citations``, ``answer`` (the
                   checked text, which replaces the streamed draft) and ``abstained``

Each citation is ``{"n", "doc_id", "title", "date", "quote", "start", "end", "score"}``. The
streamed ``content`` deltas are the model's draft as it writes; extractive answers, which have no
draft, arrive as one delta holding the checked text.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from newsrag.chatbot import Chatbot
from rag.answer import Answer, Event
from rag.errors import InputError, NewsragError
from rag.settings import ANSWER_MODES

MODEL = "newsrag"
log = logging.getLogger(__name__)


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type in ("text", "input_text"))
        return self.content or ""


class ChatRequest(BaseModel):
    """OpenAI's request body; sampling options (temperature, max_tokens, ...) are accepted and ignored."""
    model_config = ConfigDict(extra="allow")
    model: str = Field(default=MODEL, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False


def mode_for(model: str, default: str) -> str:
    """``newsrag-extractive`` -> ``extractive``; names that are no mode -> the default."""
    name = model.strip().lower()
    name = name[len(MODEL) + 1:] if name.startswith(MODEL + "-") else name
    return name if name in ANSWER_MODES else default


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    """(question, history): the last user message, and the user/assistant turns before it."""
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None:
        raise InputError("no user message: the last user message is the question")
    history = [{"role": m.role, "content": m.text()} for m in messages[:last] if m.role in ("user", "assistant")]
    return messages[last].text(), history


def citations_of(answer: Answer) -> list[dict]:
    return [c.model_dump() for c in answer.citations]


def completion(answer: Answer, model: str) -> dict:
    cites = citations_of(answer)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
        "model": model, "system_fingerprint": None,
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": answer.answer, "refusal": None,
                                 "citations": cites}}],
        "citations": cites, "abstained": answer.abstained,
    }


def _sse(payload: dict | str) -> str:
    return f"data: {payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)}\n\n"


def chunks(events: Iterator[Event], model: str) -> Iterator[str]:
    """OpenAI ``chat.completion.chunk`` server-sent events for a newsrag event stream, then ``[DONE]``."""
    base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model, "system_fingerprint": None}

    def chunk(delta: dict, finish: str | None = None, **extra: Any) -> str:
        return _sse({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                     **extra})

    yield chunk({"role": "assistant", "content": ""})
    drafted = False
    try:
        for event in events:
            if event.kind == "token" and event.token:
                drafted = True
                yield chunk({"content": event.token})
            elif event.kind == "answer" and event.answer is not None:
                answer = event.answer
                if not drafted:
                    yield chunk({"content": answer.answer})
                yield chunk({}, "stop", citations=citations_of(answer), answer=answer.answer,
                            abstained=answer.abstained)
    except NewsragError as exc:  # the status line is gone: the error travels as OpenAI streams it
        yield _sse({"error": {"message": str(exc), "type": "server_error", "param": None, "code": None}})
    except Exception as exc:  # a bug: logged with its traceback, one line to the client
        log.exception("streamed chat completion failed")
        yield _sse({"error": {"message": f"internal error ({type(exc).__name__}); the server log has the details",
                              "type": "server_error", "param": None, "code": None}})
    yield _sse("[DONE]")


def router(bot: Chatbot) -> APIRouter:
    settings = bot.settings
    api = APIRouter(prefix="/v1", tags=["openai"])
    created = int(time.time())

    @api.get("/models")
    def models() -> dict:
        """``newsrag`` (the default answer mode) and one ``newsrag-<mode>`` per usable mode."""
        usable = ["extractive"]
        if settings.gguf_path.exists():
            usable.append("local")
        if settings.server_base_url:
            usable.append("server")
        names = [MODEL] + [f"{MODEL}-{m}" for m in usable]
        return {"object": "list",
                "data": [{"id": n, "object": "model", "created": created, "owned_by": "newsrag"} for n in names]}

    @api.post("/chat/completions",
              responses={200: {"content": {"text/event-stream": {}}, "description":
                               "chat.completion, or chat.completion.chunk events when stream is true"}})
    def chat_completions(body: ChatRequest):
        """OpenAI chat completions; citations in ``citations`` (see the module docs of newsrag.http.openai_api)."""
        question, history = split_messages(body.messages)
        mode = mode_for(body.model, settings.answer_mode)
        if not body.stream:
            return completion(bot.ask(question, history, mode=mode), body.model)
        events = bot.stream(question, history, mode=mode)
        first = next(events)  # validation and retrieval errors surface here, before the status line
        return StreamingResponse(chunks(itertools.chain([first], events), body.model), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return api
