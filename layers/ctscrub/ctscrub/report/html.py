"""A self-contained HTML page of one upload's report: inline CSS and SVG, no scripts, no external assets.

It renders the ``summary.json`` document (``report.summary.build_report``) and nothing else, so the page
and the JSON cannot disagree. Every number carries ``data-metric="<path>"``, the dotted path of its value
in that document (``by_severity.error``, ``claim_digests.0.amount_at_stake``), which the browser test
reads back. Severity is always spelled out next to its colour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

SEVERITY_LABEL = {"error": "Error", "warning": "Warning", "info": "Info"}
SEVERITY_COLOR = {"error": "#b42318", "warning": "#b54708", "info": "#175cd3"}
CHART_RULES = 10  # bars in the chart; the table below lists every rule

_CSS = """
:root { --ink:#1d2939; --muted:#475467; --line:#d0d5dd; --bg:#f7f8fa; --card:#fff;
  --error:#b42318; --error-bg:#fef3f2; --warning:#b54708; --warning-bg:#fffaeb; --info:#175cd3; --info-bg:#eff8ff;
  --ok:#067647; --ok-bg:#ecfdf3; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.5 "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif; }
main { max-width:1120px; margin:0 auto; padding:28px 32px 48px; }
header { display:flex; justify-content:space-between; align-items:flex-start; gap:16px;
  border-bottom:1px solid var(--line); padding-bottom:16px; margin-bottom:20px; }
h1 { font-size:26px; margin:0 0 4px; letter-spacing:-0.01em; }
h2 { font-size:19px; margin:32px 0 10px; }
.sub { color:var(--muted); margin:0; word-break:break-all; font-weight:600; }
.meta { color:var(--muted); margin:2px 0 0; font-size:13px; }
table.claims td:nth-child(5) { width:190px; }
table.claims td:nth-child(6) { width:42%; }
table.claims td:nth-child(5) code { display:inline-block; margin:0 4px 3px 0; font-size:12px; }
.pill { display:inline-block; padding:4px 12px; border-radius:999px; font-weight:600; font-size:14px;
  border:1px solid currentColor; white-space:nowrap; }
.pill.processed { color:var(--ok); background:var(--ok-bg); }
.pill.rejected { color:var(--error); background:var(--error-bg); }
.alert { border:1px solid var(--error); background:var(--error-bg); border-radius:8px; padding:12px 16px; }
.alert strong { color:var(--error); }
.cards { display:grid; grid-template-columns:repeat(4, minmax(0, 1fr)); gap:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
.card .label { color:var(--muted); font-size:13px; font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:28px; font-weight:700; margin-top:2px; font-variant-numeric:tabular-nums; }
.card .note { color:var(--muted); font-size:13px; }
.card.money .value { font-size:26px; }
.card.error { border-left:5px solid var(--error); }
.card.warning { border-left:5px solid var(--warning); }
.card.info { border-left:5px solid var(--info); }
.card.risk .value { color:var(--error); }
dl.facts { display:grid; grid-template-columns:200px 1fr; margin:0; background:var(--card);
  border:1px solid var(--line); border-radius:10px; overflow:hidden; }
dl.facts dt, dl.facts dd { margin:0; padding:8px 14px; border-bottom:1px solid var(--line); }
dl.facts dt { color:var(--muted); font-weight:600; background:#fcfcfd; }
dl.facts dd { word-break:break-word; }
dl.facts dt:last-of-type, dl.facts dd:last-of-type { border-bottom:0; }
table { width:100%; border-collapse:collapse; background:var(--card); border:1px solid var(--line);
  border-radius:10px; overflow:hidden; }
th, td { text-align:left; padding:8px 12px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#f2f4f7; font-size:13px; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
tbody tr:nth-child(even) { background:#fcfcfd; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
code { font:13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; background:#f2f4f7;
  padding:1px 5px; border-radius:4px; }
.badge { display:inline-block; min-width:70px; text-align:center; padding:1px 8px; border-radius:6px;
  font-size:13px; font-weight:700; border:1px solid currentColor; }
.badge.error { color:var(--error); background:var(--error-bg); }
.badge.warning { color:var(--warning); background:var(--warning-bg); }
.badge.info { color:var(--info); background:var(--info-bg); }
.chart { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 16px; }
.chart svg { width:100%; height:auto; display:block; }
.muted { color:var(--muted); }
.more { margin:8px 0 0; color:var(--muted); }
ul.file { list-style:none; padding:0; margin:0; }
ul.file li { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 14px;
  margin-bottom:8px; }
footer { margin-top:36px; color:var(--muted); font-size:13px; border-top:1px solid var(--line); padding-top:12px; }
@media (max-width: 800px) { .cards { grid-template-columns:repeat(2, minmax(0, 1fr)); } }
@media print { body { background:#fff; } .card, table, .chart, dl.facts { break-inside:avoid; } }
"""


def money(value: object) -> str:
    """``$1,234.56``; amounts are strings of Decimals in the summary document."""
    try:
        d = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return "n/a"
    sign = "-" if d < 0 else ""
    return f"{sign}${abs(d):,.2f}"


def number(value: object) -> str:
    return f"{int(value):,}" if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else "0"


def _metric(path: str, text: str, tag: str = "span", cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<{tag}{c} data-metric="{escape(path)}">{escape(text)}</{tag}>'


def _badge(severity: str) -> str:
    sev = severity if severity in SEVERITY_LABEL else "info"
    return f'<span class="badge {sev}">{SEVERITY_LABEL[sev]}</span>'


def _card(label: str, path: str, text: str, note: str, cls: str = "") -> str:
    return (f'<div class="card {cls}"><div class="label">{escape(label)}</div>'
            f'{_metric(path, text, "div", "value")}<div class="note">{escape(note)}</div></div>')


def _cards(doc: Mapping[str, Any]) -> str:
    sev = doc.get("by_severity") or {}
    cards = [
        _card("Claims checked", "claims", number(doc.get("claims")), "claims read from the file"),
        _card("Chest CT lines", "chest_ct_lines", number(doc.get("chest_ct_lines")),
              f"of {number(doc.get('lines'))} service lines"),
        _card("Claims with errors", "claims_with_errors", number(doc.get("claims_with_errors")),
              "expected to be denied or rejected as billed", "error"),
        _card("Dollars at risk", "amount_at_stake", money(doc.get("amount_at_stake")),
              "expected allowed on lines with errors", "money risk"),
        _card("Expected Medicare allowed", "expected_allowed", money(doc.get("expected_allowed")),
              "fee schedule amount of all chest CT lines", "money"),
        _card("Errors", "by_severity.error", number(sev.get("error", 0)), "will be denied or rejected", "error"),
        _card("Warnings", "by_severity.warning", number(sev.get("warning", 0)), "at risk; review before sending",
              "warning"),
        _card("Info", "by_severity.info", number(sev.get("info", 0)), "for your information", "info"),
    ]
    return f'<section aria-label="Key figures"><div class="cards">{"".join(cards)}</div></section>'


def _fact(label: str, value: object, key: str) -> str:
    text = "—" if value in (None, "") else str(value)
    return f'<dt>{escape(label)}</dt><dd data-fact="{escape(key)}">{escape(text)}</dd>'


def _facts(doc: Mapping[str, Any]) -> str:
    rej = doc.get("rejection") or {}
    rows = [
        _fact("Source file", doc.get("source"), "source"),
        _fact("Upload id", doc.get("upload_id"), "upload_id"),
        _fact("Format", doc.get("format") or "not recognised", "format"),
        _fact("Status", str(doc.get("status", "")).capitalize(), "status"),
        _fact("Rejection reason", rej.get("message") if rej else "none", "rejection"),
        _fact("Ruleset version", doc.get("ruleset_version"), "ruleset_version"),
        _fact("Processed at (UTC)", doc.get("processed_at"), "processed_at"),
        f'<dt>Service lines read</dt><dd>{_metric("lines", number(doc.get("lines")))}</dd>',
        f'<dt>Findings in total</dt><dd>{_metric("findings", number(doc.get("findings")))}</dd>',
    ]
    return f'<h2>Upload</h2><dl class="facts">{"".join(rows)}</dl>'


def _chart(rules: Sequence[Mapping[str, Any]]) -> str:
    """Findings by rule as horizontal bars: label above each bar, count at its end, severity in words."""
    shown = list(rules[:CHART_RULES])
    if not shown:
        return '<div class="chart"><p class="muted">No findings: nothing to chart.</p></div>'
    width, left, bar_max, row = 960, 8, 800, 44
    top = 34
    height = top + row * len(shown) + 4
    peak = max(int(r["count"]) for r in shown) or 1
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, Segoe UI, Arial, sans-serif">',
             '<title id="chart-title">Findings by rule, most frequent first</title>']
    x = left
    for sev in ("error", "warning", "info"):  # legend: colour and word
        parts.append(f'<rect x="{x}" y="6" width="14" height="14" rx="3" fill="{SEVERITY_COLOR[sev]}"/>'
                     f'<text x="{x + 20}" y="18" font-size="14" fill="#475467">{SEVERITY_LABEL[sev]}</text>')
        x += 110
    for i, r in enumerate(shown):
        y = top + i * row
        n = int(r["count"])
        sev = str(r["severity"]) if r["severity"] in SEVERITY_COLOR else "info"
        w = max(3, round(bar_max * n / peak))
        parts.append(
            f'<g><title>{escape(str(r["rule"]))}: {n:,} ({SEVERITY_LABEL[sev]})</title>'
            f'<text x="{left}" y="{y + 14}" font-size="14" fill="#1d2939">{escape(str(r["title"]))} '
            f'<tspan fill="#475467" font-size="12">{escape(str(r["rule"]))} · {SEVERITY_LABEL[sev]}</tspan></text>'
            f'<rect x="{left}" y="{y + 20}" width="{w}" height="16" rx="3" fill="{SEVERITY_COLOR[sev]}"/>'
            f'<text x="{left + w + 8}" y="{y + 33}" font-size="14" font-weight="700" fill="#1d2939" '
            f'data-metric="by_rule.{escape(str(r["rule"]))}">{n:,}</text></g>'
        )
    parts.append("</svg>")
    more = len(rules) - len(shown)
    note = f'<p class="more">{more} more rule(s) in the table below.</p>' if more > 0 else ""
    return f'<div class="chart">{"".join(parts)}{note}</div>'


def _rules_table(rules: Sequence[Mapping[str, Any]]) -> str:
    if not rules:
        return '<p class="muted">No findings.</p>'
    rows = "".join(
        f'<tr><td>{_badge(str(r["severity"]))}</td><td><code>{escape(str(r["rule"]))}</code></td>'
        f'<td>{escape(str(r["title"]))}</td>'
        f'<td class="num">{_metric("by_rule." + str(r["rule"]), number(r["count"]))}</td></tr>'
        for r in rules
    )
    return ('<table><thead><tr><th>Severity</th><th>Rule</th><th>What it means</th><th class="num">Findings</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>")


def _claims_table(doc: Mapping[str, Any]) -> str:
    digests: Sequence[Mapping[str, Any]] = doc.get("claim_digests") or []
    flagged, listed, rest = doc.get("claims_flagged", 0), doc.get("claims_listed", 0), doc.get("claims_not_listed", 0)
    intro = (f'<p class="muted">{_metric("claims_flagged", number(flagged))} claim(s) have an error or a warning. '
             f'Showing {_metric("claims_listed", number(listed))}: claims with errors first, then by dollars at '
             "risk.</p>")
    if not digests:
        return intro + '<p class="muted">No claim needs attention.</p>'
    rows = []
    for i, d in enumerate(digests):
        tops: Sequence[Mapping[str, Any]] = d.get("top_findings") or []
        first = tops[0] if tops else None
        main = ""
        if first is not None:
            where = f'Line {first["line"]}: ' if first.get("line") is not None else ""
            main = f'{_badge(str(first["severity"]))} {escape(where + str(first["message"]))}'
            extra = int(d["errors"]) + int(d["warnings"]) + int(d.get("info", 0)) - 1
            if extra > 0:
                main += f' <span class="muted">(+{extra} more)</span>'
        rules = " ".join(f"<code>{escape(str(r))}</code>" for r in d.get("rules", []))
        p = f"claim_digests.{i}."
        rows.append(
            f'<tr><td><code>{escape(str(d["claim_id"]))}</code></td>'
            f'<td class="num">{_metric(p + "errors", number(d["errors"]))}</td>'
            f'<td class="num">{_metric(p + "warnings", number(d["warnings"]))}</td>'
            f'<td class="num">{_metric(p + "amount_at_stake", money(d["amount_at_stake"]))}</td>'
            f"<td>{rules}</td><td>{main}</td></tr>"
        )
    more = ""
    if int(rest) > 0:
        more = (f'<p class="more">{_metric("claims_not_listed", number(rest))} more claim(s) with errors or '
                "warnings are not listed here; every finding is in findings.csv.</p>")
    return (intro + '<table class="claims"><thead><tr><th>Claim</th><th class="num">Errors</th>'
            '<th class="num">Warnings</th><th class="num">Dollars at risk</th>'
            "<th>Rules</th><th>Main finding</th></tr></thead>"
            f'<tbody>{"".join(rows)}</tbody></table>{more}')


def _file_findings(doc: Mapping[str, Any]) -> str:
    items: list[Mapping[str, Any]] = list(doc.get("file_findings") or [])
    if not items:
        return '<p class="muted">None.</p>'
    lis = "".join(
        f'<li>{_badge(str(f.get("severity")))} <code>{escape(str(f.get("rule")))}</code> '
        f'{escape(str(f.get("message") or ""))}<br><span class="muted">Fix: {escape(str(f.get("suggestion") or ""))}'
        "</span></li>"
        for f in items
    )
    return f'<ul class="file">{lis}</ul>'


def _rejection(doc: Mapping[str, Any]) -> str:
    rej = doc.get("rejection")
    if not rej:
        return ""
    return (f'<div class="alert" role="alert"><strong>File rejected ({escape(str(rej.get("rule")))}).</strong> '
            f'{escape(str(rej.get("message") or ""))} <br>Fix: {escape(str(rej.get("suggestion") or ""))}</div>')


def _meta_line(doc: Mapping[str, Any]) -> str:
    when = str(doc.get("processed_at") or "").replace("T", " ").replace("Z", " UTC")
    return (f"Format {doc.get('format') or 'not recognised'} · processed {when or 'n/a'} · "
            f"ruleset {doc.get('ruleset_version') or 'n/a'}")


def render_document(doc: Mapping[str, Any]) -> str:
    """The HTML page of a ``summary.json`` document."""
    status = str(doc.get("status") or "processed")
    status_cls = "rejected" if status == "rejected" else "processed"
    rules: Sequence[Mapping[str, Any]] = doc.get("rules") or []
    title = f"Chest CT claim scrub report: {doc.get('source', '')}"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>"
        '<header><div><h1>Chest CT claim scrub report</h1>'
        f'<p class="sub">{escape(str(doc.get("source", "")))}</p>'
        f'<p class="meta">{escape(_meta_line(doc))}</p></div>'
        f'<span class="pill {status_cls}" data-fact="status-pill">{escape(status.capitalize())}</span></header>'
        f"{_rejection(doc)}{_cards(doc)}"
        f"<h2>Findings by rule</h2>{_chart(rules)}"
        f"<h2>Claims needing attention</h2>{_claims_table(doc)}"
        f"<h2>All rules raised</h2>{_rules_table(rules)}"
        f"<h2>File-level findings</h2>{_file_findings(doc)}"
        f"{_facts(doc)}"
        "<footer><p><strong>About the numbers.</strong> Expected Medicare allowed is the fee schedule amount of "
        "every chest CT line (for commercial payers, the Medicare benchmark). Dollars at risk is the expected "
        "allowed amount of the lines that carry an error; a claim-level error puts the whole claim at risk. "
        "Errors will be denied or rejected as billed; warnings are at risk and need review.</p>"
        "<p>This report contains claim ids, codes, counts and dollars only: no patient names, birth dates "
        "or member ids.</p></footer>"
        "</main></body></html>\n"
    )
