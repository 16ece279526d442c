"""Diagnosis rules on chest CT lines: DX_MISSING, DX_POINTER_INVALID, DX_INVALID, DX_NOT_SUPPORTING,
SCREENING_ON_DIAGNOSTIC_CODE."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from claimfactory import claim, line
from conftest import SHARED
from ctscrub.model import Finding, LinePrice, Severity
from ctscrub.refdata.policy import policy_for
from ctscrub.rules import RuleContext
from ctscrub.rules import diagnosis as dx
from fakes import FakeReferenceData

AS_OF = date(2026, 3, 20)


def ctx(price: str | None = "132.60", **kw: object) -> RuleContext:
    c = RuleContext(as_of=AS_OF, refdata=FakeReferenceData(**kw))  # type: ignore[arg-type]
    if price is not None:
        c.prices = {1: LinePrice("C1", 1, "71250", (), Decimal(price), "test")}
    return c


def run(fn, c, context: RuleContext | None = None) -> list[Finding]:  # type: ignore[no-untyped-def]
    return list(fn(c, context or ctx()))


# --- helpers -------------------------------------------------------------------------------------------

def test_dotted_puts_the_dot_after_the_category() -> None:
    assert dx.dotted("R911") == "R91.1"
    assert dx.dotted("Z87891") == "Z87.891"
    assert dx.dotted("R05") == "R05"


def test_fiscal_year_starts_october_first() -> None:
    """ICD-10-CM FY2026 covers 2025-10-01 .. 2026-09-30."""
    assert dx.fiscal_year(date(2025, 9, 30)) == 2025
    assert dx.fiscal_year(date(2025, 10, 1)) == 2026
    assert dx.fiscal_year(date(2026, 9, 30)) == 2026


# --- DX_MISSING / DX_POINTER_INVALID -------------------------------------------------------------------

def test_dx_missing_fires_on_chest_ct_line_without_codes() -> None:
    """Pub 100-04 ch. 26: every line needs a diagnosis; the error carries the line's expected allowed amount."""
    out = run(dx.dx_presence, claim(line(dx=())))
    assert [f.rule for f in out] == ["DX_MISSING"]
    assert out[0].severity is Severity.ERROR
    assert out[0].line == 1 and out[0].code == "71250"
    assert out[0].amount_at_stake == Decimal("132.60")


def test_dx_missing_not_fired_with_a_code_or_on_other_lines() -> None:
    """A line with a diagnosis passes; a non-chest-CT line gets no findings of its own."""
    assert run(dx.dx_presence, claim(line(dx=("R911",)))) == []
    assert run(dx.dx_presence, claim(line(code="99213", dx=()))) == []


def test_dx_pointer_invalid_fires_and_replaces_dx_missing() -> None:
    """837P SV107: a pointer past the HI codes is the error to fix, not a second DX_MISSING."""
    ln = line(dx=())
    ln.diagnosis_pointers_invalid = ("5",)
    c = claim(ln)
    c.diagnosis_codes = ("R911", "R0602")
    out = run(dx.dx_presence, c)
    assert [f.rule for f in out] == ["DX_POINTER_INVALID"]
    assert "pointer 5" in out[0].message and "2 diagnosis codes" in out[0].message
    assert out[0].amount_at_stake == Decimal("132.60")


def test_dx_pointer_invalid_not_fired_when_pointers_resolve() -> None:
    """No invalid pointers on the line: no DX_POINTER_INVALID."""
    assert [f.rule for f in run(dx.dx_presence, claim(line()))] == []


# --- DX_INVALID ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("code", "hint"),
    [("R05", "R05.1"), ("C349", "C34.91"), ("I712", "I71.21"), ("I7101", "I71.010")],
)
def test_dx_invalid_names_the_billable_replacement_for_mis_keyed_headers(code: str, hint: str) -> None:
    """Domain §7: R05, C34.9, I71.2 and I71.01 are header codes; the message says what to use."""
    out = run(dx.dx_invalid, claim(line(dx=(code,))))
    assert [f.rule for f in out] == ["DX_INVALID"]
    f = out[0]
    assert hint in f.message
    assert dx.dotted(code) in f.message
    assert "FY2026" in f.message
    assert f.dataset == "fake ICD-10-CM"
    assert f.amount_at_stake == Decimal("132.60")


def test_dx_invalid_generic_message_for_other_codes() -> None:
    """A code outside the code set without a hint still gets a plain replacement suggestion."""
    out = run(dx.dx_invalid, claim(line(dx=("R911", "XYZ12"))))
    assert len(out) == 1
    assert "XYZ.12" in out[0].message and "billable" in out[0].suggestion


def test_dx_invalid_not_fired_for_billable_codes() -> None:
    """R91.1 is billable in the fake FY2026 code set: no finding."""
    assert run(dx.dx_invalid, claim(line(dx=("R911", "Z87891")))) == []


def test_dx_invalid_silent_when_no_code_set_covers_the_date() -> None:
    """No code set for 2024 dates: nothing raised, and the reference data records a missing-data note."""
    refdata = FakeReferenceData()
    context = RuleContext(as_of=AS_OF, refdata=refdata)  # type: ignore[arg-type]
    out = run(dx.dx_invalid, claim(line(dx=("R05",), dos=date(2024, 5, 1))), context)
    assert out == []
    assert refdata.missing_notes()


def test_dx_invalid_only_on_chest_ct_lines() -> None:
    """A non-chest-CT line with an invalid code is read but not reported."""
    assert run(dx.dx_invalid, claim(line(code="99213", dx=("R05",)))) == []


# --- DX_NOT_SUPPORTING ---------------------------------------------------------------------------------

def test_dx_not_supporting_names_routine_exam_code() -> None:
    """Domain §7: Z00.00 (routine exam) does not support 71250; warning naming the exclusion."""
    out = run(dx.dx_not_supporting, claim(line(dx=("Z0000",))))
    assert [f.rule for f in out] == ["DX_NOT_SUPPORTING"]
    assert out[0].severity is Severity.WARNING
    assert "Z00.00" in out[0].message and "routine" in out[0].message
    assert out[0].amount_at_stake is None


def test_dx_not_supporting_fires_on_71275_with_unrelated_code() -> None:
    """LCD L33459: low back pain (M54.50) is not a chest CT indication, also for CTA 71275."""
    out = run(dx.dx_not_supporting, claim(line(code="71275", dx=("M5450",))))
    assert [f.rule for f in out] == ["DX_NOT_SUPPORTING"]


@pytest.mark.parametrize("code", ["R911", "J189", "C3411", "I2699", "R0781", "R051", "Z85118"])
def test_dx_not_supporting_not_fired_for_listed_indications(code: str) -> None:
    """Domain §7 typical supporting codes (nodule, pneumonia, lung cancer, PE, chest pain, cough, history)."""
    assert run(dx.dx_not_supporting, claim(line(dx=("Z0000", code)))) == []


def test_dx_not_supporting_names_screening_reason_on_cta() -> None:
    """Z12.2 alone on 71275 does not support a CTA: the warning explains screening belongs on 71271."""
    out = run(dx.dx_not_supporting, claim(line(code="71275", dx=("Z122",))))
    assert [f.rule for f in out] == ["DX_NOT_SUPPORTING"] and "71271" in out[0].message


def test_dx_not_supporting_leaves_z122_on_71250_to_the_screening_rule() -> None:
    """Z12.2 on 71250 is SCREENING_ON_DIAGNOSTIC_CODE's error; no second warning for the same code."""
    assert run(dx.dx_not_supporting, claim(line(dx=("Z122",)))) == []


def test_dx_not_supporting_skips_screening_and_empty_lines() -> None:
    """71271 is screening (its own rules); a line without codes is DX_MISSING's."""
    assert run(dx.dx_not_supporting, claim(line(code="71271", dx=("Z122", "Z87891")))) == []
    assert run(dx.dx_not_supporting, claim(line(dx=()))) == []


# --- SCREENING_ON_DIAGNOSTIC_CODE ----------------------------------------------------------------------

@pytest.mark.parametrize("code", ["71250", "71260", "71270"])
def test_screening_reason_on_diagnostic_code_fires(code: str) -> None:
    """NCD 210.14: Z12.2 on a diagnostic chest CT means the screening should be billed as 71271."""
    out = run(dx.screening_on_diagnostic, claim(line(code=code, dx=("Z122",))))
    assert [f.rule for f in out] == ["SCREENING_ON_DIAGNOSTIC_CODE"]
    assert "71271" in out[0].suggestion
    assert out[0].severity is Severity.ERROR


@pytest.mark.parametrize("code", ["71271", "71275"])
def test_screening_reason_not_fired_on_71271_or_cta(code: str) -> None:
    """Z12.2 belongs on 71271; 71275 is outside this rule (DX_NOT_SUPPORTING covers it)."""
    assert run(dx.screening_on_diagnostic, claim(line(code=code, dx=("Z122", "Z87891")))) == []


def test_screening_reason_not_fired_without_z122() -> None:
    """A diagnostic CT coded with a nodule is not a screening."""
    assert run(dx.screening_on_diagnostic, claim(line(dx=("R911",)))) == []


# --- the policy table against the FY2026 code set ------------------------------------------------------

ICD_FY2026 = SHARED / "refdata" / "cms" / "icd10cm_codes_2026.txt"


@pytest.mark.skipif(not ICD_FY2026.exists(), reason="CMS FY2026 code list not present")
def test_dx_support_table_matches_fy2026_code_set() -> None:
    """Hint codes are not billable in FY2026, the replacements they name are, and every supporting prefix
    matches at least one billable FY2026 code."""
    billable = set(ICD_FY2026.read_text().split())
    policy = policy_for("dx_support", date(2026, 3, 2))
    assert policy is not None
    for header, hint in policy["invalid_hints"].items():
        assert header not in billable
        suggested = [w.strip(",.():") for w in hint.split(": ", 1)[1].split()]
        codes = [w.replace(".", "") for w in suggested if w[:1].isalpha() and any(ch.isdigit() for ch in w)]
        assert codes and all(c in billable for c in codes), (header, codes)
    for entry in policy["supporting"]:
        assert any(c.startswith(entry["prefix"]) for c in billable), entry
    for code in policy["not_supporting"]:
        assert code in billable
