"""Date rules: DOS_FUTURE and TIMELY_FILING (42 CFR 424.44: 12 months from the date of service)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from claimfactory import claim, line
from ctscrub.model import Finding, LinePrice, Payer, Severity
from ctscrub.rules import RuleContext
from ctscrub.rules.dates import add_months, dos_future, timely_filing
from fakes import FakeReferenceData


def ctx(as_of: date) -> RuleContext:
    c = RuleContext(as_of=as_of, refdata=FakeReferenceData())  # type: ignore[arg-type]
    c.prices = {1: LinePrice("C1", 1, "71250", (), Decimal("132.60"), "test")}
    return c


def run(fn, c, as_of: date) -> list[Finding]:  # type: ignore[no-untyped-def]
    return list(fn(c, ctx(as_of)))


def test_add_months_clamps_to_month_end() -> None:
    """2024-02-29 + 12 months is 2025-02-28; 2025-03-02 + 12 months is 2026-03-02."""
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 2), 12) == date(2026, 3, 2)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


# --- DOS_FUTURE ----------------------------------------------------------------------------------------

def test_dos_future_fires_after_the_processing_date() -> None:
    """Pub 100-04 ch. 1 §70: a service dated tomorrow cannot be billed today."""
    out = run(dos_future, claim(line(dos=date(2026, 3, 21))), date(2026, 3, 20))
    assert [f.rule for f in out] == ["DOS_FUTURE"]
    assert out[0].severity is Severity.ERROR and out[0].amount_at_stake == Decimal("132.60")


def test_dos_future_not_fired_today_or_earlier() -> None:
    """A service dated on the processing date is not in the future."""
    assert run(dos_future, claim(line(dos=date(2026, 3, 20))), date(2026, 3, 20)) == []


def test_dos_future_span_ending_in_future_fires() -> None:
    """An RD8 span whose end is after the processing date is not complete yet."""
    ln = line(dos=date(2026, 3, 18))
    ln.service_date_end = date(2026, 3, 25)
    assert [f.rule for f in run(dos_future, claim(ln), date(2026, 3, 20))] == ["DOS_FUTURE"]


def test_dos_future_ignores_other_lines_and_missing_dates() -> None:
    """Only chest CT lines with a date are checked."""
    ln = line()
    ln.service_date = None
    assert run(dos_future, claim(ln, line(2, "99213", dos=date(2027, 1, 1))), date(2026, 3, 20)) == []


# --- TIMELY_FILING -------------------------------------------------------------------------------------

DOS = date(2025, 3, 2)  # filing limit 2026-03-02


def test_timely_filing_error_one_day_past_12_months() -> None:
    """42 CFR 424.44: DOS 2025-03-02 must be filed by 2026-03-02; on 2026-03-03 Medicare denies."""
    out = run(timely_filing, claim(line(dos=DOS)), date(2026, 3, 3))
    assert [f.rule for f in out] == ["TIMELY_FILING"]
    assert out[0].severity is Severity.ERROR and out[0].amount_at_stake == Decimal("132.60")
    assert "2026-03-02" in out[0].message


@pytest.mark.parametrize(("as_of", "days"), [(date(2026, 3, 2), 0), (date(2026, 1, 31), 30)])
def test_timely_filing_warning_within_30_days(as_of: date, days: int) -> None:
    """Within 30 days of the limit (the limit day included): the same rule as a warning with the days left."""
    out = run(timely_filing, claim(line(dos=DOS)), as_of)
    assert [(f.rule, f.severity) for f in out] == [("TIMELY_FILING", Severity.WARNING)]
    assert f"{days} day" in out[0].message and out[0].amount_at_stake is None


def test_timely_filing_silent_more_than_30_days_before_limit() -> None:
    """31 days before the limit there is nothing to say."""
    assert run(timely_filing, claim(line(dos=DOS)), date(2026, 1, 30)) == []


def test_timely_filing_commercial_past_12_months_is_a_contract_warning() -> None:
    """Commercial limits are contractual: past Medicare's 12 months is a warning pointing at the contract."""
    out = run(timely_filing, claim(line(dos=DOS), payer=Payer.COMMERCIAL), date(2026, 3, 3))
    assert [(f.rule, f.severity) for f in out] == [("TIMELY_FILING", Severity.WARNING)]
    assert "contract" in out[0].message and out[0].amount_at_stake is None


def test_timely_filing_commercial_no_countdown_warning() -> None:
    """The 30-day countdown is Medicare's; a commercial claim near it gets none."""
    assert run(timely_filing, claim(line(dos=DOS), payer=Payer.COMMERCIAL), date(2026, 2, 20)) == []


def test_timely_filing_ignores_future_and_undated_lines() -> None:
    """A future date is DOS_FUTURE's; a missing date is DOC_SERVICE_DATE's."""
    ln = line()
    ln.service_date = None
    assert run(timely_filing, claim(ln, line(2, dos=date(2027, 1, 1))), date(2026, 3, 20)) == []
