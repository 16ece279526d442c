"""CHARGE_BELOW_ALLOWED: Medicare pays the lower of the charge and the fee schedule amount."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from claimfactory import claim, line
from ctscrub.model import Claim, Finding, Payer, Severity
from ctscrub.refdata import ENV_DIR, load_reference_data
from ctscrub.rules.payment import charge_below_allowed
from ctscrub.rules.registry import RuleContext
from fakes import FakeReferenceData

D25, D26 = date(2025, 6, 2), date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _bundled_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DIR, raising=False)


def run(c: Claim) -> list[Finding]:
    return list(charge_below_allowed(c, RuleContext(as_of=date(2026, 6, 1), refdata=load_reference_data())))


def test_fires_when_charge_is_below_the_fee_schedule_amount() -> None:
    """Manhattan 2026 71250 global is $151.64: a $120.00 charge loses $31.64 on every claim."""
    (f,) = run(claim(line(1, "71250", dos=D26, charge="120.00"), locality="13202-01"))
    assert (f.rule, f.severity, f.line, f.code) == ("CHARGE_BELOW_ALLOWED", Severity.WARNING, 1, "71250")
    assert f.amount_at_stake == Decimal("31.64")
    assert "$120.00" in f.message and "$151.64" in f.message and "lower of the charge" in f.message
    assert "locality 13202-01 (MANHATTAN)" in f.message
    assert f.dataset and "CMS PFS 2026" in f.dataset and "GPCI 2026" in f.dataset
    assert "TESTPATIENT" not in f.message + f.suggestion and "1EG4TE5MK73" not in f.message + f.suggestion


def test_not_fired_when_charge_is_at_or_above_the_fee_schedule_amount() -> None:
    assert run(claim(line(1, "71250", dos=D26, charge="132.60"))) == []
    assert run(claim(line(1, "71250", dos=D26, charge="400.00"))) == []


def test_uses_the_component_and_year_of_the_line() -> None:
    """2025 national -26 is $49.17: $45 is below it; $50 is not (though below the global $131.00)."""
    (f,) = run(claim(line(1, "71250", "26", dos=D25, charge="45.00")))
    assert f.amount_at_stake == Decimal("4.17")
    assert run(claim(line(1, "71250", "26", dos=D25, charge="50.00"))) == []


def test_compares_with_the_unreduced_amount_not_the_mppr_amount() -> None:
    """The second study's MPPR-reduced amount (87.63) is what is paid, not the most that may be charged."""
    c = claim(line(1, "71260", dos=D25, charge="400.00"), line(2, "71250", dos=D25, charge="100.00"))
    (f,) = run(c)
    assert f.line == 2 and f.amount_at_stake == Decimal("31.00")


def test_opps_capped_amount_is_the_fee_schedule_amount() -> None:
    assert run(claim(line(1, "71275", dos=D25, charge="265.00"))) == []  # above the capped 261.36
    (f,) = run(claim(line(1, "71275", dos=D25, charge="250.00")))
    assert f.amount_at_stake == Decimal("11.36")


def test_not_fired_for_commercial_payer_modifier_52_no_charge_or_no_fee_schedule() -> None:
    assert run(claim(line(1, "71250", dos=D26, charge="10.00"), payer=Payer.COMMERCIAL)) == []
    assert run(claim(line(1, "71250", "52", dos=D26, charge="10.00"))) == []
    assert run(claim(line(1, "71250", dos=D26, charge=None))) == []
    assert run(claim(line(1, "71250", dos=date(2027, 1, 4), charge="10.00"))) == []
    assert run(claim(line(1, "99213", dos=D26, charge="10.00"))) == []


def test_reference_data_without_fee_schedules_raises_nothing() -> None:
    c = claim(line(1, "71250", dos=D26, charge="10.00"))
    assert list(charge_below_allowed(c, RuleContext(as_of=date(2026, 6, 1), refdata=FakeReferenceData()))) == []
