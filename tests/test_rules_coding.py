"""Coding rules: deleted codes, contrast coding, pair edits, units, duplicates (rules/coding.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from claimfactory import claim, line
from ctscrub.model import Claim, Finding, LinePrice, Severity
from ctscrub.refdata.policy import policy_for
from ctscrub.refdata.types import MueLimit, PtpEdit
from ctscrub.rules import all_rules
from ctscrub.rules.coding import (
    contrast_combined,
    contrast_mismatch,
    deleted_code,
    duplicate_line,
    ptp_bundled,
    unit_limit,
    units_exceed_mue,
)
from ctscrub.rules.registry import RuleContext, SeenLine
from fakes import FakeReferenceData

DOS = date(2026, 3, 2)
CMS = "CMS NCCI practitioner PTP v32.3 (test)"


def ctx_with(ptp: list[PtpEdit] | None = None, mue: dict[str, MueLimit] | None = None) -> RuleContext:
    return RuleContext(as_of=date(2026, 3, 10), refdata=FakeReferenceData(ptp=ptp, mue=mue))


def remember(c: Claim, ctx: RuleContext) -> None:
    """What the pipeline does after each claim: index its chest CT lines by patient and date."""
    for ln in c.lines:
        if (ln.is_chest_ct or ln.procedure_code == "G0297") and ln.service_date is not None:
            ctx.patient_day_lines.setdefault((c.identity_hash(), ln.service_date), []).append(
                SeenLine(c.claim_id, ln.number, ln.procedure_code, ln.modifiers))


def priced(ctx: RuleContext, c: Claim, amount: str) -> None:
    ctx.prices = {ln.number: LinePrice(c.claim_id, ln.number, ln.procedure_code, ln.modifiers, Decimal(amount), "t")
                  for ln in c.lines}


def default_edit(column1: str, column2: str) -> PtpEdit:
    """An edit as the reference data builds it from ptp_default.json."""
    table = policy_for("ptp_default", DOS)
    assert table is not None
    row = next(e for e in table["edits"] if e["column1"] == column1 and e["column2"] == column2)
    return PtpEdit(row["column1"], row["column2"], row["modifier_indicator"], row["rationale"],
                   "ctscrub policy-derived default edits")


def only(findings: list[Finding], rule_id: str) -> list[Finding]:
    assert all(f.rule == rule_id for f in findings)
    return findings


# --- registry ------------------------------------------------------------------------------------


def test_all_rules_imports_every_family_and_registers_these_rules() -> None:
    fns = all_rules()
    for fn in (deleted_code, contrast_combined, contrast_mismatch, ptp_bundled, units_exceed_mue, duplicate_line):
        assert fn in fns


# --- CODE_DELETED --------------------------------------------------------------------------------


def test_g0297_after_2021_is_deleted_and_the_fix_is_71271() -> None:
    c = claim(line(1, "G0297"))
    ctx = ctx_with()
    priced(ctx, c, "136.28")
    [f] = only(list(deleted_code(c, ctx)), "CODE_DELETED")
    assert f.severity is Severity.ERROR and f.line == 1 and f.code == "G0297"
    assert "2021-01-01" in f.message
    assert f.suggestion == "Bill 71271 instead of G0297 on line 1."
    assert f.amount_at_stake == Decimal("136.28")
    assert f.dataset is not None


def test_g0297_before_its_deletion_date_is_not_flagged() -> None:
    assert list(deleted_code(claim(line(1, "G0297", dos=date(2020, 12, 31))), ctx_with())) == []


def test_current_code_71271_is_not_deleted() -> None:
    assert list(deleted_code(claim(line(1, "71271")), ctx_with())) == []


# --- CONTRAST_COMBINED_REQUIRED ------------------------------------------------------------------


def test_71250_and_71260_same_day_in_one_claim_must_be_71270_raised_on_the_later_line() -> None:
    c = claim(line(1, "71250"), line(2, "71260"))
    [f] = only(list(contrast_combined(c, ctx_with())), "CONTRAST_COMBINED_REQUIRED")
    assert f.severity is Severity.ERROR and f.line == 2
    assert "line 1" in f.message and "71270" in f.message
    assert f.suggestion.startswith("Bill 71270 on one line instead of 71250 and 71260")


def test_71250_and_71260_on_different_dates_are_two_studies() -> None:
    c = claim(line(1, "71250"), line(2, "71260", dos=date(2026, 3, 3)))
    assert list(contrast_combined(c, ctx_with())) == []


def test_71250_on_an_earlier_claim_and_71260_later_same_patient_same_day_names_the_other_claim() -> None:
    ctx = ctx_with()
    first = claim(line(1, "71250"), claim_id="A1")
    remember(first, ctx)
    second = claim(line(1, "71260"), claim_id="B2")
    [f] = only(list(contrast_combined(second, ctx)), "CONTRAST_COMBINED_REQUIRED")
    assert f.claim_id == "B2" and "line 1 of claim A1" in f.message
    assert "corrected claim" in f.suggestion and "A1" in f.suggestion


def test_71250_and_71260_for_two_different_patients_same_day_are_not_combined() -> None:
    ctx = ctx_with()
    remember(claim(line(1, "71250"), claim_id="A1", member_id="1EG4TE5MK73"), ctx)
    other = claim(line(1, "71260"), claim_id="B2", member_id="9ZZ9ZZ9ZZ99")
    assert list(contrast_combined(other, ctx)) == []


def test_separate_sessions_marked_xe_only_warn() -> None:
    c = claim(line(1, "71250"), line(2, "71260", "XE"))
    [f] = list(contrast_combined(c, ctx_with()))
    assert f.severity is Severity.WARNING and "separate sessions" in f.suggestion


# --- CONTRAST_MISMATCH ---------------------------------------------------------------------------


def test_iv_contrast_documented_on_71250_contradicts_the_code() -> None:
    [f] = only(list(contrast_mismatch(claim(line(1, "71250", contrast="iv")), ctx_with())), "CONTRAST_MISMATCH")
    assert "71260" in f.suggestion and f.line == 1


def test_oral_contrast_alone_on_71260_is_not_with_contrast() -> None:
    [f] = list(contrast_mismatch(claim(line(1, "71260", contrast="oral")), ctx_with()))
    assert "oral" in f.message and "71250" in f.suggestion


def test_no_contrast_documented_on_71270_contradicts_the_code() -> None:
    [f] = list(contrast_mismatch(claim(line(1, "71270", contrast="none")), ctx_with()))
    assert f.rule == "CONTRAST_MISMATCH"


def test_matching_or_absent_contrast_is_not_flagged() -> None:
    c = claim(line(1, "71250", contrast="none"), line(2, "71250", contrast="oral"), line(3, "71260", contrast="iv"),
              line(4, "71270", contrast="iv"), line(5, "71250"))
    assert list(contrast_mismatch(c, ctx_with())) == []


# --- PTP_BUNDLED ---------------------------------------------------------------------------------


def test_default_table_holds_the_policy_edits_with_unknown_indicators() -> None:
    table = policy_for("ptp_default", DOS)
    assert table is not None
    pairs = {(e["column1"], e["column2"]) for e in table["edits"]}
    assert pairs == {("71275", "71250"), ("71275", "71260"), ("71275", "71270"),
                     ("71250", "71271"), ("71260", "71271"), ("71270", "71271")}
    assert all(e["modifier_indicator"] is None for e in table["edits"])


def test_71250_with_71275_same_day_is_denied_on_the_column2_line_and_names_the_edit_set() -> None:
    c = claim(line(1, "71250"), line(2, "71275"))
    ctx = ctx_with(ptp=[default_edit("71275", "71250")])
    priced(ctx, c, "132.60")
    [f] = only(list(ptp_bundled(c, ctx)), "PTP_BUNDLED")
    assert f.severity is Severity.ERROR and f.line == 1 and f.code == "71250"
    assert f.dataset == "ctscrub policy-derived default edits"
    assert "71275 on line 2" in f.message and f.amount_at_stake == Decimal("132.60")


def test_71271_with_diagnostic_71250_same_day_is_bundled() -> None:
    c = claim(line(1, "71271"), line(2, "71250"))
    [f] = list(ptp_bundled(c, ctx_with(ptp=[default_edit("71250", "71271")])))
    assert f.line == 1 and f.code == "71271"


def test_pair_on_different_dates_is_not_bundled() -> None:
    c = claim(line(1, "71250"), line(2, "71275", dos=date(2026, 3, 3)))
    assert list(ptp_bundled(c, ctx_with(ptp=[default_edit("71275", "71250")]))) == []


def test_unknown_indicator_with_xe_on_column2_is_only_a_warning_that_asks_for_the_cms_file() -> None:
    c = claim(line(1, "71250", "XE"), line(2, "71275"))
    [f] = list(ptp_bundled(c, ctx_with(ptp=[default_edit("71275", "71250")])))
    assert f.severity is Severity.WARNING and "unknown" in f.message
    assert "CMS practitioner PTP file" in f.suggestion and f.amount_at_stake is None


def test_cms_indicator_1_is_bypassed_by_59_on_the_column2_line() -> None:
    c = claim(line(1, "71250", "59"), line(2, "71275"))
    assert list(ptp_bundled(c, ctx_with(ptp=[PtpEdit("71275", "71250", "1", "r", CMS)]))) == []


def test_cms_indicator_1_without_modifier_is_an_error() -> None:
    c = claim(line(1, "71250"), line(2, "71275"))
    [f] = list(ptp_bundled(c, ctx_with(ptp=[PtpEdit("71275", "71250", "1", "r", CMS)])))
    assert f.severity is Severity.ERROR and f.dataset == CMS


def test_cms_indicator_0_denies_even_with_xs() -> None:
    c = claim(line(1, "71250", "XS"), line(2, "71275"))
    [f] = list(ptp_bundled(c, ctx_with(ptp=[PtpEdit("71275", "71250", "0", "r", CMS)])))
    assert f.severity is Severity.ERROR and "indicator is 0" in f.message


def test_cms_indicator_9_has_no_effect() -> None:
    c = claim(line(1, "71250"), line(2, "71275"))
    assert list(ptp_bundled(c, ctx_with(ptp=[PtpEdit("71275", "71250", "9", "r", CMS)]))) == []


def test_column2_on_a_later_claim_is_flagged_there_naming_the_earlier_column1_line() -> None:
    ctx = ctx_with(ptp=[default_edit("71275", "71250")])
    remember(claim(line(3, "71275"), claim_id="A1"), ctx)
    [f] = list(ptp_bundled(claim(line(1, "71250"), claim_id="B2"), ctx))
    assert f.line == 1 and "line 3 of claim A1" in f.message


def test_column1_on_a_later_claim_flags_the_later_line_because_the_earlier_claim_is_already_out() -> None:
    ctx = ctx_with(ptp=[default_edit("71275", "71250")])
    remember(claim(line(2, "71250"), claim_id="A1"), ctx)
    [f] = list(ptp_bundled(claim(line(1, "71275"), claim_id="B2"), ctx))
    assert f.claim_id == "B2" and f.line == 1 and "line 2 of claim A1" in f.message
    assert "claim A1" in f.suggestion


def test_no_edit_in_reference_data_means_no_finding() -> None:
    assert list(ptp_bundled(claim(line(1, "71250"), line(2, "71275")), ctx_with())) == []


# --- UNITS_EXCEED_MUE ----------------------------------------------------------------------------


def test_default_limit_is_one_unit_per_line_for_every_chest_ct_code() -> None:
    for code in ("71250", "71260", "71270", "71271", "71275"):
        limit = unit_limit(ctx_with(), code, DOS)
        assert limit is not None and limit.units == 1 and limit.adjudication is None
        assert limit.dataset == "ctscrub default unit limit (not CMS MUE values)"


def test_two_units_on_one_line_exceed_the_default_limit_and_deny_the_line() -> None:
    c = claim(line(1, "71250", units=2))
    ctx = ctx_with()
    priced(ctx, c, "132.60")
    [f] = only(list(units_exceed_mue(c, ctx)), "UNITS_EXCEED_MUE")
    assert f.amount_at_stake == Decimal("132.60") and "2 units" in f.message
    assert "76" in f.suggestion and "1 unit on line 1" in f.suggestion


def test_one_unit_per_line_is_within_the_limit() -> None:
    assert list(units_exceed_mue(claim(line(1, "71250"), line(2, "71250", "76")), ctx_with())) == []


def test_loaded_cms_limit_replaces_the_default() -> None:
    mue = {"71250": MueLimit("71250", 2, 1, "r", "CMS MUE test")}
    assert list(units_exceed_mue(claim(line(1, "71250", units=2)), ctx_with(mue=mue))) == []
    [f] = list(units_exceed_mue(claim(line(1, "71250", units=3)), ctx_with(mue=mue)))
    assert f.dataset == "CMS MUE test"


def test_mai3_sums_the_patient_day_across_lines_and_claims_and_says_appealable() -> None:
    mue = {"71250": MueLimit("71250", 2, 3, "r", "CMS MUE test")}
    ctx = ctx_with(mue=mue)
    remember(claim(line(1, "71250"), claim_id="A1"), ctx)
    c = claim(line(1, "71250", "76"), line(2, "71250", "76"), claim_id="B2")
    found = list(units_exceed_mue(c, ctx))
    assert [f.line for f in found] == [1, 2]
    assert "appeal" in found[0].message and "line 1 of claim A1" in found[0].message


def test_mai2_day_total_within_the_limit_passes() -> None:
    mue = {"71250": MueLimit("71250", 2, 2, "r", "CMS MUE test")}
    assert list(units_exceed_mue(claim(line(1, "71250"), line(2, "71250", "76")), ctx_with(mue=mue))) == []


def test_mai2_day_total_over_the_limit_is_absolute() -> None:
    mue = {"71250": MueLimit("71250", 1, 2, "r", "CMS MUE test")}
    found = list(units_exceed_mue(claim(line(1, "71250"), line(2, "71250", "76")), ctx_with(mue=mue)))
    assert len(found) == 2 and "even on appeal" in found[0].message


# --- DUPLICATE_LINE ------------------------------------------------------------------------------


def test_same_code_date_and_modifiers_twice_is_a_duplicate_on_the_later_line() -> None:
    c = claim(line(1, "71250", "26"), line(2, "71250", "26"))
    [f] = only(list(duplicate_line(c, ctx_with())), "DUPLICATE_LINE")
    assert f.line == 2 and "line 1" in f.message and "76" in f.suggestion


def test_repeat_marked_76_is_not_a_duplicate() -> None:
    assert list(duplicate_line(claim(line(1, "71250"), line(2, "71250", "76")), ctx_with())) == []


def test_different_modifiers_26_and_tc_are_not_duplicates() -> None:
    assert list(duplicate_line(claim(line(1, "71250", "26"), line(2, "71250", "TC")), ctx_with())) == []


def test_duplicate_across_claims_of_the_same_patient_names_the_earlier_claim() -> None:
    ctx = ctx_with()
    remember(claim(line(1, "71260"), claim_id="A1"), ctx)
    [f] = list(duplicate_line(claim(line(1, "71260"), claim_id="B2"), ctx))
    assert "line 1 of claim A1" in f.message


def test_messages_carry_no_patient_data() -> None:
    ctx = ctx_with(ptp=[default_edit("71275", "71250")])
    c = claim(line(1, "71250", units=2, contrast="iv"), line(2, "71275"), line(3, "71260"), line(4, "71250"),
              line(5, "G0297"))
    found = [f for fn in (deleted_code, contrast_combined, contrast_mismatch, ptp_bundled, units_exceed_mue,
                          duplicate_line) for f in fn(c, ctx)]
    assert {f.rule for f in found} == {"CODE_DELETED", "CONTRAST_COMBINED_REQUIRED", "CONTRAST_MISMATCH",
                                       "PTP_BUNDLED", "UNITS_EXCEED_MUE", "DUPLICATE_LINE"}
    for f in found:
        text = f.message + f.suggestion
        assert "TESTPATIENT" not in text and "ALEX" not in text and "1EG4TE5MK73" not in text
        assert "1955" not in text
