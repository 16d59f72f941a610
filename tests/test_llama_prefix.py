"""System-prompt KV snapshots (``rag.llama_prefix``) with the real local model: switching between the
judge and phrase prompts no longer prefills a system prompt again, a saved state serves a new
process, and neither changes what the model computes."""

from __future__ import annotations

import gc

import pytest

from rag.prompts import judge_messages, phrase_messages, rewrite_messages
from tests.conftest import GGUF_PATH

pytestmark = pytest.mark.llm

QUESTION = "Hoeveel extra geld zegde Blinken de regio toe?"
SENTENCES = ["Blinken zegde de regio 25 miljoen dollar extra toe voor economische projecten.",
             "Blinken heeft vrijdag nog een ontmoeting met de overige leden van de 'Quad'."]


def top(message) -> dict[str, float]:
    return {e["token"]: e["logprob"] for e in message.response_metadata["logprobs"]["content"][0]["top_logprobs"][:5]}


def judged(llm, sentence: str, n: int = 1):
    return llm.bind(logprobs=True, top_logprobs=20, max_tokens=1).invoke(judge_messages(QUESTION, n, sentence))


def from_scratch(llm) -> None:
    """Forget every kept state and the context: the next call prefills everything."""
    llm._snapshots._saved.clear()
    llm._llama._clear_context_state()


@pytest.fixture(scope="module")
def make_llm():
    from newsrag.setup.gguf_build import assemble_gguf
    from rag.llm import ChatLlamaCpp

    path = assemble_gguf(GGUF_PATH)  # as the conftest's local_llm: a missing model fails, it does not skip
    made: list[ChatLlamaCpp] = []

    def make(**kw) -> ChatLlamaCpp:
        made.append(ChatLlamaCpp(model_path=str(path), max_tokens=24, **kw))
        return made[-1]

    yield make
    for llm in made:  # freed here, not by the garbage collector (ChatLlamaCpp.close)
        llm.close()


def test_switching_system_prompts_restores_instead_of_prefilling(make_llm):
    llm = make_llm()
    phrase = phrase_messages(QUESTION, "nl", [(1, SENTENCES[0])])

    first = judged(llm, SENTENCES[0])
    assert llm.last_stats["system_state"] == "made"
    system_tokens = llm.last_stats["system_prefilled"]
    assert system_tokens >= 40  # the judge's system prompt and the user header

    judged(llm, SENTENCES[1], 2)
    assert llm.last_stats["system_state"] == "held"  # the next judge call shares it anyway

    text = llm.invoke(phrase).content
    assert llm.last_stats["system_state"] == "made"  # the phrase prompt's own system part, once

    again = judged(llm, SENTENCES[0])
    stats = llm.last_stats
    assert stats["system_state"] == "restored" and stats["system_prefilled"] == 0
    assert stats["reused_tokens"] == system_tokens  # only the question and the sentence were prefilled
    assert llm.invoke(phrase).content == text  # restored, greedy: the same words
    assert llm.last_stats["system_state"] == "restored"

    # What the model computes is the same as from an empty context.
    from_scratch(llm)
    fresh = judged(llm, SENTENCES[0])
    for got in (first, again):
        assert top(got).keys() == top(fresh).keys()
        assert all(abs(top(got)[t] - top(fresh)[t]) < 0.02 for t in top(fresh))


def test_a_saved_state_serves_the_next_process(make_llm, tmp_path):
    folder = tmp_path / "llm-prefix"
    llm = make_llm(prefix_cache_dir=str(folder))
    llm.prime([judge_messages("?", 1, "?")])
    assert len(list(folder.glob("*.llstate"))) == 1
    before = judged(llm, SENTENCES[0])
    del llm
    gc.collect()

    later = make_llm(prefix_cache_dir=str(folder))  # as a new process would: nothing in memory
    later.prime([judge_messages("?", 1, "?")])
    assert later.last_stats == {}  # priming answers nothing
    after = judged(later, SENTENCES[0])
    assert later.last_stats["system_state"] in ("held", "loaded")
    assert later.last_stats["reused_tokens"] >= 40
    assert top(after).keys() == top(before).keys()
    assert all(abs(top(after)[t] - top(before)[t]) < 0.02 for t in top(before))

    (stale,) = folder.glob("*.llstate")
    stale.write_bytes(b"not a llama.cpp state")  # damaged: ignored, prefilled again, still right
    damaged = make_llm(prefix_cache_dir=str(folder))
    assert top(judged(damaged, SENTENCES[0])).keys() == top(before).keys()
    assert damaged.last_stats["system_state"] == "made"


def test_a_rewrites_worked_examples_are_restored_with_its_system_prompt(make_llm):
    llm = make_llm()
    rewrite = rewrite_messages("Wie bezocht Centraal-Azië?", "Blinken.", "Wat zegde hij daar toe?")
    made = llm.invoke(rewrite).content
    assert llm.last_stats["system_state"] == "made"
    fixed = llm.last_stats["system_prefilled"]
    assert fixed >= 120  # the system prompt and both worked examples, not the system prompt alone

    judged(llm, SENTENCES[0])  # another prompt takes the context
    restored = llm.invoke(rewrite).content
    stats = llm.last_stats
    assert stats["system_state"] == "restored" and stats["system_prefilled"] == 0
    assert stats["reused_tokens"] >= fixed  # only the last turn was prefilled
    assert restored == made  # the same greedy words as from an empty context


def test_the_same_prompt_gets_the_same_numbers_whatever_was_asked_before(make_llm):
    """Only a prompt's fixed part is reused: the rest is computed afresh each call. The library also
    reused the cells of the question shared with the previous call, computed in another batch, so a
    judgement depended (slightly) on what was asked before: one holdout answer changed with the order
    of the questions (docs/eval.md, stop 42)."""
    llm = make_llm()
    judge = llm.bind(logprobs=True, top_logprobs=20, max_tokens=1)
    pair = [judge_messages(QUESTION, 1, SENTENCES[0]), judge_messages(QUESTION, 2, SENTENCES[1])]
    alone = judged(llm, SENTENCES[1], 2)
    together = [top(m) for m in judge.batch(pair)]

    judged(llm, SENTENCES[0])  # the same system part and question: shared with the next call
    assert top(judged(llm, SENTENCES[1], 2)) == top(alone)
    assert llm.last_stats["system_state"] == "held"
    assert llm.last_stats["reused_tokens"] == llm.last_stats["system_tokens"]  # the system part, no more
    judged(llm, SENTENCES[0])
    assert [top(m) for m in judge.batch(pair)] == together
