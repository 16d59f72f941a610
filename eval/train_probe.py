"""Train the judge probe (``rag.judge_probe``) from an eval run of the local model.

    python -m eval.train_probe REPORT.json [REPORT.json ...] --out rag/judge_probe.json
    python -m eval.train_probe --states a.npz --states b.npz --out rag/judge_probe.json

Each report (``newsrag eval``, local mode) holds, per question, the sentences that were judged and
the question set's gold quotes. The sentences are judged again by the local model, exactly as
``rag.decide.judge`` does, and the hidden state of ``--layer`` at each prompt's last token is kept.
A logistic regression then learns gold sentences (positive) against the sentences judged for
unanswerable questions (negative); the sentences of answerable questions that are not the gold one
are left out, since some of them answer too. Questions in parts and timelines are left out (their
prompts are not the question's). It prints the question-level AUC of the answerability score
(the mean of the two best) by 10-fold cross-validation over questions, beside P(Yes)'s.

One threshold (``Settings.answer_threshold``) serves both judges: the probe's intercept is shifted
so that its score crosses that threshold where, cross-validated, no more than ``--false-abstention``
of the answerable questions would be refused (P(Yes)'s threshold was set at the same point).
``--states`` keeps the judged sentences and hidden states; kept by several runs (one per question
set, judged side by side), they are pooled and nothing is judged again.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import PrivateAttr
from rich.console import Console
from rich.progress import track

from rag.decide import judge
from rag.judge_probe import Probe
from rag.llm import ChatLlamaCpp
from rag.settings import Settings

_console = Console()


class _Recording(ChatLlamaCpp):
    """The local model, keeping each judged prompt's hidden state instead of probing it."""

    _seen: list[Any] = PrivateAttr(default_factory=list)

    def _probed(self, hidden: Any) -> float | None:
        self._seen.append(hidden)
        return None


def _is_gold(text: str, quotes: list[str]) -> bool:
    words = set(text.lower().split())
    for quote in quotes:
        q = quote.strip()
        shared = len(words & set(q.lower().split())) / max(1, min(len(words), len(q.split())))
        if q and (q in text or text.strip() in q or shared > 0.6):
            return True
    return False


def _asked(q: dict[str, Any]) -> str:
    """The question as the judge saw it: recorded in the decision, or (reports from before it was
    recorded) a follow-up with the earlier question before it."""
    if asked := (q.get("decision") or {}).get("asked"):
        return str(asked)
    earlier = [m["content"] for m in q.get("history") or [] if m.get("role") == "user"]
    return f"({earlier[-1]}) {q['question']}" if earlier else q["question"]


def collect(reports: list[Path], llm: _Recording) -> tuple[list[dict[str, Any]], np.ndarray]:
    rows: list[dict[str, Any]] = []
    states: list[Any] = []
    for report in reports:
        questions = json.loads(report.read_text(encoding="utf-8"))["questions"]
        for q in track(questions, description=f"judging {report.name}", console=_console):
            decision = q.get("decision") or {}
            if q.get("kind") == "timeline" or "parts" in decision or "timeline" in decision or not decision.get("candidates"):
                continue
            quotes = [g["quote"] for g in q.get("gold") or []]
            candidates = decision["candidates"]
            llm._seen.clear()
            judged = judge(llm, _asked(q), [(c["source"], c["text"]) for c in candidates])
            if len(llm._seen) != len(candidates) or any(h is None for h in llm._seen):
                continue
            for c, p, hidden in zip(candidates, judged.p_yes, llm._seen):
                rows.append({"id": f"{report.name}:{q['id']}", "answerable": bool(q["answerable"]), "p_yes": p,
                             "gold": bool(q["answerable"]) and _is_gold(c["text"], quotes), "text": c["text"],
                             "asked": _asked(q)})
                states.append(hidden)
    return rows, np.stack(states)


def _question_scores(rows: list[dict[str, Any]], scores: np.ndarray) -> tuple[list[bool], list[float]]:
    """(answerable, answerability score: the mean of the two best) per question."""
    by: dict[str, list[float]] = {}
    for r, s in zip(rows, scores):
        by.setdefault(r["id"], []).append(float(s))
    answerable = {r["id"]: r["answerable"] for r in rows}
    ids = sorted(by)
    return [answerable[i] for i in ids], [float(np.mean(sorted(by[i])[-2:])) for i in ids]


def _question_auc(rows: list[dict[str, Any]], scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(*_question_scores(rows, scores)))


def cut(rows: list[dict[str, Any]], scores: np.ndarray, false_abstention: float) -> float:
    """The highest score threshold (0.05-0.60, by 0.01) that refuses at most ``false_abstention`` of
    the answerable questions."""
    answerable, score = _question_scores(rows, scores)
    kept = [s for a, s in zip(answerable, score) if a]
    ok = [t / 100 for t in range(5, 61) if np.mean([s < t / 100 for s in kept]) <= false_abstention]
    return max(ok, default=0.05)


def train(rows: list[dict[str, Any]], states: np.ndarray, c: float) -> tuple[Any, np.ndarray]:
    """The fitted scaler + logistic regression, and its cross-validated scores per sentence."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.array([r["gold"] for r in rows])
    used = y | ~np.array([r["answerable"] for r in rows])  # gold sentences, and those of unanswerable questions

    def fit(at: np.ndarray) -> Any:
        at = at[used[at]]
        return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000)).fit(states[at], y[at])

    out = np.zeros(len(rows))
    for train_at, test_at in GroupKFold(n_splits=10).split(states, y, [r["id"] for r in rows]):
        out[test_at] = fit(train_at).predict_proba(states[test_at])[:, 1]
    return fit(np.arange(len(rows))), out


def save_states(path: Path, rows: list[dict[str, Any]], states: np.ndarray, layer: int) -> None:
    np.savez_compressed(path, states=states, rows=np.array(json.dumps(rows)), layer=np.array(layer))


def load_states(path: Path, layer: int) -> tuple[list[dict[str, Any]], np.ndarray]:
    """``save_states``'s rows and hidden states; an error when they were taken at another layer."""
    with np.load(path) as kept:
        if int(kept["layer"]) != layer:
            raise SystemExit(f"{path}: hidden states of layer {int(kept['layer'])}, not {layer}")
        return json.loads(str(kept["rows"])), kept["states"]


def pooled_states(paths: list[Path], layer: int) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The sentences and hidden states of several ``save_states`` files together (each kept by another
    run, e.g. one per question set judged side by side); an error when a question is in two of them."""
    rows: list[dict[str, Any]] = []
    states: list[np.ndarray] = []
    seen: dict[str, Path] = {}
    for path in paths:
        more, kept = load_states(path, layer)
        for question in {r["id"] for r in more}:
            if question in seen:
                raise SystemExit(f"{path}: question {question} is in {seen[question]} too")
            seen[question] = path
        rows += more
        states.append(kept)
    return rows, np.concatenate(states)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--layer", type=int, default=20)
    parser.add_argument("--c", type=float, default=0.003, help="inverse L2 strength of the logistic regression")
    parser.add_argument("--false-abstention", type=float, default=0.10)
    parser.add_argument("--states", type=Path, action="append", default=[],
                        help="an .npz file keeping the judged sentences and their hidden states: written after "
                        "judging, read instead of judging again when it exists; given more than once, the files "
                        "(which must all exist) are pooled")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    name = settings.gguf_path.name
    if args.states and all(p.exists() for p in args.states):
        rows, states = pooled_states(args.states, args.layer)
    elif len(args.states) > 1:
        parser.error(f"--states: {next(p for p in args.states if not p.exists())} does not exist (only a single "
                     "--states file is written, from the reports)")
    elif not args.reports:
        parser.error("no reports to judge (and no --states file kept from them)")
    else:
        with tempfile.TemporaryDirectory() as tmp:  # a probe that only names the layer: the tap is set up for it
            layer_only = Path(tmp) / "layer.json"
            Probe(name, args.layer, np.zeros(1), np.ones(1), np.zeros(1), 0.0).save(layer_only)
            llm = _Recording(model_path=str(settings.gguf_path), n_ctx=settings.llm_ctx,
                             n_threads=settings.llm_threads, probe_path=str(layer_only))
            rows, states = collect(args.reports, llm)
            llm.close()
        if args.states:
            save_states(args.states[0], rows, states, args.layer)
    model, scores = train(rows, states, args.c)
    auc, baseline = _question_auc(rows, scores), _question_auc(rows, np.array([r["p_yes"] for r in rows]))
    at = cut(rows, scores, args.false_abstention)
    threshold = settings.answer_threshold
    shift = math.log(threshold / (1 - threshold)) - math.log(at / (1 - at))
    scaler, regression = model.steps[0][1], model.steps[1][1]
    questions = len({r["id"] for r in rows})
    sets = sorted({r["id"].split(":")[0] for r in rows})
    note = (f"{', '.join(sets)}: {len(rows)} judged sentences of {questions} questions, "
            f"{sum(r['gold'] for r in rows)} gold; layer {args.layer}, C {args.c}; question AUC, 10-fold by question: "
            f"{auc:.3f} (P(Yes) {baseline:.3f}); cut {at:.2f} (false abstention <= {args.false_abstention:.2f}) "
            f"moved to the answer threshold {threshold:.2f}")
    Probe(name, args.layer, scaler.mean_, scaler.scale_, regression.coef_[0],
          float(regression.intercept_[0]) + shift, trained_on=note).save(args.out)
    _console.print(note, highlight=False)
    _console.print(f"saved {args.out}")


if __name__ == "__main__":
    main()
