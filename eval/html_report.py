"""The HTML report: one self-contained page with plots (matplotlib, embedded as base64 PNG) and a row
per question. Every piece of text from a question set, an article or an answer goes through
``html.escape``: question sets and articles are data, never markup.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eval.report import ALL_METRICS, fmt

_KEY = ("hit@k", "mrr", "answer_accuracy", "token_f1", "language_match", "citation_precision", "citation_recall")
_CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}th{background:#f3f3f3}
td.num{text-align:right}tr.pass td.verdict{color:#17692f;font-weight:bold}tr.fail td.verdict{color:#b3261e;font-weight:bold}
.quote{color:#555;font-style:italic}.gold{color:#17692f}.small{font-size:12px;color:#666}img{max-width:100%}"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def plots(report: Mapping[str, Any]) -> dict[str, str]:
    """Three figures as data URLs: overall metrics, key metrics by kind, latency per stage."""
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede pyplot
    import matplotlib.pyplot as plt

    out = {}
    overall = [(k, report["metrics"].get(k)) for k in ALL_METRICS if report["metrics"].get(k) is not None]
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(overall) + 1))
    bars = ax.barh([k for k, _ in overall][::-1], [v for _, v in overall][::-1], color="#4c72b0")
    ax.bar_label(bars, fmt="%.2f", fontsize=8, padding=2)
    ax.set_xlim(0, 1.12)
    ax.set_title("metrics, overall")
    out["overall"] = _png(fig)

    kinds = list(report["by_kind"])
    fig, ax = plt.subplots(figsize=(9, 3.5))
    width = 0.8 / len(_KEY)
    for i, metric in enumerate(_KEY):
        values = [report["by_kind"][kind].get(metric) for kind in kinds]
        ax.bar([x + i * width for x in range(len(kinds))], [v or 0 for v in values], width, label=metric)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(kinds))], kinds)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    out["by_kind"] = _png(fig)

    stages: dict[str, list[float]] = {}
    for q in report["questions"]:
        for stage, seconds in q["timings"].items():
            stages.setdefault(stage, []).append(seconds)
    if stages:
        fig, ax = plt.subplots(figsize=(7, 3))
        ax.boxplot(list(stages.values()), tick_labels=list(stages), orientation="horizontal")
        ax.set_xscale("log")
        ax.set_xlabel("seconds (log)")
        ax.set_title("latency per stage")
        out["latency"] = _png(fig)
    if any(q.get("p_answer") is not None for q in report["questions"]):
        out["abstention"] = _sweep_png(report, plt)
    return out


def _sweep_png(report: Mapping[str, Any], plt) -> str:
    """Abstention precision, recall and false abstention against the answerability threshold."""
    from eval.metrics import abstention_sweep

    qs = report["questions"]
    thresholds = [i / 50 for i in range(51)]
    used = report.get("config", {}).get("answer_threshold")
    sweep = abstention_sweep([_against_base(q, used) for q in qs], [q["abstained"] for q in qs],
                             [q["answerable"] for q in qs], thresholds)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for key, colour in (("precision", "#4c72b0"), ("recall", "#55a868"), ("false_abstention", "#c44e52")):
        ax.plot(thresholds, [row[key] if row[key] is not None else float("nan") for row in sweep], label=key,
                color=colour)
    if used is not None:
        ax.axvline(used, color="#888", linestyle="--", linewidth=1, label=f"threshold used ({used})")
    ax.set_xlabel("answerability threshold (P that a sentence answers)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7, loc="center left")
    ax.set_title("abstention against the threshold")
    return _png(fig)


def _against_base(question: Mapping[str, Any], base: float | None) -> float | None:
    """A question's P, moved as far as its own threshold differs from the base one (``rag.decide.
    KIND_SHIFT``: a "when" question must reach 0.20, not 0.30), so one sweep reads them all."""
    p, own = question.get("p_answer"), (question.get("decision") or {}).get("threshold")
    return p if p is None or own is None or base is None else p - (own - base)


def _summary_html(report: Mapping[str, Any]) -> str:
    cols = [("overall", report["metrics"])] + list(report["by_kind"].items()) + list(report["by_lang"].items())
    head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in cols)
    rows = "".join(f"<tr><td>{html.escape(metric)}</td>"
                   + "".join(f"<td class=num>{fmt(v.get(metric))}</td>" for _, v in cols) + "</tr>"
                   for metric in ALL_METRICS if any(metric in v for _, v in cols))
    rows += "<tr><td>passed / n</td>" + "".join(f"<td class=num>{v['passed']}/{v['n']}</td>" for _, v in cols) + "</tr>"
    lat = "".join(f"<tr><td>{html.escape(s)}</td><td class=num>{fmt(v['p50'])}</td><td class=num>{fmt(v['p95'])}</td>"
                  f"<td class=num>{v['n']}</td></tr>" for s, v in report["latency"].items())
    return (f"<table><tr><th>metric</th>{head}</tr>{rows}</table>"
            f"<table><tr><th>stage</th><th>p50 s</th><th>p95 s</th><th>n</th></tr>{lat}</table>")


def _question_html(q: Mapping[str, Any]) -> str:
    e = html.escape
    history = "".join(f"<div class=small>{e(t['role'])}: {e(t['content'])}</div>" for t in q["history"])
    cites = "".join(f"<div>[{c['n']}] {e(c['doc'])} <span class='quote{' gold' if c['gold'] else ''}'>"
                    f"“{e(c['quote'])}”</span></div>" for c in q["citations"]) or "<span class=small>none</span>"
    gold = "".join(f"<div>{e(g['doc'] or 'context')}: <span class=quote>“{e(g['quote'])}”</span></div>"
                   for g in q["gold"]) or "<span class=small>(unanswerable)</span>"
    answer = e(q["answer"]) + (f"<div class=small>abstained: {e(q['abstain_reason'])}</div>" if q["abstained"] else "")
    answer += f"<div class=small>error: {e(q['error'])}</div>" if q["error"] else ""
    scores = "<br>".join(f"{e(k)} {fmt(v)}" for k, v in q["scores"].items() if v is not None and k != "abstained")
    verdict = {True: "pass", False: "fail", None: "n/a"}[q["passed"]]
    return (f"<tr class={verdict}><td>{e(q['id'])}<div class=small>{e(q['kind'])} · {e(q['lang'])}</div></td>"
            f"<td>{history}{e(q['question'])}<div class=small>reference: {e(q['reference'])}</div></td>"
            f"<td>{answer}</td><td>{cites}</td><td>{gold}</td><td class=small>{scores}</td>"
            f"<td class=verdict>{verdict}</td></tr>")


def render(report: Mapping[str, Any]) -> str:
    c = report.get("config", {})
    title = f"newsrag eval: {c.get('questions', '')}"
    config = ", ".join(f"{k}={v}" for k, v in c.items())
    images = "".join(f"<img alt='{html.escape(name)}' src='{url}'>" for name, url in plots(report).items())
    rows = "".join(_question_html(q) for q in report["questions"])
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1><p class=small>{html.escape(config)}</p>"
            f"{_summary_html(report)}<div>{images}</div><h2>Questions</h2><table><tr><th>id</th><th>question</th>"
            f"<th>answer</th><th>citations</th><th>gold evidence</th><th>scores</th><th>verdict</th></tr>{rows}"
            f"</table></body></html>")


def write_html(report: Mapping[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report), encoding="utf-8")
    return path
