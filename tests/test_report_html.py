"""The HTML report: numbers marked with data-metric match the summary document, escaping, no assets."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

from ctscrub.model import ClaimResult, Finding, LinePrice, Payer
from ctscrub.pipeline import UploadSummary
from ctscrub.report import render_html
from ctscrub.report.html import money, render_document
from ctscrub.report.summary import build_report
from ctscrub.rules.catalog import RULES


class _Metrics(HTMLParser):
    """Collects the text of every element carrying data-metric / data-fact."""

    def __init__(self) -> None:
        super().__init__()
        self.metrics: list[tuple[str, str]] = []
        self.facts: dict[str, str] = {}
        self._open: list[tuple[str, str, str, list[str]]] = []  # (tag, kind, name, text parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for kind in ("data-metric", "data-fact"):
            if a.get(kind) is not None:
                self._open.append((tag, kind, str(a[kind]), []))

    def handle_data(self, data: str) -> None:
        for _t, _k, _n, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _t, kind, name, parts = self._open.pop()
            text = "".join(parts).strip()
            if kind == "data-metric":
                self.metrics.append((name, text))
            else:
                self.facts[name] = text


def metrics_in(page: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    p = _Metrics()
    p.feed(page)
    return p.metrics, p.facts


def lookup(doc: object, path: str) -> object:
    """The value at a dotted path: by_rule.DX_MISSING, claim_digests.0.errors."""
    node = doc
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    return node


def shown_value(text: str) -> Decimal:
    """The number a reader sees: $1,234.56 -> 1234.56, 1,024 -> 1024."""
    assert re.fullmatch(r"-?\$?[\d,]+(\.\d\d)?", text), f"not a formatted number: {text!r}"
    return Decimal(text.replace("$", "").replace(",", ""))


def assert_metrics_match(page: str, doc: object) -> list[str]:
    """Every data-metric on the page equals its value in the summary document; returns the paths seen."""
    metrics, _facts = metrics_in(page)
    assert metrics, "the page marks no numbers"
    for path, text in metrics:
        expected = lookup(doc, path)
        if isinstance(expected, str):  # money is a Decimal string in the JSON: shown as $1,234.56
            assert text == f"${Decimal(expected):,.2f}", (path, text, expected)
        else:
            assert isinstance(expected, int) and shown_value(text) == expected, (path, text, expected)
    return [p for p, _t in metrics]


def _f(claim_id: str, rule: str, line: int | None = 1) -> Finding:
    info = RULES[rule]
    return Finding(rule, info.severity, claim_id, line, "71250", f"{info.title}.", "Fix it.", info.source)


def _upload(n_error_claims: int = 3, allowed: str = "1131.00") -> tuple[UploadSummary, list[ClaimResult]]:
    s = UploadSummary(upload_id="u-1", source="claims/batch 7.csv", format="csv-v1")
    results = []
    for i in range(n_error_claims + 2):
        cid = f"C{i}"
        rules = ["DX_MISSING", "DX_NOT_SUPPORTING"] if i < n_error_claims else ["CT_EQUIPMENT_REDUCTION"]
        prices = [LinePrice(cid, 1, "71250", ("CT",), Decimal(allowed), "PFS 2025", "test")]
        results.append(ClaimResult(cid, [_f(cid, r) for r in rules], prices, 2, 1, Payer.MEDICARE))
    for r in results:
        s.claims += 1
        s.lines += r.line_count
        s.chest_ct_lines += r.chest_ct_line_count
        s.claims_with_errors += 1 if r.error_count else 0
        for f in r.findings:
            s.by_severity[f.severity.value] += 1
            s.by_rule[f.rule] += 1
        s.expected_allowed += sum((p.allowed for p in r.prices if p.allowed is not None), Decimal(0))
        s.amount_at_stake += r.amount_at_stake()
    return s, results


def test_every_marked_number_matches_the_summary_document() -> None:
    s, results = _upload()
    doc = build_report(s.to_dict(), results, processed_at="2026-03-01T10:00:00Z")
    paths = assert_metrics_match(render_document(doc), doc)
    for required in ("claims", "chest_ct_lines", "lines", "claims_with_errors", "findings", "by_severity.error",
                     "by_severity.warning", "by_severity.info", "expected_allowed", "amount_at_stake",
                     "claims_flagged", "claims_listed", "claim_digests.0.amount_at_stake"):
        assert required in paths
    assert {p for p in paths if p.startswith("by_rule.")} == {f"by_rule.{r}" for r in s.by_rule}


def test_dollars_are_formatted_with_thousands_and_cents() -> None:
    s, results = _upload(n_error_claims=2, allowed="1131.5")
    page = render_html(s, results, processed_at="t")
    metrics, _ = metrics_in(page)
    assert ("expected_allowed", "$4,526.00") in metrics
    assert ("amount_at_stake", "$2,263.00") in metrics
    assert money("-3") == "-$3.00" and money(None) == "n/a"


def test_upload_facts_are_shown() -> None:
    s, results = _upload()
    _m, facts = metrics_in(render_html(s, results, processed_at="2026-03-01T10:00:00Z"))
    assert facts["source"] == "claims/batch 7.csv"
    assert facts["format"] == "csv-v1"
    assert facts["status"] == "Processed"
    assert facts["rejection"] == "none"
    assert facts["processed_at"] == "2026-03-01T10:00:00Z"
    assert facts["ruleset_version"] == s.ruleset_version


def test_severity_is_spelled_out_not_colour_alone() -> None:
    s, results = _upload()
    page = render_html(s, results)
    assert '<span class="badge error">Error</span>' in page
    assert '<span class="badge warning">Warning</span>' in page
    assert "DX_MISSING · Error" in page  # chart labels name the severity too


def test_claims_beyond_the_cap_are_counted_and_said() -> None:
    s, results = _upload(n_error_claims=3)
    table_doc = build_report(s.to_dict(), results, processed_at="t")
    assert "more claim(s) with errors" not in render_document(table_doc)
    from ctscrub.report.summary import ClaimTable

    t = ClaimTable(limit=2)
    for r in results:
        t.add(r)
    doc = build_report(s.to_dict(), t, processed_at="t")
    page = render_document(doc)
    assert doc["claims_not_listed"] == 1
    assert ("claims_not_listed", "1") in metrics_in(page)[0]
    assert "more claim(s) with errors or warnings are not listed here" in page
    assert_metrics_match(page, doc)


def test_hostile_text_is_escaped() -> None:
    s, results = _upload(n_error_claims=1)
    s.source = '<img src=x onerror="alert(1)">.csv'
    results[0].claim_id = "<script>alert(1)</script>"
    results[0].findings[0].message = "<b>bold</b>"
    page = render_html(s, results)
    assert "<script>" not in page and "<img" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_page_is_self_contained() -> None:
    s, results = _upload()
    page = render_html(s, results)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert not re.search(r"""(src|href)\s*=""", page)
    assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"]  # SVG namespace only
    assert "<svg" in page and "<style>" in page


def test_rejected_upload_shows_the_reason_and_zero_counts() -> None:
    from ctscrub.rules import finding

    s = UploadSummary(upload_id="u-2", source="x.pdf", status="rejected")
    s.rejection = finding("FILE_UNSUPPORTED_FORMAT", None, None,
                          "The upload cannot be processed: the file is a PDF document at byte 0.",
                          "Upload the claim file.")
    s.by_severity["error"] += 1
    s.by_rule["FILE_UNSUPPORTED_FORMAT"] += 1
    doc = build_report(s.to_dict(), [], processed_at="t")
    page = render_document(doc)
    _m, facts = metrics_in(page)
    assert facts["status"] == "Rejected"
    assert "the file is a PDF document" in facts["rejection"]
    assert 'role="alert"' in page
    assert "No claim needs attention." in page
    assert_metrics_match(page, doc)


def test_file_level_findings_are_listed() -> None:
    from ctscrub.rules import finding

    s, results = _upload(n_error_claims=0)
    s.file_findings.append(finding("X12_ENVELOPE", None, None, "SE01 says 40 segments; 41 were read.",
                                   "Correct SE01."))
    page = render_html(s, results)
    assert "SE01 says 40 segments; 41 were read." in page
    s2, r2 = _upload(n_error_claims=0)
    assert "File-level findings</h2><p class=\"muted\">None.</p>" in render_html(s2, r2)
