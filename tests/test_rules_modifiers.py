"""Modifier rules on chest CT lines (rules/modifiers.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from claimfactory import claim, line
from ctscrub.model import Claim, LinePrice, Severity
from ctscrub.refdata.policy import policy_for
from ctscrub.rules.modifiers import (
    distinct_without_pair,
    facility_requires_26,
    modifier_conflict,
    modifier_invalid,
    modifier_notes,
    repeat_without_original,
)
from ctscrub.rules.registry import RuleContext, SeenLine
from fakes import FakeReferenceData


def ctx() -> RuleContext:
    return RuleContext(as_of=date(2026, 3, 10), refdata=FakeReferenceData())


def remember(c: Claim, context: RuleContext) -> None:
    """What the pipeline does after each claim: index its chest CT lines by patient and date."""
    for ln in c.lines:
        if ln.is_chest_ct and ln.service_date is not None:
            context.patient_day_lines.setdefault((c.identity_hash(), ln.service_date), []).append(
                SeenLine(c.claim_id, ln.number, ln.procedure_code, ln.modifiers))


# --- MODIFIER_INVALID ----------------------------------------------------------------------------


def test_common_professional_modifiers_are_valid_on_ct() -> None:
    c = claim(line(1, "71250", "26", "59"), line(2, "71260", "TC", "76"), line(3, "71270", "GA", "CT"),
              line(4, "71275", "XU", "KX"), line(5, "71271", "77", "52"))
    assert list(modifier_invalid(c, ctx())) == []


def test_fx_is_for_film_x_rays_and_does_not_apply_to_ct() -> None:
    c = claim(line(1, "71250", "FX"))
    context = ctx()
    context.prices = {1: LinePrice("C1", 1, "71250", ("FX",), Decimal("132.60"), "t")}
    [f] = list(modifier_invalid(c, context))
    assert f.rule == "MODIFIER_INVALID" and f.severity is Severity.ERROR
    assert "FX" in f.message and "does not apply to CT" in f.message
    assert f.suggestion == "Remove FX from line 1." and f.amount_at_stake == Decimal("132.60")


def test_91_50_rt_lt_do_not_apply_to_chest_ct() -> None:
    found = list(modifier_invalid(claim(line(1, "71250", "91", "50", "RT", "LT")), ctx()))
    assert len(found) == 4 and all("does not apply to CT" in f.message for f in found)


def test_auc_modifier_ma_is_accepted_through_2024_and_rejected_from_2025() -> None:
    assert list(modifier_invalid(claim(line(1, "71250", "MA", dos=date(2024, 12, 31))), ctx())) == []
    [f] = list(modifier_invalid(claim(line(1, "71250", "QQ", dos=date(2025, 1, 1))), ctx()))
    assert "2024-12-31" in f.message


def test_unknown_modifier_is_named() -> None:
    [f] = list(modifier_invalid(claim(line(1, "71250", "ZZ")), ctx()))
    assert "ZZ is not a recognized" in f.message


def test_malformed_modifier_is_named_without_echoing_long_free_text() -> None:
    found = list(modifier_invalid(claim(line(1, "71250", "2", "SMITH JOHN")), ctx()))
    assert len(found) == 2
    assert "'2'" in found[0].message and "malformed" in found[0].message
    assert "SMITH" not in found[1].message + found[1].suggestion and "10 characters" in found[1].message


def test_modifier_table_versions_follow_the_auc_end_date() -> None:
    v2024, v2025 = policy_for("modifiers", date(2024, 6, 1)), policy_for("modifiers", date(2025, 6, 1))
    assert v2024 is not None and v2025 is not None
    assert "MH" in v2024["valid"] and "MH" not in v2025["valid"] and "MH" in v2025["not_for_ct"]


# --- MODIFIER_CONFLICT ---------------------------------------------------------------------------


def test_26_with_tc_on_one_line_conflicts() -> None:
    [f] = list(modifier_conflict(claim(line(1, "71250", "26", "TC")), ctx()))
    assert f.rule == "MODIFIER_CONFLICT" and "without 26 or TC" in f.suggestion


def test_76_with_77_on_one_line_conflicts() -> None:
    [f] = list(modifier_conflict(claim(line(1, "71250", "76", "77")), ctx()))
    assert "76" in f.message and "77" in f.message


def test_26_alone_and_76_alone_do_not_conflict() -> None:
    assert list(modifier_conflict(claim(line(1, "71250", "26", "76")), ctx())) == []


# --- FACILITY_REQUIRES_26 ------------------------------------------------------------------------


def test_global_line_in_an_outpatient_hospital_needs_26() -> None:
    [f] = list(facility_requires_26(claim(line(1, "71250", pos="22")), ctx()))
    assert f.rule == "FACILITY_REQUIRES_26" and "on-campus outpatient hospital" in f.message
    assert f.suggestion.startswith("Add 26 to line 1")


def test_tc_line_in_an_inpatient_hospital_must_become_26() -> None:
    [f] = list(facility_requires_26(claim(line(1, "71260", "TC", pos="21")), ctx()))
    assert f.suggestion.startswith("Replace TC with 26 on line 1")


def test_26_in_a_facility_and_global_in_an_office_are_correct() -> None:
    c = claim(line(1, "71250", "26", pos="22"), line(2, "71250", pos="11", dos=date(2026, 3, 3)))
    assert list(facility_requires_26(c, ctx())) == []


# --- REPEAT_WITHOUT_ORIGINAL ---------------------------------------------------------------------


def test_76_with_no_other_line_of_that_code_that_day_has_no_original() -> None:
    [f] = list(repeat_without_original(claim(line(1, "71250", "76"), line(2, "71260")), ctx()))
    assert f.rule == "REPEAT_WITHOUT_ORIGINAL" and f.severity is Severity.WARNING and f.line == 1


def test_77_after_the_original_on_the_same_claim_is_a_proper_repeat() -> None:
    assert list(repeat_without_original(claim(line(1, "71250"), line(2, "71250", "77")), ctx())) == []


def test_76_whose_original_is_on_an_earlier_claim_of_the_same_patient_is_a_proper_repeat() -> None:
    context = ctx()
    remember(claim(line(1, "71250"), claim_id="A1"), context)
    assert list(repeat_without_original(claim(line(1, "71250", "76"), claim_id="B2"), context)) == []


def test_76_whose_other_line_is_on_another_date_has_no_original() -> None:
    c = claim(line(1, "71250"), line(2, "71250", "76", dos=date(2026, 3, 3)))
    assert len(list(repeat_without_original(c, ctx()))) == 1


# --- DISTINCT_WITHOUT_PAIR -----------------------------------------------------------------------


def test_59_with_no_other_procedure_that_day_has_nothing_to_be_distinct_from() -> None:
    [f] = list(distinct_without_pair(claim(line(1, "71250", "59")), ctx()))
    assert f.rule == "DISTINCT_WITHOUT_PAIR" and "nothing for it to be distinct from" in f.message
    assert f.suggestion == "Remove 59 from line 1."


def test_xs_with_another_procedure_that_day_even_non_ct_is_paired() -> None:
    c = claim(line(1, "71250", "XS"), line(2, "32405"))
    assert list(distinct_without_pair(c, ctx())) == []


def test_xe_paired_with_a_ct_line_of_an_earlier_claim_is_paired() -> None:
    context = ctx()
    remember(claim(line(1, "71275"), claim_id="A1"), context)
    assert list(distinct_without_pair(claim(line(1, "71250", "XE"), claim_id="B2"), context)) == []


def test_59_on_a_repeat_of_the_same_code_should_be_76_or_77() -> None:
    [f] = list(distinct_without_pair(claim(line(1, "71250"), line(2, "71250", "59")), ctx()))
    assert "repeat" in f.message and "76" in f.suggestion and f.line == 2


# --- REDUCED_SERVICE, CT_EQUIPMENT_REDUCTION, GZ, GY ---------------------------------------------


def test_52_is_a_reduced_service_needing_documentation() -> None:
    [f] = list(modifier_notes(claim(line(1, "71250", "52")), ctx()))
    assert f.rule == "REDUCED_SERVICE" and f.severity is Severity.WARNING and "documentation" in f.message
    assert list(modifier_notes(claim(line(1, "71250", "53")), ctx())) == []


def test_ct_modifier_reduces_the_technical_part_by_15_percent() -> None:
    [tc] = list(modifier_notes(claim(line(1, "71250", "TC", "CT")), ctx()))
    assert tc.rule == "CT_EQUIPMENT_REDUCTION" and tc.severity is Severity.INFO and "15% less" in tc.message
    [pc] = list(modifier_notes(claim(line(1, "71250", "26", "CT")), ctx()))
    assert "not reduced" in pc.message
    assert list(modifier_notes(claim(line(1, "71250", "TC")), ctx())) == []


def test_gz_means_expected_denial_and_the_provider_is_liable() -> None:
    [f] = list(modifier_notes(claim(line(1, "71250", "GZ")), ctx()))
    assert f.rule == "EXPECTED_DENIAL_GZ" and f.severity is Severity.WARNING
    assert "provider is liable" in f.message and "cannot bill" in f.message and "GA" in f.suggestion
    assert list(modifier_notes(claim(line(1, "71250", "GA")), ctx())) == []


def test_gy_means_statutorily_excluded_and_the_beneficiary_is_liable() -> None:
    [f] = list(modifier_notes(claim(line(1, "71250", "GY")), ctx()))
    assert f.rule == "EXCLUDED_SERVICE_GY" and "beneficiary is liable" in f.message
    assert "secondary payer" in f.message
    assert list(modifier_notes(claim(line(1, "71250", "GX")), ctx())) == []


def test_modifiers_on_non_ct_lines_get_no_findings() -> None:
    c = claim(line(1, "99213", "FX", "52", "GZ", "GY", "59", "76", pos="22"))
    for fn in (modifier_invalid, modifier_conflict, facility_requires_26, repeat_without_original,
               distinct_without_pair, modifier_notes):
        assert list(fn(c, ctx())) == []
