"""The JSON summary document: claim digests, errors-first bounded claim table, rule rows and totals."""

from __future__ import annotations

import json
from decimal import Decimal

from ctscrub.model import ClaimResult, Finding, LinePrice, Payer, Severity
from ctscrub.pipeline import UploadSummary
from ctscrub.report.summary import ClaimTable, build_report, digest_claim, processed_time, rule_rows
from ctscrub.rules.catalog import RULES


def _f(claim_id: str, rule: str, line: int | None = 1) -> Finding:
    info = RULES[rule]
    return Finding(rule, info.severity, claim_id, line, "71250", f"{rule} on the line.", "Fix it.", info.source)


def _result(claim_id: str, *rules: str, allowed: str = "131.00", line: int | None = 1) -> ClaimResult:
    prices = [LinePrice(claim_id, 1, "71250", (), Decimal(allowed), "PFS 2025 national", "test")]
    return ClaimResult(claim_id, [_f(claim_id, r, line) for r in rules], prices, 1, 1, Payer.MEDICARE)


def test_digest_counts_severities_and_puts_errors_first_in_top_findings() -> None:
    d = digest_claim(_result("C1", "CT_EQUIPMENT_REDUCTION", "DX_NOT_SUPPORTING", "DX_MISSING", "NPI_INVALID"), 2)
    assert (d.errors, d.warnings, d.infos) == (2, 1, 1)
    assert [f["severity"] for f in d.top_findings] == ["error", "error"]
    assert d.rules == ("CT_EQUIPMENT_REDUCTION", "DX_MISSING", "DX_NOT_SUPPORTING", "NPI_INVALID")
    assert d.amount_at_stake == Decimal("131.00")
    assert d.expected_allowed == Decimal("131.00")


def test_digest_of_a_warning_only_claim_has_nothing_at_stake() -> None:
    d = digest_claim(_result("C1", "DX_NOT_SUPPORTING"))
    assert d.errors == 0 and d.warnings == 1
    assert d.amount_at_stake == Decimal(0)


def test_table_lists_errors_first_then_by_dollars_at_stake() -> None:
    t = ClaimTable(limit=10)
    t.add(_result("W1", "DX_NOT_SUPPORTING", allowed="999.00"))
    t.add(_result("E-small", "DX_MISSING", allowed="50.00"))
    t.add(_result("E-big", "DX_MISSING", allowed="200.00"))
    t.add(_result("E-tie", "DX_MISSING", allowed="200.00"))  # same rank as E-big: file order wins
    assert [d.claim_id for d in t.listed()] == ["E-big", "E-tie", "E-small", "W1"]
    assert t.flagged == 4


def test_table_skips_clean_and_info_only_claims() -> None:
    t = ClaimTable()
    t.add(_result("clean"))
    t.add(_result("info", "CT_EQUIPMENT_REDUCTION"))
    assert t.flagged == 0 and t.listed() == []


def test_table_keeps_at_most_limit_digests_and_the_highest_ranked() -> None:
    t = ClaimTable(limit=3)
    for i in range(200):  # warnings first, then errors of growing amounts: memory must not grow
        t.add(_result(f"W{i}", "DX_NOT_SUPPORTING"))
    for i in range(200):
        t.add(_result(f"E{i}", "DX_MISSING", allowed=f"{100 + i}.00"))
        assert len(t._heap) <= 3
    assert [d.claim_id for d in t.listed()] == ["E199", "E198", "E197"]
    assert t.flagged == 400


def test_table_with_limit_zero_only_counts() -> None:
    t = ClaimTable(limit=0)
    t.add(_result("E1", "DX_MISSING"))
    assert t.flagged == 1 and t.listed() == []


def test_rule_rows_carry_catalog_titles_most_frequent_first_errors_first_on_ties() -> None:
    rows = rule_rows({"DX_NOT_SUPPORTING": 2, "DX_MISSING": 2, "NPI_INVALID": 5})
    assert [r["rule"] for r in rows] == ["NPI_INVALID", "DX_MISSING", "DX_NOT_SUPPORTING"]
    assert rows[0]["title"] == RULES["NPI_INVALID"].title
    assert rows[2]["severity"] == "warning"


def test_rule_rows_of_an_unknown_rule_fall_back_to_its_id() -> None:
    assert rule_rows({"NOT_A_RULE": 1}) == [{"rule": "NOT_A_RULE", "title": "NOT_A_RULE", "severity": "info",
                                             "count": 1}]


def test_build_report_keeps_the_pipeline_summary_and_adds_listing_counts() -> None:
    s = UploadSummary(upload_id="u1", source="in/a.csv", format="csv-v1", claims=3, claims_with_errors=1)
    s.by_rule.update({"DX_MISSING": 1})
    s.by_severity.update({"error": 1})
    s.amount_at_stake = Decimal("131.00")
    table = ClaimTable(limit=1)
    table.add(_result("E1", "DX_MISSING"))
    table.add(_result("W1", "DX_NOT_SUPPORTING"))
    doc = build_report(s.to_dict(), table, processed_at="2026-01-02T03:04:05Z")
    for key, value in s.to_dict().items():
        if key != "processed_at":  # an explicit processed_at overrides the summary's own
            assert doc[key] == value
    assert doc["processed_at"] == "2026-01-02T03:04:05Z"
    assert (doc["claims_flagged"], doc["claims_listed"], doc["claims_not_listed"]) == (2, 1, 1)
    assert doc["claim_digests"][0]["claim_id"] == "E1"  # type: ignore[index]
    assert doc["rules"][0]["title"] == RULES["DX_MISSING"].title  # type: ignore[index]
    json.dumps(doc)  # the document is plain JSON


def test_build_report_accepts_claim_results_directly() -> None:
    doc = build_report({"by_rule": {}}, [_result("E1", "DX_MISSING"), _result("ok")], processed_at="t")
    assert doc["claims_flagged"] == 1 and doc["claims_not_listed"] == 0


def test_processed_time_is_utc_iso_from_start_plus_duration() -> None:
    assert processed_time(1_767_225_600.0, 5.4) == "2026-01-01T00:00:05Z"
    assert processed_time().endswith("Z")


def test_claim_level_error_puts_every_priced_line_at_stake() -> None:
    r = _result("C1", "ORDERING_PROVIDER_MISSING", line=None)
    r.prices.append(LinePrice("C1", 2, "71260", (), Decimal("160.81"), "PFS", "test"))
    assert digest_claim(r).amount_at_stake == Decimal("291.81")
    assert Severity.ERROR is RULES["ORDERING_PROVIDER_MISSING"].severity
