"""Claim structure rules from the 837P: CLM02 total and replacement/void references (rules/claim.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from claimfactory import claim, line
from ctscrub.model import LinePrice, Severity
from ctscrub.rules import all_rules
from ctscrub.rules.claim import charge_total_mismatch, frequency_ref_missing
from ctscrub.rules.registry import RuleContext
from fakes import FakeReferenceData


def ctx() -> RuleContext:
    return RuleContext(as_of=date(2026, 3, 10), refdata=FakeReferenceData())


def test_all_rules_registers_the_claim_rules() -> None:
    fns = all_rules()
    assert charge_total_mismatch in fns and frequency_ref_missing in fns


def test_clm02_different_from_the_sum_of_line_charges_is_rejected() -> None:
    c = claim(line(1, "71250", charge="400.00"), line(2, "99213", charge="100.00"),
              total_charge=Decimal("450.00"))
    context = ctx()
    context.prices = {1: LinePrice("C1", 1, "71250", (), Decimal("132.60"), "t")}
    [f] = list(charge_total_mismatch(c, context))
    assert f.rule == "CHARGE_TOTAL_MISMATCH" and f.severity is Severity.ERROR and f.line is None
    assert "$450.00" in f.message and "$500.00" in f.message and "$-50.00" in f.message
    assert f.suggestion.startswith("Correct CLM02 to $500.00")
    assert f.amount_at_stake == Decimal("132.60")


def test_clm02_equal_to_the_sum_of_line_charges_passes() -> None:
    c = claim(line(1, "71250", charge="400.00"), line(2, "99213", charge="100.50"),
              total_charge=Decimal("500.5"))
    assert list(charge_total_mismatch(c, ctx())) == []


def test_without_a_claim_total_such_as_csv_input_the_check_does_not_run() -> None:
    assert list(charge_total_mismatch(claim(line(1, "71250", charge="400.00")), ctx())) == []


def test_claim_without_chest_ct_is_out_of_scope() -> None:
    c = claim(line(1, "99213", charge="100.00"), total_charge=Decimal("1.00"), frequency_code="7")
    assert list(charge_total_mismatch(c, ctx())) == [] and list(frequency_ref_missing(c, ctx())) == []


def test_replacement_claim_without_ref_f8_is_rejected() -> None:
    [f] = list(frequency_ref_missing(claim(line(1, "71250"), frequency_code="7"), ctx()))
    assert f.rule == "CLAIM_FREQUENCY_REF_MISSING" and f.line is None
    assert "replacement" in f.message and "REF*F8" in f.suggestion


def test_void_claim_without_ref_f8_is_rejected() -> None:
    [f] = list(frequency_ref_missing(claim(line(1, "71250"), frequency_code="8"), ctx()))
    assert "void" in f.message


def test_replacement_with_ref_f8_and_original_claims_pass() -> None:
    assert list(frequency_ref_missing(claim(line(1, "71250"), frequency_code="7",
                                            has_original_reference=True), ctx())) == []
    assert list(frequency_ref_missing(claim(line(1, "71250"), frequency_code="1"), ctx())) == []
    assert list(frequency_ref_missing(claim(line(1, "71250")), ctx())) == []
