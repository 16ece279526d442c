"""Lung cancer screening (71271) rules: LDCT_AGE, LDCT_SMOKING_DX, LDCT_SYMPTOMATIC, LDCT_FREQUENCY (NCD 210.14)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from claimfactory import claim, line
from ctscrub.model import Claim, Finding, LinePrice, Payer, Severity
from ctscrub.rules import RuleContext
from ctscrub.rules import screening as sc
from ctscrub.screening_history import InMemoryScreeningHistory
from fakes import FakeReferenceData

DOS = date(2026, 3, 2)
SMOKER = ("Z122", "Z87891")


def ctx(history: InMemoryScreeningHistory | None = None) -> RuleContext:
    c = RuleContext(as_of=date(2026, 3, 20), refdata=FakeReferenceData(),  # type: ignore[arg-type]
                    screening_history=history)
    c.prices = {n: LinePrice("C1", n, "71271", (), Decimal("136.28"), "test") for n in (1, 2, 3)}
    return c


def ldct(number: int = 1, dos: date = DOS, dx: tuple[str, ...] = SMOKER):  # type: ignore[no-untyped-def]
    return line(number, "71271", dos=dos, dx=dx)


def run(fn, c: Claim, context: RuleContext | None = None) -> list[Finding]:  # type: ignore[no-untyped-def]
    return list(fn(c, context or ctx()))


# --- helpers -------------------------------------------------------------------------------------------

def test_age_on_counts_whole_years() -> None:
    """Age turns on the birthday; a 29 February birthday turns on 1 March in a common year."""
    assert sc.age_on(date(1976, 3, 2), date(2026, 3, 1)) == 49
    assert sc.age_on(date(1976, 3, 2), date(2026, 3, 2)) == 50
    assert sc.age_on(date(1960, 2, 29), date(2025, 2, 28)) == 64
    assert sc.age_on(date(1960, 2, 29), date(2025, 3, 1)) == 65


@pytest.mark.parametrize(
    ("last", "eligible"),
    [(date(2025, 3, 15), date(2026, 3, 1)), (date(2025, 12, 31), date(2026, 12, 1)),
     (date(2025, 1, 1), date(2026, 1, 1))],
)
def test_next_eligible_is_first_day_after_eleven_full_months(last: date, eligible: date) -> None:
    """NCD 210.14 claim edit: 11 full months after the month of the last screen."""
    assert sc.next_eligible(last, 11) == eligible


# --- LDCT_AGE ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("birth", "age", "fires"),
    [(date(1976, 3, 3), 49, True), (date(1976, 3, 2), 50, False),
     (date(1948, 3, 3), 77, False), (date(1948, 3, 2), 78, True)],
)
def test_ldct_age_medicare_50_to_77_from_2022(birth: date, age: int, fires: bool) -> None:
    """NCD 210.14: on 2026-03-02 Medicare covers ages 50-77 (49 and 78 are outside, 50 and 77 inside)."""
    out = run(sc.ldct_age, claim(ldct(), birth_date=birth))
    assert [f.rule for f in out] == (["LDCT_AGE"] if fires else [])
    if fires:
        assert f"the patient was {age} " in out[0].message
        assert "50-77" in out[0].message
        assert out[0].amount_at_stake == Decimal("136.28")


def test_ldct_age_medicare_55_before_2022_02_10() -> None:
    """NCD 210.14: a 54-year-old is outside 55-77 on 2022-02-09 and inside 50-77 on 2022-02-10."""
    born = date(1967, 6, 1)
    before = run(sc.ldct_age, claim(ldct(dos=date(2022, 2, 9)), birth_date=born))
    after = run(sc.ldct_age, claim(ldct(dos=date(2022, 2, 10)), birth_date=born))
    assert [f.rule for f in before] == ["LDCT_AGE"] and "55-77" in before[0].message
    assert after == []


@pytest.mark.parametrize(
    ("birth", "fires"),
    [(date(1976, 3, 3), True), (date(1948, 3, 2), False), (date(1945, 3, 3), False), (date(1945, 3, 2), True)],
)
def test_ldct_age_commercial_profile_50_to_80(birth: date, fires: bool) -> None:
    """USPSTF 2021 commercial profile: 49 and 81 outside, 78 and 80 inside."""
    out = run(sc.ldct_age, claim(ldct(), birth_date=birth, payer=Payer.COMMERCIAL))
    assert [f.rule for f in out] == (["LDCT_AGE"] if fires else [])
    if fires:
        assert "50-80" in out[0].message


def test_ldct_age_never_shows_the_birth_date() -> None:
    """The age is stated in whole years; the birth date (full, ISO or year) never appears."""
    born = date(1948, 3, 2)
    out = run(sc.ldct_age, claim(ldct(), birth_date=born))
    text = out[0].message + out[0].suggestion
    assert born.isoformat() not in text and "1948" not in text and "03/02" not in text


def test_ldct_age_not_fired_without_birth_date_or_on_diagnostic_ct() -> None:
    """No birth date: no age finding; 71250 is not a screening."""
    assert run(sc.ldct_age, claim(ldct(), birth_date=None)) == []
    assert run(sc.ldct_age, claim(line(code="71250"), birth_date=date(1930, 1, 1))) == []


# --- LDCT_SMOKING_DX -----------------------------------------------------------------------------------

def test_ldct_smoking_dx_fires_without_tobacco_code() -> None:
    """NCD 210.14 edit: 71271 with only Z12.2 denies (Z87.891 or F17.21x required)."""
    out = run(sc.ldct_smoking_dx, claim(ldct(dx=("Z122",))))
    assert [f.rule for f in out] == ["LDCT_SMOKING_DX"]
    assert out[0].severity is Severity.ERROR and out[0].amount_at_stake == Decimal("136.28")
    assert "Z87.891" in out[0].message


@pytest.mark.parametrize("code", ["Z87891", "F17210", "F17211", "F17213", "F17218", "F17219"])
def test_ldct_smoking_dx_not_fired_with_any_listed_code(code: str) -> None:
    """Each of the NCD's six tobacco codes satisfies the edit."""
    assert run(sc.ldct_smoking_dx, claim(ldct(dx=("Z122", code)))) == []


def test_ldct_smoking_dx_reads_claim_level_codes() -> None:
    """A tobacco code on the claim (HI) but not pointed to by the line still counts."""
    c = claim(ldct(dx=("Z122",)))
    c.diagnosis_codes = ("Z122", "F17210")
    assert run(sc.ldct_smoking_dx, c) == []


def test_ldct_smoking_dx_other_codes_do_not_count() -> None:
    """Z87.890 (history of other nicotine dependence) and F17.200 (unspecified product) are not in the edit."""
    assert len(run(sc.ldct_smoking_dx, claim(ldct(dx=("Z122", "Z87890", "F17200"))))) == 1


def test_ldct_smoking_dx_commercial_is_a_warning() -> None:
    """The diagnosis edit is Medicare's: a commercial payer gets a warning without dollars at stake."""
    out = run(sc.ldct_smoking_dx, claim(ldct(dx=("Z122",)), payer=Payer.COMMERCIAL))
    assert out[0].severity is Severity.WARNING and out[0].amount_at_stake is None


# --- LDCT_SYMPTOMATIC ----------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["R051", "R0602", "R042", "R911", "R0789"])
def test_ldct_symptomatic_fires_on_symptom_codes(code: str) -> None:
    """Cough, dyspnea, hemoptysis, nodule or chest pain on 71271 suggest a diagnostic 71250 (warning)."""
    out = run(sc.ldct_symptomatic, claim(ldct(dx=("Z122", "Z87891", code))))
    assert [f.rule for f in out] == ["LDCT_SYMPTOMATIC"]
    assert out[0].severity is Severity.WARNING
    assert "71250" in out[0].suggestion


@pytest.mark.parametrize("code", ["R0689", "J449", "Z87891"])
def test_ldct_symptomatic_not_fired_on_other_codes(code: str) -> None:
    """R06.89 is not dyspnea (R06.0x); COPD and smoking history are screening context, not symptoms."""
    assert run(sc.ldct_symptomatic, claim(ldct(dx=("Z122", code)))) == []


def test_ldct_symptomatic_not_fired_on_diagnostic_ct() -> None:
    """A 71250 with a cough code is exactly right; the rule is about 71271 only."""
    assert run(sc.ldct_symptomatic, claim(line(dx=("R051",)))) == []


# --- LDCT_FREQUENCY ------------------------------------------------------------------------------------

def test_ldct_frequency_fires_before_eleven_full_months_from_history() -> None:
    """Last screen 2025-03-15 (earlier upload): a screen on 2026-02-28 is too early; 2026-03-01 is payable."""
    history = InMemoryScreeningHistory()
    first = claim(ldct(dos=date(2025, 3, 15)), claim_id="A")
    assert run(sc.ldct_frequency, first, ctx(history)) == []
    early = run(sc.ldct_frequency, claim(ldct(dos=date(2026, 2, 28)), claim_id="B"), ctx(history))
    assert [f.rule for f in early] == ["LDCT_FREQUENCY"]
    assert "2026-03-01" in early[0].message and "already processed" in early[0].message
    assert early[0].amount_at_stake == Decimal("136.28")
    on_time = run(sc.ldct_frequency, claim(ldct(dos=date(2026, 3, 1)), claim_id="C"), ctx(history))
    assert on_time == []


def test_ldct_frequency_within_one_claim_without_history() -> None:
    """Without a history the claim's own lines are checked: a second 71271 eight months later fires on line 2."""
    c = claim(ldct(1, dos=date(2025, 6, 10)), ldct(2, dos=date(2026, 2, 10)))
    out = run(sc.ldct_frequency, c, ctx(None))
    assert [(f.rule, f.line) for f in out] == [("LDCT_FREQUENCY", 2)]
    assert "line 1 of this claim" in out[0].message


def test_ldct_frequency_not_fired_across_claims_without_history() -> None:
    """With no history, separate claims are not compared (the CLI and Lambda pass one)."""
    assert run(sc.ldct_frequency, claim(ldct(dos=date(2026, 2, 10))), ctx(None)) == []


def test_ldct_frequency_records_passing_screens_and_not_flagged_ones() -> None:
    """The rule records each screen that passed; a flagged screen does not restart the 11-month clock."""
    history = InMemoryScreeningHistory()
    run(sc.ldct_frequency, claim(ldct(dos=date(2025, 3, 15)), claim_id="A"), ctx(history))
    run(sc.ldct_frequency, claim(ldct(dos=date(2025, 9, 1)), claim_id="B"), ctx(history))  # flagged
    probe = claim(ldct(), claim_id="P")
    assert history.previous_screens(probe) == [date(2025, 3, 15)]
    # 2026-03-05 is eligible counting from March 2025 (the flagged September screen does not count).
    assert run(sc.ldct_frequency, claim(ldct(dos=date(2026, 3, 5)), claim_id="C"), ctx(history)) == []


def test_ldct_frequency_reprocessing_the_same_claim_is_not_a_repeat() -> None:
    """Only screens strictly before the date of service count: a retried upload never flags itself."""
    history = InMemoryScreeningHistory()
    c = claim(ldct(dos=date(2026, 1, 5)))
    assert run(sc.ldct_frequency, c, ctx(history)) == []
    assert run(sc.ldct_frequency, c, ctx(history)) == []


def test_ldct_frequency_other_beneficiary_is_independent() -> None:
    """Another member id has its own history."""
    history = InMemoryScreeningHistory()
    run(sc.ldct_frequency, claim(ldct(dos=date(2025, 6, 1)), member_id="1AA1AA1AA11"), ctx(history))
    assert run(sc.ldct_frequency, claim(ldct(dos=date(2026, 1, 5)), member_id="2BB2BB2BB22"), ctx(history)) == []


def test_ldct_frequency_ignores_voids() -> None:
    """A void (frequency code 8) cancels a screen: it is neither checked nor recorded."""
    history = InMemoryScreeningHistory()
    run(sc.ldct_frequency, claim(ldct(dos=date(2025, 6, 1)), frequency_code="8"), ctx(history))
    assert len(history) == 0


# --- privacy across this helper's rule families ----------------------------------------------------------

def test_no_patient_data_in_any_finding_text() -> None:
    """Names, member id and birth date never appear in messages or suggestions of the rules that fire here."""
    from ctscrub.rules import dates, diagnosis, documentation, providers

    born = date(1940, 7, 9)
    c = claim(ldct(1, dos=date(2024, 1, 5), dx=("R05",)), line(2, "71250", dx=("Z122",), ordering_npi="12"),
              birth_date=born, documented=frozenset({"order", "indication", "history"}))
    c.billing_npi = "99"
    history = InMemoryScreeningHistory()
    history.record_screen(c, date(2023, 6, 1))
    context = ctx(history)
    fns = [sc.ldct_age, sc.ldct_smoking_dx, sc.ldct_symptomatic, sc.ldct_frequency, diagnosis.dx_presence,
           diagnosis.dx_invalid, diagnosis.dx_not_supporting, diagnosis.screening_on_diagnostic,
           providers.ordering_provider_missing, providers.npi_invalid, documentation.doc_line_items,
           dates.dos_future, dates.timely_filing]
    out = [f for fn in fns for f in fn(c, context)]
    assert len({f.rule for f in out}) >= 8
    for f in out:
        text = f"{f.message} {f.suggestion}"
        for secret in ("TESTPATIENT", "ALEX", "1EG4TE5MK73", born.isoformat(), "1940"):
            assert secret not in text.upper(), (f.rule, secret)
