"""The default local LLM end to end: the real Qwen2.5-Coder-1.5B GGUF run by llama.cpp in-process.

Generations are short (max_tokens 32) and greedy, so the file runs in well under a minute.
"""

from __future__ import annotations

import threading

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from rag.errors import ConfigError
from tests.conftest import GGUF_PATH

pytestmark = pytest.mark.llm

SYSTEM = SystemMessage("Je bent een behulpzame assistent. Antwoord kort, in het Nederlands.")


@pytest.fixture(scope="module")
def llm():
    from newsrag.setup.gguf_build import assemble_gguf
    from rag.llm import ChatLlamaCpp

    try:
        path = assemble_gguf(GGUF_PATH)  # a no-op when already built (size + .sha256 sidecar)
    except ConfigError as e:
        pytest.skip(str(e))
    llm = ChatLlamaCpp(model_path=str(path), max_tokens=32)
    yield llm
    llm.close()


def test_invoke_returns_text(llm):
    answer = llm.invoke([SYSTEM, HumanMessage("Wat is de hoofdstad van Nederland?")])
    assert "Amsterdam" in answer.content
    assert "<|" not in answer.content  # chat-template tokens are parsed, not echoed as text
    assert answer.response_metadata["llama_stats"]["completed"]


def test_stream_matches_invoke(llm):
    question = [SYSTEM, HumanMessage("Noem drie kleuren van de Nederlandse vlag.")]
    whole = llm.invoke(question).content
    pieces = [chunk.content for chunk in llm.stream(question)]
    assert len([p for p in pieces if p]) >= 3
    assert "".join(pieces) == whole  # greedy: the same prompt gives the same text


def test_stop_sequence_stops_output(llm):
    question = [SYSTEM, HumanMessage("Tel van 1 tot 10, gescheiden door komma's. Alleen de getallen.")]
    full = llm.invoke(question).content
    assert "6" in full
    cut = llm.invoke(question, stop=["5"]).content
    assert cut and "5" not in cut and "6" not in cut
    assert full.startswith(cut)


def test_system_prompt_prefix_is_reused(llm):
    llm.invoke([SYSTEM, HumanMessage("Wat is de hoofdstad van België?")])
    llm.invoke([SYSTEM, HumanMessage("Wat is de hoofdstad van Duitsland?")])
    stats = llm.last_stats
    assert stats["reused_tokens"] >= 20 and stats["prefilled_tokens"] < stats["input_tokens"]


def test_concurrent_calls_are_serialized(llm):
    answers: dict[int, str] = {}

    def ask(i: int) -> None:
        answers[i] = llm.invoke([SYSTEM, HumanMessage("Wat is de hoofdstad van Frankrijk?")]).content

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers[0] == answers[1] and "Pari" in answers[0]


def _p_yes(messages) -> list[float]:
    from rag.decide import read_yes

    return [read_yes(m) for m in messages]


def test_judge_prompts_scored_together_match_one_by_one(llm):
    """The batched decode (shared start in sequence 0, each sentence its own sequence) gives the
    same judgements as one call per sentence, and scores more than JUDGE_SEQS prompts in groups."""
    from rag.llm import JUDGE_SEQS
    from rag.prompts import judge_messages

    sentences = ["Biden noemde Poetin een moordenaar.", "Het weer in Zeeland was zonnig.",
                 "Moskou riep zijn ambassadeur terug.", "De prijs van brood steeg.", "Poetin reageerde boos.",
                 "Er viel veel regen in Limburg.", "De VS overwegen sancties.", "Xi bezocht Moskou.",
                 "Biden zei dat Poetin een moordenaar is."]
    assert len(sentences) > JUDGE_SEQS
    prompts = [judge_messages("Hoe noemde Biden Poetin?", n, s) for n, s in enumerate(sentences, 1)]
    ask = llm.bind(logprobs=True, top_logprobs=20, max_tokens=1)
    one_by_one = _p_yes(ask.invoke(p) for p in prompts)
    together = _p_yes(ask.batch(prompts))
    assert llm.last_stats["batched"] == len(prompts)
    assert max(abs(a - b) for a, b in zip(one_by_one, together)) < 0.06
    assert together.index(max(together)) == one_by_one.index(max(one_by_one))  # the same pick


def test_after_a_batch_only_the_shared_start_stays_and_the_next_call_reuses_it(llm):
    from llama_cpp_py_sync._cffi_bindings import get_lib

    from rag.llm import JUDGE_SEQS
    from rag.prompts import judge_messages

    prompts = [judge_messages("Hoe noemde Biden Poetin?", n, s)
               for n, s in ((1, "Biden noemde Poetin een moordenaar."), (2, "Het weer was zonnig."))]
    ask = llm.bind(logprobs=True, top_logprobs=20, max_tokens=1)
    alone = _p_yes([ask.invoke(prompts[0])])[0]
    ask.batch(prompts + prompts[:1])  # the same prompt twice, too
    lib = get_lib()
    memory = lib.llama_get_memory(llm._llama._ctx)
    assert all(lib.llama_memory_seq_pos_max(memory, seq) == -1 for seq in range(1, JUDGE_SEQS + 1))
    again = _p_yes([ask.invoke(prompts[0])])[0]  # continues from the shared start the batch left
    assert llm.last_stats["reused_tokens"] > 20
    assert abs(again - alone) < 0.06


def test_a_prompt_longer_than_one_decode_is_scored_across_decodes(llm):
    from rag.llm import N_BATCH
    from rag.prompts import judge_messages

    long = " ".join(["Het kabinet trekt geld uit voor dijken en regenbuffers in Limburg."] * 60)
    prompts = [judge_messages("Waar gaat het geld heen?", 1, long), judge_messages("Waar gaat het geld heen?", 2, "Xi.")]
    ask = llm.bind(logprobs=True, top_logprobs=20, max_tokens=1)
    one_by_one = _p_yes(ask.invoke(p) for p in prompts)
    together = _p_yes(ask.batch(prompts))
    assert llm.last_stats["prefilled_tokens"] > N_BATCH  # the suffixes took more than one llama_decode
    assert max(abs(a - b) for a, b in zip(one_by_one, together)) < 0.06


@pytest.fixture(scope="module")
def probed_llm(llm):
    from rag.judge_probe import DEFAULT_PROBE
    from rag.llm import ChatLlamaCpp

    probed = ChatLlamaCpp(model_path=llm.model_path, max_tokens=32, probe_path=str(DEFAULT_PROBE))
    yield probed
    probed.close()


def test_the_judge_probe_reads_the_hidden_state_alike_together_and_one_by_one(probed_llm):
    """With the shipped probe, each judgement carries P(answers) from the hidden state, the same
    (within the batched decode's rounding) whether the prompts are scored together or one by one,
    and the sentence that answers scores highest."""
    from rag.decide import read_answers
    from rag.prompts import judge_messages

    sentences = ["Het weer in Zeeland was zonnig.", "Biden noemde Poetin een moordenaar.", "De prijs van brood steeg.",
                 "Moskou riep zijn ambassadeur terug."]
    prompts = [judge_messages("Hoe noemde Biden Poetin?", n, s) for n, s in enumerate(sentences, 1)]
    ask = probed_llm.bind(logprobs=True, top_logprobs=20, max_tokens=1)
    together = ask.batch(prompts)
    assert probed_llm.probes and all("answer_probe" in m.response_metadata for m in together)
    singles = [ask.invoke(p) for p in prompts]
    assert all("answer_probe" in m.response_metadata for m in singles)
    one_by_one = [read_answers(m) for m in singles]
    assert max(abs(a - read_answers(b)) for a, b in zip(one_by_one, together)) < 0.08
    assert max(range(4), key=lambda i: one_by_one[i]) == 1


def test_the_probe_tap_does_not_change_what_the_model_writes(llm, probed_llm):
    """Neither its text nor, with the tap on, its judgement: the graph runs to the end after layer 20."""
    from rag.decide import read_yes
    from rag.prompts import judge_messages

    messages = [SYSTEM, HumanMessage("Noem de hoofdstad van Nederland.")]
    assert probed_llm.invoke(messages).content == llm.invoke(messages).content
    judged = judge_messages("Hoe noemde Biden Poetin?", 1, "Biden noemde Poetin een moordenaar.")
    plain, probed = (m.bind(logprobs=True, top_logprobs=20, max_tokens=1).invoke(judged) for m in (llm, probed_llm))
    assert "answer_probe" in probed.response_metadata
    assert read_yes(probed) == pytest.approx(read_yes(plain), abs=0.02)


def test_a_probe_trained_on_another_model_is_not_used(tmp_path, llm):
    from rag.judge_probe import DEFAULT_PROBE, Probe
    from rag.llm import ChatLlamaCpp
    from rag.prompts import judge_messages

    probe = Probe.load(DEFAULT_PROBE)
    other = tmp_path / "other.json"
    Probe(**{**probe.__dict__, "model": "another-model.gguf"}).save(other)
    model = ChatLlamaCpp(model_path=llm.model_path, max_tokens=8, probe_path=str(other))
    try:
        message = model.bind(logprobs=True, top_logprobs=20, max_tokens=1).invoke(judge_messages("Wie?", 1, "Jan."))
        assert not model.probes and "answer_probe" not in message.response_metadata
    finally:
        model.close()
