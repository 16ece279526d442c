"""Provider rules: ORDERING_PROVIDER_MISSING (42 CFR 410.32(a)) and NPI_INVALID (45 CFR 162.406 check digit)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from claimfactory import GOOD_NPI, OTHER_NPI, claim, line
from ctscrub.model import Finding, LinePrice, Severity
from ctscrub.rules import RuleContext
from ctscrub.rules.providers import npi_invalid, npi_valid, ordering_provider_missing
from fakes import FakeReferenceData

BAD_NPI = "1234567890"  # GOOD_NPI with the wrong check digit


def ctx() -> RuleContext:
    c = RuleContext(as_of=date(2026, 3, 20), refdata=FakeReferenceData())  # type: ignore[arg-type]
    c.prices = {1: LinePrice("C1", 1, "71250", (), Decimal("132.60"), "test"),
                2: LinePrice("C1", 2, "71260", (), Decimal("166.67"), "test")}
    return c


def run(fn, c) -> list[Finding]:  # type: ignore[no-untyped-def]
    return list(fn(c, ctx()))


@pytest.mark.parametrize(("npi", "ok"), [(GOOD_NPI, True), (OTHER_NPI, True), (BAD_NPI, False),
                                         ("123456789", False), ("12345678930", False), ("12345678A3", False),
                                         ("１２３４５６７８９３", False)])
def test_npi_check_digit_is_luhn_over_80840_prefix(npi: str, ok: bool) -> None:
    """CMS example 1234567893 passes; a changed check digit, wrong length or non-ASCII digits fail."""
    assert npi_valid(npi) is ok


# --- ORDERING_PROVIDER_MISSING -------------------------------------------------------------------------

def test_ordering_provider_missing_fires_without_line_or_claim_npi() -> None:
    """42 CFR 410.32(a): an imaging line with no ordering NPI anywhere is rejected (N264/N265)."""
    out = run(ordering_provider_missing, claim(line(ordering_npi=None)))
    assert [f.rule for f in out] == ["ORDERING_PROVIDER_MISSING"]
    assert out[0].severity is Severity.ERROR and out[0].amount_at_stake == Decimal("132.60")
    assert "2310A" in out[0].suggestion


def test_ordering_provider_blank_counts_as_missing() -> None:
    """A whitespace-only ordering NPI is no ordering provider."""
    assert len(run(ordering_provider_missing, claim(line(ordering_npi="  ")))) == 1


def test_ordering_provider_at_claim_level_covers_the_lines() -> None:
    """837P 2310A: a claim-level ordering provider applies to every line."""
    assert run(ordering_provider_missing, claim(line(ordering_npi=None), ordering_npi=GOOD_NPI)) == []


def test_ordering_provider_on_the_line_passes_and_other_lines_are_not_checked() -> None:
    """A line-level ordering NPI passes; an office visit without one is not a chest CT line."""
    assert run(ordering_provider_missing, claim(line(), line(2, "99213", ordering_npi=None))) == []


# --- NPI_INVALID ---------------------------------------------------------------------------------------

def test_npi_invalid_billing_npi_reported_once_on_the_claim() -> None:
    """An invalid billing NPI rejects the whole claim: one claim-level finding naming the role and the NPI."""
    c = claim(line(), line(2, "71260"))
    c.billing_npi = BAD_NPI
    out = run(npi_invalid, c)
    assert [(f.rule, f.line) for f in out] == [("NPI_INVALID", None)]
    assert "billing" in out[0].message and BAD_NPI in out[0].message
    assert out[0].amount_at_stake == Decimal("299.27")


def test_npi_invalid_line_ordering_npi_reported_on_the_line() -> None:
    """A line's ordering NPI that fails the check digit is reported on that line."""
    out = run(npi_invalid, claim(line(ordering_npi=BAD_NPI)))
    assert [(f.rule, f.line) for f in out] == [("NPI_INVALID", 1)]
    assert "ordering" in out[0].message and "check digit" in out[0].message


def test_npi_invalid_claim_rendering_not_repeated_on_lines() -> None:
    """A line NPI equal to the claim's NPI of the same role is reported once, at claim level."""
    ln = line()
    ln.rendering_npi = BAD_NPI
    out = run(npi_invalid, claim(ln, rendering_npi=BAD_NPI))
    assert [(f.rule, f.line) for f in out] == [("NPI_INVALID", None)]
    assert "rendering" in out[0].message


def test_npi_invalid_does_not_echo_non_numeric_values() -> None:
    """A value that is not digits may be misplaced data: the message says what is wrong without showing it."""
    out = run(npi_invalid, claim(line(ordering_npi="SMITH J")))
    assert len(out) == 1 and "SMITH" not in out[0].message and "not a number" in out[0].message


def test_npi_invalid_wrong_length_says_so() -> None:
    """A 9-digit NPI is reported with its digit count."""
    out = run(npi_invalid, claim(line(ordering_npi="123456789")))
    assert "9 digits" in out[0].message


def test_npi_invalid_not_fired_for_valid_npis_or_claims_without_chest_ct() -> None:
    """Valid NPIs pass; a claim with no chest CT line gets no findings."""
    assert run(npi_invalid, claim(line(), ordering_npi=OTHER_NPI, rendering_npi=GOOD_NPI)) == []
    c = claim(line(code="99213", ordering_npi=BAD_NPI))
    c.billing_npi = BAD_NPI
    assert run(npi_invalid, c) == []
