"""Small, real fakes for unit speed: a bag-of-words embedder and a scripted chat model.

A fake never stands in for the thing a test claims to check: retrieval quality, cross-lingual
matching and citation support thresholds are tested with the real embedder elsewhere.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult


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

    @property
    def identity(self):
        from rag.embedder_id import EmbedderId

        return EmbedderId("bag-of-words", "none", self.dim)

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


class AnsweringChatModel(RecordingChatModel):
    """A scripted model for the answer chain's two tasks: a judge prompt ("… Yes or No:") gets Yes/No
    with OpenAI-shaped log-probabilities from ``yes(sentence) -> P(Yes)``; any other prompt gets the
    next scripted reply, streamed word by word. Every prompt is kept in ``seen``."""

    yes: Callable[[str], float] = lambda sentence: 0.9
    yes_for: Callable[[str, str], float] | None = None  # (question, sentence) -> P(Yes), when given
    probe: Callable[[str, str], float] | None = None  # (question, sentence) -> the judge probe's P, when given

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append(list(messages))
        last = messages[-1].text
        if not last.rstrip().endswith("Yes or No:"):
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        sentence = re.search(r"Sentence \[\d+\]: (.*)\n", last).group(1)
        question = re.search(r"Question: (.*)\n", last).group(1)
        p = min(max(self.yes_for(question, sentence) if self.yes_for else self.yes(sentence), 1e-6), 1 - 1e-6)
        top = [{"token": "Yes", "logprob": math.log(p)}, {"token": "No", "logprob": math.log(1 - p)}]
        top.sort(key=lambda t: -t["logprob"])
        message = AIMessage(top[0]["token"], response_metadata={"logprobs": {"content": [{**top[0], "top_logprobs": top}]}})
        if self.probe:
            message.response_metadata["answer_probe"] = self.probe(question, sentence)
        return ChatResult(generations=[ChatGeneration(message=message)])


def recording_llm(*replies: str, yes: Callable[[str], float] = lambda sentence: 0.9) -> AnsweringChatModel:
    """Judges every sentence with ``yes`` (default: answers, P 0.9) and phrases with ``replies`` in turn."""
    return AnsweringChatModel(messages=iter([AIMessage(r) for r in replies]), seen=[], yes=yes)


def yes_when(*words: str) -> Callable[[str], float]:
    """A judge that says a sentence answers (P 0.95) when it holds one of ``words``, else not (0.05)."""
    return lambda sentence: 0.95 if any(w in sentence for w in words) else 0.05


def judged_prompts(llm: RecordingChatModel) -> list[str]:
    """The prompts a recording model was asked to judge ("… Yes or No:"), in order."""
    return [m[-1].text for m in llm.seen if m[-1].text.rstrip().endswith("Yes or No:")]
