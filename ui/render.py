"""Shape answers and sources for the chat UI: pure functions from plain data to Markdown/HTML strings.

    stream_markdown(raw, numbers)     tokens so far      -> chat message (Markdown), [n] linked
    answer_markdown(answer)           checked Answer     -> chat message: linked [n], ⚠ unsupported, abstention
    pending_sources_html(sources)     the sources event  -> panel while the answer is written
    sources_html(answer, articles)    Answer + texts     -> panel: cited articles with <mark>ed quotes,
                                                            uncited ones collapsed; a timeline's date line first
    timeline_html(answer)             Answer (timeline)  -> its cited sources as a dated list, oldest first
    why_html(answer)                  Answer             -> "Waarom dit antwoord": query, filters, chunks, timings
    ingest_summary(report)            IngestReport       -> status line (Markdown)

The one safety rule: article and model text is data. Every such string goes through ``html.escape``
(and, for Markdown, a backslash escape of Markdown syntax) *before* any markup of ours is added;
quotes are marked by splitting the raw text at their character spans, never by searching escaped
text. No gradio here, so all of it is tested directly.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence

from rag.answer import ACROSS_LANGUAGES, KIND_WORDS, REFUSAL_REASONS, REFUSALS, Answer, Source, refusal_reason
from rag.citations import MARKER, marker_numbers
from rag.timeline import date_label

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$=^])")
STAGES = ("embed", "retrieve", "decide", "generate", "check")

# Every label once, in Dutch and in English.
_LABELS = [  # (key, nl, en)
    ("date_unknown", "datum onbekend", "date unknown"),
    ("uncited", "Ook gevonden, niet geciteerd", "Also retrieved, not cited"),
    ("no_sources", "Geen passages gevonden.", "No passages found."),
    ("writing", "Het antwoord wordt geschreven…", "Writing the answer…"),
    ("found", "Gevonden passages", "Retrieved passages"),
    ("unsupported", "Geen bron ondersteunt deze zin", "No source supports this sentence"),
    ("cited_sources", "Geciteerde bronnen", "Cited sources"),
    ("no_cited", "Het antwoord citeert geen bron.", "The answer cites no source."),
    ("quote", "citaat", "quote"),
    ("question", "Vraag", "Question"),
    ("query", "Gezochte vraag (standalone)", "Query searched (standalone)"),
    ("filters", "Filters", "Filters"),
    ("since", "vanaf", "since"),
    ("until", "tot en met", "until"),
    ("phrase", "datum in de vraag", "date in the question"),
    ("mentions", "geen artikel uit die tijd; passages die het jaar noemen",
     "no article from that time; passages that name the year"),
    ("none", "geen", "none"),
    ("abstained", "Geen antwoord", "No answer"),
    ("retrieved", "Opgehaalde passages", "Retrieved passages"),
    ("cited", "geciteerd", "cited"),
    ("quotes", "Geciteerde zinnen", "Cited sentences"),
    ("sentences", "Zinnen van het antwoord", "Answer sentences"),
    ("decision", "Beantwoordt een zin de vraag? (kans volgens het model)", "Does a sentence answer the question? (the model's probability)"),
    ("threshold", "drempel", "threshold"),
    ("probe", "gelezen uit de verborgen toestand van het model", "read from the model's hidden state"),
    ("correction", "ontkent wat de vraag aanneemt", "denies what the question assumes"),
    ("holder", "noemt wie die functie heeft", "names who holds that role"),
    ("off_point", "deelt alleen het onderwerp met de vraag: later gekozen", "shares only the subject with the question: picked later"),
    ("ahead", "kijkt alleen vooruit: zegt niet of het gebeurde", "only looks ahead: does not say whether it happened"),
    ("follows", "volgt op een zin over de vraag: daarom voorgelegd", "goes on from a sentence on the question: judged for that"),
    ("line", "de regel van dit artikel in de tijdlijn: de zin die het meest over het onderwerp gaat, "
             "gewogen met het oordeel van het model",
     "this article's line in the timeline: its sentence most about the subject, weighed with the model's judgement"),
    ("whole", "de hele vraag, gelezen door de probe: P = {p:.2f}", "the whole question, read by the probe: P = {p:.2f}"),
    ("premise", "de vraag zonder wat ze aanneemt, „{asked}”: P = {p:.2f}",
     "the question without what it assumes, “{asked}”: P = {p:.2f}"),
    ("why_next", "Een waarom-vraag: ook de zin na de gekozen zin gaat naar het model",
     "A why question: the sentence after the chosen one goes to the model too"),
    ("next_holds", "De zin na de gekozen zin geeft {kinds}, de gekozen zin niet: samen zijn ze het antwoord",
     "The sentence after the chosen one gives {kinds}, the chosen one does not: together they answer"),
    ("lacking", "Niet voorgelegd: de vraag vraagt om {kinds}, deze zinnen noemen er geen",
     "Not judged: the question asks for {kinds}, these sentences give none"),
    ("across", "In de woorden van het model, uit een bron in een andere taal: vergelijk met het citaat",
     "The model's wording of a source in another language: compare with the quote"),
    ("dropped", "Weggelaten: niet gesteund door de gekozen zin", "Left out: not supported by the chosen sentence"),
    ("timings", "Tijd per stap", "Time per stage"),
    ("total", "totaal", "total"),
    ("model", "Model", "Model"),
    ("mode", "modus", "mode"),
    ("score", "score", "score"),
    ("passage", "passage", "passage"),
    ("also_in", "ook in", "also in"),
    ("timeline", "Tijdlijn", "Timeline"),
]
LABELS = {lang: {key: texts[i] for key, *texts in _LABELS} for i, lang in enumerate(("nl", "en"))}


def _l(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])


def esc(text: object) -> str:
    """Text -> HTML element content."""
    return html.escape(str(text), quote=False)


def attr(text: object) -> str:
    """Text -> an HTML attribute value (inside double quotes)."""
    return html.escape(str(text), quote=True)


def escape_markdown(text: str) -> str:
    """Text -> Markdown that renders as exactly that text: no HTML, links, emphasis, headings or math."""
    escaped = html.escape(text, quote=False)  # only &, <, > : entities hold no Markdown syntax
    escaped = _MD_SPECIAL.sub(r"\\\1", escaped)
    return "\n".join(line.lstrip() for line in escaped.split("\n"))  # no indented code blocks


def cite_link(n: int) -> str:
    return f"[[{n}]](#src-{n})"


def _with_links(text: str, numbers: Iterable[int] | None) -> str:
    """Escape ``text`` for Markdown, turning ``[n]`` markers (of known sources) into links."""
    known = None if numbers is None else set(numbers)
    out, pos = [], 0
    for m in MARKER.finditer(text):
        ns = marker_numbers(m)
        if known is not None and not all(n in known for n in ns):
            continue  # left as escaped text
        out.append(escape_markdown(text[pos:m.start(1) - 1]))  # up to the "[", with the space before it
        out.append("".join(cite_link(n) for n in ns))
        pos = m.end()
    out.append(escape_markdown(text[pos:]))
    return "".join(out)


def stream_markdown(raw: str, numbers: Iterable[int] | None = None, *, cursor: bool = True) -> str:
    """The answer as streamed so far, with a cursor: markers of retrieved sources become links."""
    return _with_links(raw, numbers) + (" ▍" if cursor else "")


def abstention_html(answer: Answer) -> str:
    refusal = REFUSALS.get(answer.language, answer.answer) or answer.answer
    return f'<div class="nr-abstain">⊘ {esc(refusal)}</div>'


def answer_markdown(answer: Answer) -> str:
    """The checked answer for the chat: [n] linked to sources, unsupported sentences marked ⚠."""
    if answer.abstained:
        return abstention_html(answer)
    if not answer.sentences:
        return _with_links(answer.answer, [s.n for s in answer.sources])
    parts = []
    for sentence in answer.sentences:
        text = sentence.text.strip()
        body, end = (text[:-1], text[-1]) if text[-1:] in ".!?" else (text, "")
        links = "".join(cite_link(n) for n in sentence.citations)
        rendered = escape_markdown(body) + (f" {links}" if links else "") + escape_markdown(end)
        if not sentence.supported:
            title = sentence.note or _l(answer.language)["unsupported"]
            rendered = f'<span class="nr-unsupported" title="{attr(title)}">⚠ {rendered}</span>'
        elif ACROSS_LANGUAGES in sentence.note:  # worded across languages: checked by meaning only
            rendered = f'<span class="nr-across" title="{attr(_l(answer.language)["across"])}">{rendered}</span>'
        parts.append(rendered)
    if answer.decision.get("timeline") or answer.decision.get("dated"):  # one dated line each: a list
        return "\n".join(f"- {part}" for part in parts)
    return " ".join(parts)


# -- sources panel ----------------------------------------------------------------------------------

def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Escape ``text`` and wrap each character span in <mark>, by cutting the raw text at the spans."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def _meta(source: Source, language: str) -> str:
    date = esc(source.date) if source.date else f'<span class="nr-nodate">{_l(language)["date_unknown"]}</span>'
    return (f'<div class="nr-meta"><span class="nr-date">{date}</span> · <code>{esc(source.doc_id)}</code>'
            f' · {_l(language)["score"]} {source.score:.3f}</div>{_also_in(source, language)}')


def _also_in(source: Source, language: str) -> str:
    """"ook in: Title (2023-03-02); …": the other versions of the source's story, answered once."""
    if not source.also_in:
        return ""
    others = "; ".join(f'<span class="nr-also-item" title="{attr(a.doc_id)}">{esc(a.title or a.doc_id)} '
                       f'({esc(a.date) if a.date else _l(language)["date_unknown"]})</span>' for a in source.also_in)
    return f'<div class="nr-also">{_l(language)["also_in"]}: {others}</div>'


def _head(source: Source) -> str:
    title = esc(source.title or source.doc_id)
    return f'<div class="nr-head"><span class="nr-n">{source.n}</span><span class="nr-title">{title}</span></div>'


def pending_sources_html(sources: Sequence[Source], language: str = "nl") -> str:
    """While the answer is being written: the retrieved passages, by number, title and date."""
    lab = _l(language)
    if not sources:
        return f'<div class="nr-sources nr-empty">{lab["no_sources"]}</div>'
    items = "".join(f'<li class="nr-src nr-pending" id="src-{s.n}">{_head(s)}{_meta(s, language)}</li>'
                    for s in sources)
    return (f'<div class="nr-sources"><p class="nr-note">{lab["found"]} ({len(sources)}) · {lab["writing"]}</p>'
            f'<ol class="nr-list">{items}</ol></div>')


def sources_html(answer: Answer, articles: Mapping[str, str | None]) -> str:
    """Cited articles with their quotes <mark>ed in the full text; retrieved-but-uncited ones collapsed.

    ``articles`` maps doc_id -> full article text; a missing text falls back to the passage itself.
    """
    lab = _l(answer.language)
    spans: dict[int, list[tuple[int, int]]] = {}
    for c in answer.citations:
        spans.setdefault(c.n, []).append((c.start, c.end))
    cited = [s for s in answer.sources if s.n in spans]
    uncited = [s for s in answer.sources if s.n not in spans]
    parts = ['<div class="nr-sources">']
    if not answer.sources:
        parts.append(f'<p class="nr-note">{lab["no_sources"]}</p>')
    elif not cited:
        parts.append(f'<p class="nr-note">{lab["no_cited"]}</p>')
    parts.append(timeline_html(answer))
    for s in cited:
        text, offset = articles.get(s.doc_id), 0
        if not text:
            text, offset = s.text, s.start  # the passage alone; spans are article offsets
        marked = highlight(text, [(a - offset, b - offset) for a, b in spans[s.n]])
        parts.append(f'<section class="nr-src nr-cited" id="src-{s.n}">{_head(s)}{_meta(s, answer.language)}'
                     f'<div class="nr-article">{marked}</div></section>')
    if uncited:
        items = "".join(f'<section class="nr-src nr-uncited" id="src-{s.n}">{_head(s)}{_meta(s, answer.language)}'
                        f'<div class="nr-passage">{esc(s.text)}</div></section>' for s in uncited)
        parts.append(f'<details class="nr-more"><summary>{lab["uncited"]} ({len(uncited)})</summary>{items}</details>')
    parts.append("</div>")
    return "".join(parts)


def timeline_html(answer: Answer) -> str:
    """A timeline answer's sources on a date line: one item per line, oldest first, each with its
    date, link and title (all escaped); "" for any other answer."""
    lines = answer.decision.get("timeline") or []
    by_n = {s.n: s for s in answer.sources}
    items = []
    for line in lines:  # the chain put them oldest first (rag.timeline.in_date_order)
        source = by_n.get(line.get("n"))
        if source is None:
            continue
        items.append(f'<li><span class="nr-date">{esc(date_label(line.get("date"), answer.language))}</span> '
                     f'<a href="#src-{source.n}">[{source.n}]</a> {esc(source.title or source.doc_id)}</li>')
    if not items:
        return ""
    return (f'<div class="nr-timeline"><h4>{_l(answer.language)["timeline"]}</h4>'
            f'<ol>{"".join(items)}</ol></div>')


# -- "Waarom dit antwoord" --------------------------------------------------------------------------

def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _refusal_reason(answer: Answer) -> str:
    """Why ``answer`` was refused, in its language; an answer without a code (made by an older
    server) keeps its English ``abstain_reason``."""
    if answer.abstain_code not in REFUSAL_REASONS:
        return answer.abstain_reason
    return refusal_reason(answer.abstain_code, answer.abstain_values, answer.language)


def why_html(answer: Answer) -> str:
    """Why this answer: the query run, filters, retrieved and cited chunks with scores, timings, model."""
    lab = _l(answer.language)
    filters = [f'{lab[key]}: <code>{esc(answer.filters[key])}</code>'
               for key in ("since", "until", "phrase", "mentions") if answer.filters.get(key)]
    rows = [
        f'<dt>{lab["question"]}</dt><dd>{esc(answer.question)}</dd>',
        f'<dt>{lab["query"]}</dt><dd class="nr-query">{esc(answer.standalone_query or answer.question)}</dd>',
        f'<dt>{lab["filters"]}</dt><dd>{" · ".join(filters) or lab["none"]}</dd>',
    ]
    if answer.abstained:
        rows.append(f'<dt>{lab["abstained"]}</dt><dd class="nr-reason">{esc(_refusal_reason(answer))}</dd>')
    rows.append(f'<dt>{lab["model"]}</dt><dd><code>{esc(answer.model or "?")}</code> '
                f'({lab["mode"]} {esc(answer.mode or "?")})</dd>')
    out = [f'<div class="nr-why"><dl>{"".join(rows)}</dl>']

    cited = {c.n for c in answer.citations}
    out.append(f'<h4>{lab["retrieved"]} ({len(answer.sources)})</h4>')
    if answer.sources:
        body = "".join(
            f'<tr class="{"nr-row-cited" if s.n in cited else ""}"><td class="nr-num">[{s.n}]</td>'
            f'<td class="nr-num">{s.score:.3f}</td><td>{"✓ " + lab["cited"] if s.n in cited else ""}</td>'
            f'<td><div class="nr-snippet">{esc(_clip(s.text, 140))}</div><div class="nr-dim">'
            f'{esc(_clip(s.title or s.doc_id, 60))} · {esc(s.date or lab["date_unknown"])} · {esc(s.doc_id)}'
            f'</div></td></tr>'
            for s in answer.sources)
        out.append(f'<table class="nr-table"><thead><tr><th>#</th><th>{lab["score"]}</th><th></th>'
                   f'<th>{lab["passage"]}</th></tr></thead><tbody>{body}</tbody></table>')
    else:
        out.append(f'<p>{lab["no_sources"]}</p>')

    if answer.citations:
        out.append(f'<h4>{lab["quotes"]}</h4><ul class="nr-quotes">')
        out.extend(f'<li>[{c.n}] “{esc(c.quote)}” <span class="nr-dim">{lab["score"]} {c.score:.3f}</span></li>'
                   for c in answer.citations)
        out.append("</ul>")
    if answer.decision.get("candidates"):
        d = answer.decision
        judged = f' · {lab["probe"]}' if d.get("judge") == "probe" else ""
        if whole := d.get("whole"):  # a question in parts, judged whole too (rag.chain._judge_whole)
            judged += f' · {lab["whole"].format(p=whole["p_answer"])}'
        if premise := d.get("premise"):  # judged again without the question's premise clause (rag.premise)
            judged += f' · {esc(lab["premise"].format(asked=premise["asked"], p=premise["p_answer"]))}'
        out.append(f'<h4>{lab["decision"]}</h4><p class="nr-dim">P = {d["p_answer"]:.2f} · '
                   f'{lab["threshold"]} {d["threshold"]}{judged}</p><table class="nr-table nr-decision"><tbody>')
        out.extend(f'<tr><td class="nr-num">[{c["source"]}]</td><td class="nr-num">{c["p_yes"]:.2f}</td>'
                   f'<td>{esc(_clip(c["text"], 160))}'
                   + (f' <span class="nr-dim">({lab["correction"]})</span>' if c.get("correction") else "")
                   + (f' <span class="nr-dim">({lab["holder"]})</span>' if c.get("holder") else "")
                   + (f' <span class="nr-dim">({lab["off_point"]})</span>' if c.get("off_point") else "")
                   + (f' <span class="nr-dim">({lab["ahead"]})</span>' if c.get("ahead") else "")
                   + (f' <span class="nr-dim">({lab["follows"]})</span>' if c.get("follows") else "")
                   + (f' <span class="nr-dim">({lab["line"]})</span>' if c.get("line") else "")
                   + '</td></tr>' for c in d["candidates"])
        out.append("</tbody></table>")
    if after := answer.decision.get("why_next"):  # a why question: the sentence after the chosen one
        out.append(f'<h4>{lab["why_next"]}</h4><ul class="nr-sentences"><li>{esc(_clip(after, 200))}</li></ul>')
    words = KIND_WORDS.get(answer.language, KIND_WORDS["en"])
    if after := answer.decision.get("next_holds"):  # the sentence after the chosen one holds what is asked
        kinds = " / ".join(words[k] for k in after["holds"] if k in words)
        out.append(f'<h4>{esc(lab["next_holds"].format(kinds=kinds))}</h4><ul class="nr-sentences">'
                   f'<li>{esc(_clip(after["sentence"], 200))}</li></ul>')
    if lacking := answer.decision.get("lacking"):
        kinds = " / ".join(words[k] for k in lacking["asks_for"] if k in words)
        out.append(f'<h4>{esc(lab["lacking"].format(kinds=kinds))}</h4><ul class="nr-sentences">')
        out.extend(f'<li class="nr-dim">{esc(_clip(text, 160))}</li>' for text in lacking["sentences"])
        out.append("</ul>")
    if answer.dropped:
        out.append(f'<h4>{lab["dropped"]}</h4><ul class="nr-sentences">')
        out.extend(f'<li class="nr-unsupported">⚠ {esc(s.text)} <span class="nr-dim">({esc(s.note)})</span></li>'
                   for s in answer.dropped)
        out.append("</ul>")
    if any(not s.supported or s.note for s in answer.sentences):
        out.append(f'<h4>{lab["sentences"]}</h4><ul class="nr-sentences">')
        for s in answer.sentences:
            mark = "✓" if s.supported else "⚠"
            note = f' <span class="nr-dim">({esc(s.note)})</span>' if s.note else ""
            out.append(f'<li class="{"" if s.supported else "nr-unsupported"}">{mark} {esc(s.text)}{note}</li>')
        out.append("</ul>")

    stages = [k for k in STAGES if k in answer.timings] + [k for k in answer.timings if k not in STAGES]
    chips = "".join(f'<span class="nr-chip">{esc(k)} {_seconds(answer.timings[k])}</span>' for k in stages)
    total = sum(answer.timings.values())
    out.append(f'<h4>{lab["timings"]}</h4><div class="nr-timings">{chips}'
               f'<span class="nr-chip nr-total">{lab["total"]} {_seconds(total)}</span></div></div>')
    return "".join(out)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


# -- ingest ------------------------------------------------------------------------------------------

def ingest_summary(report, articles_total: int | None = None) -> str:
    """One status line with the counts, then one line per skipped file (Markdown, escaped)."""
    counts = report.counts()
    line = ", ".join(f"{v} {k}" for k, v in counts.items()) + f"; {report.chunks_embedded} chunks embedded"
    if articles_total is not None:
        line += f"; {articles_total} articles in the index"
    lines = [escape_markdown(line) + "."]
    lines += [f"- ⚠ skipped: {escape_markdown(s)}" for s in report.skipped]
    lines += [f"- warning: {escape_markdown(w)}" for w in report.warnings]
    return "\n".join(lines)
