"""The review page: the agreement on the left with every drafted clause highlighted, and
beside it each clause's reference, measures and reasons; left-over promises are marked.

Same rules as report.html: one self-contained file, a Content-Security-Policy that forbids
every fetch (no script at all here), and every string from the document escaped.
"""

from __future__ import annotations

from html import escape

from .draft import Draft

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

STYLE = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --clause: #fff3b0; --clause-line: #d4a72c;
  --left: #ffe2e0; --left-line: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
header { padding: 12px 20px; border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0 0 4px; }
.banner { background: #fff8c5; border: 1px solid #f5e0a0; padding: 6px 10px; border-radius: 4px; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 0; }
#source { padding: 16px 20px; white-space: pre-wrap; font: 13px/1.55 ui-monospace, SFMono-Regular, Menlo, monospace;
  border-right: 1px solid var(--line); }
#clauses { padding: 16px 20px; }
mark.clause { background: var(--clause); border-bottom: 2px solid var(--clause-line); }
mark.leftover { background: var(--left); border-bottom: 2px dashed var(--left-line); }
mark sup { font: 600 10px system-ui, sans-serif; color: var(--muted); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 0 0 10px; }
.card h3 { margin: 0 0 4px; font-size: 14px; }
.card.leftover { border-color: var(--left-line); border-style: dashed; }
.m { display: inline-block; padding: 0 6px; margin: 1px 2px 1px 0; border-radius: 10px; background: #ddf4ff;
  font-size: 12px; }
.why, .muted { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border: 1px solid var(--line); padding: 2px 6px; text-align: left; vertical-align: top; }
@media print { main { display: block; } #source { border: 0; } }
"""


def render_review(draft: Draft) -> str:
    doc = draft.document
    text = doc.text
    # highlight ranges: clauses first, then left-overs in blocks that hold no clause
    ranges: list[tuple[int, int, str, str, int]] = []
    for n, c in enumerate(draft.clauses, 1):
        if 0 <= c.start < c.end <= len(text):
            ranges.append((c.start, c.end, "clause", f"c{n}", n))
    for n, lo in enumerate(draft.leftovers, 1):
        if 0 <= lo.start < lo.end <= len(text):
            ranges.append((lo.start, lo.end, "leftover", f"l{n}", n))
    ranges.sort(key=lambda r: (r[0], r[2] != "clause"))
    parts: list[str] = []
    pos = 0
    for start, end, kind, anchor, n in ranges:
        if start < pos:
            continue  # overlaps an earlier highlight (several clauses in one block)
        parts.append(escape(text[pos:start]))
        label = f"{n}" if kind == "clause" else "?"
        parts.append(f'<mark class="{kind}" id="src-{anchor}"><sup><a href="#{anchor}">{label}</a></sup>'
                     f"{escape(text[start:end])}</mark>")
        pos = end
    parts.append(escape(text[pos:]))

    cards: list[str] = []
    for n, c in enumerate(draft.clauses, 1):
        measures = "".join(f'<span class="m">{escape(t.measure.value)} {t.confidence:.2f}</span>' for t in c.tags)
        why = "<br>".join(
            escape(f"{t.measure.value}: " + (", ".join(f"'{p}'" for p in t.phrases[:6]) or "no words")
                   + "; " + "; ".join(t.reasons)) for t in c.tags)
        params = (f'<div class="muted">sets {escape(", ".join(c.parameters))}</div>' if c.parameters else "")
        note = f'<div class="muted">{escape(c.note)}</div>' if c.note else ""
        cards.append(
            f'<div class="card" id="c{n}"><h3><a href="#src-c{n}">{n}. {escape(c.ref)}</a></h3>'
            f"<div>{measures}</div><div>“{escape(c.quote)}”</div>{params}{note}"
            f'<div class="why">{why}</div></div>')
    for n, lo in enumerate(draft.leftovers, 1):
        cards.append(f'<div class="card leftover" id="l{n}"><h3><a href="#src-l{n}">'
                     f"Left over: {escape(lo.ref)}</a></h3><div>{escape(lo.text)}</div>"
                     '<div class="why">Looks like a promise but matched no measure.</div></div>')

    params_rows = "".join(f"<tr><th>{escape(p.key)}</th><td>{escape(str(p.value))}</td><td>{escape(p.ref)}</td></tr>"
                          for p in draft.parameters.values)
    notes = "".join(f"<li>{escape(n)}</li>" for n in draft.parameters.notes)
    register_rows = "".join(
        f"<tr><td>{escape(e.name)}</td><td>{escape(e.service)}</td><td>{escape(e.location)}</td>"
        f"<td>{escape(', '.join(e.countries))}{' (EEA)' if e.eea else ''}</td></tr>" for e in draft.register.entries)
    register = (f"<h2>Register ({escape(draft.register.ref or '')})</h2><table><tr><th>Name</th><th>Service</th>"
                f"<th>Location</th><th>Countries</th></tr>{register_rows}</table>" if register_rows else
                '<p class="muted">No sub-processor register found.</p>')
    title = escape(doc.title or doc.path)
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>Review draft DPA profile: {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<header><h1>Review: {title}</h1>"
        f'<p class="banner">Draft profile <code>{escape(draft.profile.id)}</code> ({len(draft.clauses)} clauses, '
        f"{len(draft.leftovers)} left over). Highlighted: drafted clauses; dashed red: sentences that look like "
        "promises but matched no measure. Check each against the agreement, then set <code>draft = false</code>."
        f"</p><table>{params_rows}</table><ul class=\"muted\">{notes}</ul></header>\n"
        f'<main><div id="source" lang="{escape(doc.language)}">{"".join(parts)}</div>\n'
        f'<div id="clauses">{register}<h2>Clauses</h2>{"".join(cards)}</div></main>\n'
        "</body>\n</html>\n")
