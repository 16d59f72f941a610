"""Small, real fakes for unit speed: a bag-of-words embedder and a scripted chat model.

A fake never stands in for the thing a test claims to check: retrieval quality, cross-lingual
matching and citation support thresholds are tested with the real embedder elsewhere.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage


class BagOfWordsEmbeddings(Embeddings):
    """Hashed word counts, L2-normalised: texts sharing words are similar, deterministic, instant."""

    def __init__(self, dim: int = 512):
        self.dim = dim
        self.calls = 0  # how many texts were embedded, to prove that unchanged input embeds nothing

    def _vec(self, text: str) -> list[float]:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        n = np.linalg.norm(v)
        return (v / n if n else v).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += len(texts)
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


def scripted_llm(*replies: str) -> GenericFakeChatModel:
    """A chat model that answers with ``replies`` in turn, streaming them word by word."""
    return GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))


class RecordingChatModel(GenericFakeChatModel):
    """A scripted chat model that also keeps the messages it was sent, to check what the model saw."""

    seen: list = []

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append(list(messages))
        yield from super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs)


def recording_llm(*replies: str) -> RecordingChatModel:
    return RecordingChatModel(messages=iter([AIMessage(r) for r in replies]), seen=[])
