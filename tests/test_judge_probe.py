"""The judge probe (``rag.judge_probe``): its file, its maths, how a judgement reads it, its setting."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from langchain_core.messages import AIMessage

from rag.decide import judge, read_answers
from rag.errors import ConfigError
from rag.judge_probe import DEFAULT_PROBE, Probe
from rag.settings import Settings
from tests.test_decide import with_logprobs


def _probe(**kw):
    values = {"model": "m.gguf", "layer": 20, "mean": np.array([1.0, -1.0]), "scale": np.array([2.0, 0.5]),
              "coef": np.array([0.5, 2.0]), "intercept": -0.25}
    return Probe(**{**values, **kw})


def test_the_probe_is_a_logistic_regression_on_the_standardised_hidden_state():
    probe = _probe()
    z = 0.5 * (3.0 - 1.0) / 2.0 + 2.0 * (0.0 + 1.0) / 0.5 - 0.25
    assert probe.p(np.array([3.0, 0.0])) == pytest.approx(1 / (1 + math.exp(-z)))
    assert probe.tensor == "l_out-20"


def test_a_saved_probe_loads_the_same(tmp_path):
    path = tmp_path / "probe.json"
    _probe(trained_on="tune").save(path)
    again = Probe.load(path)
    assert (again.model, again.layer, again.trained_on) == ("m.gguf", 20, "tune")
    assert again.p(np.array([0.3, 0.7])) == pytest.approx(_probe().p(np.array([0.3, 0.7])), abs=1e-6)


@pytest.mark.parametrize("change", [{"coef": [1.0]}, {"scale": [0.0, 1.0]}, {"layer": "x"}, None])
def test_a_malformed_probe_file_is_one_clear_error(tmp_path, change):
    path = tmp_path / "probe.json"
    if change is None:
        path.write_text("{not json", encoding="utf-8")
    else:
        path.write_text(json.dumps({**_probe().to_json(), **change}), encoding="utf-8")
    with pytest.raises(ConfigError, match="judge probe"):
        Probe.load(path)


def test_the_shipped_probe_belongs_to_the_default_model_and_is_documented():
    probe = Probe.load(DEFAULT_PROBE)
    assert probe.model == Settings(home=DEFAULT_PROBE.parent).gguf_path.name
    assert len(probe.coef) == 1536 and "AUC" in probe.trained_on


def test_a_judgement_reads_the_probe_when_the_model_gives_one_and_p_yes_otherwise():
    probed = with_logprobs(("Yes", 0.9), ("No", 0.1))
    probed.response_metadata["answer_probe"] = 0.2
    assert read_answers(probed) == pytest.approx(0.2)
    assert read_answers(with_logprobs(("Yes", 0.9), ("No", 0.1))) == pytest.approx(0.9)
    assert read_answers(AIMessage("No")) == 0.0


def test_judge_uses_the_probe(monkeypatch):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    class Probed(GenericFakeChatModel):
        probed: tuple = (0.1, 0.8)

        def batch(self, inputs, config=None, **kwargs):
            out = []
            for p in self.probed:
                m = with_logprobs(("Yes", 0.5), ("No", 0.5))
                if p is not None:
                    m.response_metadata["answer_probe"] = p
                out.append(m)
            return out

    two = [(1, "Een zin."), (2, "Nog een zin.")]
    judged = judge(Probed(messages=iter([])), "Wie?", two)
    assert judged.p_yes == [pytest.approx(0.1), pytest.approx(0.8)] and judged.by == "probe"
    assert judged.ranked()[0] == 1
    # the parts of a question (and a timeline) are judged by P(Yes): the probe never saw them
    by_yes = judge(Probed(messages=iter([])), "Wie?", two, probe=False)
    assert by_yes.p_yes == [pytest.approx(0.5), pytest.approx(0.5)] and by_yes.by == "p_yes"
    assert by_yes.probed == (pytest.approx(0.1), pytest.approx(0.8))  # kept beside it (a timeline's lines)
    assert judged.probed == ()
    # one prompt without a probe value: the two scales are never mixed, and the judgement says so
    partly = judge(Probed(messages=iter([]), probed=(0.1, None)), "Wie?", two)
    assert partly.p_yes == [pytest.approx(0.5), pytest.approx(0.5)] and partly.by == "p_yes" and partly.probed == ()
    assert judge(Probed(messages=iter([]), probed=(0.1, None)), "Wie?", two, probe=False).probed == ()  # none, not one
    # a correction keeps what the Ps are
    from rag.decide import with_corrections
    corrected = with_corrections(judged, "Won Nederland goud op de 500 meter?",
                                 ["Op de 500 meter won Nederland geen goud.", "x"])
    assert corrected.corrections == {0} and corrected.by == "probe"


@pytest.mark.parametrize("value, expected", [("off", None), ("OFF", None), ("default", DEFAULT_PROBE), ("on", DEFAULT_PROBE),
                                             ("/x/probe.json", "/x/probe.json")])
def test_the_setting_chooses_the_probe(value, expected):
    path = Settings.from_env({"NEWSRAG_JUDGE_PROBE": value}).judge_probe_path
    assert (None if path is None else str(path)) == (None if expected is None else str(expected))
    assert Settings().judge_probe_path == DEFAULT_PROBE


def _rows(n_questions=40, seed=0):
    """Questions of 5 judged sentences: the answerable ones (even) hold one gold sentence whose hidden
    state leans along the first axis; the others' sentences do not; some non-gold sentences of
    answerable questions lean too (they answer as well: left out of training)."""
    rng = np.random.default_rng(seed)
    rows, states = [], []
    for q in range(n_questions):
        answerable = q % 2 == 0
        for i in range(5):
            gold = answerable and i == 0
            h = rng.normal(size=8) + (np.eye(8)[0] * 3 if gold or (answerable and i == 1 and q % 4 == 0) else 0)
            rows.append({"id": f"q{q}", "answerable": answerable, "gold": gold, "p_yes": 0.5})
            states.append(h)
    return rows, np.array(states)


def test_training_learns_gold_sentences_against_those_of_unanswerable_questions():
    from eval.train_probe import _question_auc, train

    rows, states = _rows()
    model, scores = train(rows, states, c=0.1)
    assert _question_auc(rows, scores) > 0.9  # cross-validated, by question
    assert _question_auc(rows, np.array([r["p_yes"] for r in rows])) == 0.5
    assert model.predict_proba(np.eye(8)[:1] * 3)[0, 1] > 0.5 > model.predict_proba(np.zeros((1, 8)))[0, 1]


def test_the_cut_refuses_at_most_the_allowed_share_of_answerable_questions():
    from eval.train_probe import _question_scores, cut

    rows, _ = _rows(20)
    scores = np.array([0.9 if r["gold"] else 0.1 for r in rows])
    scores[[5 * q for q in (0, 2)]] = 0.15  # two answerable questions of ten score low: refused under 0.15+
    at = cut(rows, scores, false_abstention=0.10)
    answerable, score = _question_scores(rows, scores)
    refused = np.mean([s < at for a, s in zip(answerable, score) if a])
    assert refused <= 0.10 and at <= 0.13
    assert cut(rows, scores, false_abstention=0.20) > 0.13


@pytest.mark.parametrize("text, quotes, gold", [
    ("De C5+1 is in 2015 opgericht.", ["De C5+1 is in 2015 opgericht."], True),
    ("Volgens Blinken is de C5+1 in 2015 opgericht, zei hij.", ["De C5+1 is in 2015 opgericht."], True),
    ("Blinken bezocht Astana.", ["De C5+1 is in 2015 opgericht."], False),
    ("Blinken bezocht Astana.", [], False)])
def test_a_sentence_is_gold_when_it_holds_the_gold_quote(text, quotes, gold):
    from eval.train_probe import _is_gold

    assert _is_gold(text, quotes) is gold


def test_training_judges_the_question_the_report_says_the_judge_saw():
    from eval.train_probe import _asked

    history = [{"role": "user", "content": "Wie won de 10.000 meter?"}, {"role": "assistant", "content": "Van Lent."}]
    served = {"question": "En de 5000 meter?", "history": history,
              "decision": {"asked": "Wie won de 5000 meter?"}}
    assert _asked(served) == "Wie won de 5000 meter?"
    older = {"question": "En de 5000 meter?", "history": history, "decision": {}}  # a report from before
    assert _asked(older) == "(Wie won de 10.000 meter?) En de 5000 meter?"
    assert _asked({"question": "Wie won?", "history": []}) == "Wie won?"


def test_judged_states_are_kept_and_read_back_for_their_layer_only(tmp_path):
    from eval.train_probe import load_states, save_states

    rows, states = _rows(4)
    save_states(tmp_path / "s.npz", rows, states, layer=20)
    again, kept = load_states(tmp_path / "s.npz", 20)
    assert again == rows and np.array_equal(kept, states)
    with pytest.raises(SystemExit, match="layer 20, not 16"):
        load_states(tmp_path / "s.npz", 16)


def test_states_kept_by_several_runs_are_pooled_and_a_question_is_never_counted_twice(tmp_path):
    from eval.train_probe import pooled_states, save_states

    rows, states = _rows(4)
    first = [dict(r, id=f"a.json:{r['id']}") for r in rows]
    second = [dict(r, id=f"b.json:{r['id']}") for r in rows[:3]]
    save_states(tmp_path / "a.npz", first, states, layer=20)
    save_states(tmp_path / "b.npz", second, states[:3], layer=20)
    pooled, kept = pooled_states([tmp_path / "a.npz", tmp_path / "b.npz"], 20)
    assert pooled == first + second and np.array_equal(kept, np.concatenate([states, states[:3]]))
    save_states(tmp_path / "again.npz", first[:1], states[:1], layer=20)  # one question of a.npz once more
    with pytest.raises(SystemExit, match="is in .*a.npz too"):
        pooled_states([tmp_path / "a.npz", tmp_path / "again.npz"], 20)


def test_a_probe_is_trained_from_pooled_states_without_loading_the_model(tmp_path, monkeypatch, capsys):
    from eval.train_probe import main, save_states

    monkeypatch.setenv("NEWSRAG_HOME", str(tmp_path / "home"))  # no model there: judging would fail
    rows, states = _rows(40)
    half = len(rows) // 2
    save_states(tmp_path / "a.npz", [dict(r, id=f"a.json:{r['id']}") for r in rows[:half]], states[:half], layer=20)
    save_states(tmp_path / "b.npz", [dict(r, id=f"b.json:{r['id']}") for r in rows[half:]], states[half:], layer=20)
    main(["--states", str(tmp_path / "a.npz"), "--states", str(tmp_path / "b.npz"), "--out", str(tmp_path / "p.json")])
    note = json.loads((tmp_path / "p.json").read_text())["trained_on"]
    assert note.startswith("a.json, b.json: 200 judged sentences of 40 questions")
    # two files, one of them missing: nothing to pool, and nothing to write it from (reports or not)
    for reports in ([], [str(tmp_path / "r.json")]):
        capsys.readouterr()
        with pytest.raises(SystemExit):
            main([*reports, "--states", str(tmp_path / "a.npz"), "--states", str(tmp_path / "c.npz"),
                  "--out", str(tmp_path / "q.json")])
        assert "c.npz does not exist" in capsys.readouterr().err
        assert not (tmp_path / "q.json").exists()
