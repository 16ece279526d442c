"""Documentation checklist rules (domain §8): each runs only when the input carries its item."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from claimfactory import claim, line
from ctscrub.model import DOC_ITEMS, Finding, LinePrice, Severity
from ctscrub.rules import RuleContext
from ctscrub.rules.documentation import LINE_CHECKS, doc_beneficiary_name, doc_line_items
from fakes import FakeReferenceData

ALL = frozenset(DOC_ITEMS)
COMPLETE = {"order_signed": True, "indication": "persistent cough 8 weeks", "report_signed": True,
            "rendering_credentials": "Jane Roe, MD", "history": "prior CXR 2026-01 with opacity"}


def ctx() -> RuleContext:
    c = RuleContext(as_of=date(2026, 3, 20), refdata=FakeReferenceData())  # type: ignore[arg-type]
    c.prices = {1: LinePrice("C1", 1, "71250", (), Decimal("132.60"), "test")}
    return c


def rules_of(out: list[Finding]) -> list[str]:
    return sorted(f.rule for f in out)


def test_every_checklist_item_has_a_check() -> None:
    """Each DOC_ITEMS key except contrast (CONTRAST_MISMATCH's) and the name (claim level) has a line check."""
    assert {c.item for c in LINE_CHECKS} == set(DOC_ITEMS) - {"contrast", "beneficiary_name"}


def test_complete_record_raises_nothing() -> None:
    """All items carried and present: no documentation finding."""
    c = claim(line(**COMPLETE), documented=ALL)
    assert list(doc_line_items(c, ctx())) == [] and list(doc_beneficiary_name(c, ctx())) == []


def test_items_not_carried_are_not_checked() -> None:
    """A file without documentation columns says nothing about the record: no DOC_* findings."""
    c = claim(line(), documented=frozenset())
    c.patient_last_name = None
    assert list(doc_line_items(c, ctx())) == [] and list(doc_beneficiary_name(c, ctx())) == []


@pytest.mark.parametrize(
    ("item", "field", "value", "rule_id"),
    [("order", "order_signed", False, "DOC_ORDER"), ("order", "order_signed", None, "DOC_ORDER"),
     ("indication", "indication", "  ", "DOC_INDICATION"), ("indication", "indication", None, "DOC_INDICATION"),
     ("report", "report_signed", False, "DOC_REPORT"), ("signature", "rendering_credentials", "", "DOC_SIGNATURE"),
     ("history", "history", None, "DOC_HISTORY")],
)
def test_missing_item_fires_only_its_rule(item: str, field: str, value: object, rule_id: str) -> None:
    """The carried item missing, blank or "no" fires its rule; the other items (present) stay silent."""
    doc = {**COMPLETE, field: value}
    out = list(doc_line_items(claim(line(**doc), documented=ALL), ctx()))
    assert rules_of(out) == [rule_id]
    # the same gap is not reported when the input does not carry that item
    carried = frozenset(ALL - {item})
    assert list(doc_line_items(claim(line(**doc), documented=carried), ctx())) == []


def test_errors_carry_dollars_and_warnings_do_not() -> None:
    """DOC_ORDER (42 CFR 410.32(a)) is an error with the line's amount; DOC_INDICATION is a warning."""
    out = {f.rule: f for f in doc_line_items(claim(line(**{**COMPLETE, "order_signed": False, "indication": ""}),
                                                   documented=ALL), ctx())}
    assert out["DOC_ORDER"].severity is Severity.ERROR and out["DOC_ORDER"].amount_at_stake == Decimal("132.60")
    assert out["DOC_INDICATION"].severity is Severity.WARNING and out["DOC_INDICATION"].amount_at_stake is None


def test_report_required_for_global_and_26_not_tc() -> None:
    """Pub 100-04 ch. 13 §100: the interpretation (global or -26) needs a signed report; TC alone does not."""
    doc = {**COMPLETE, "report_signed": False}
    assert rules_of(list(doc_line_items(claim(line(1, "71250", "26", **doc), documented=ALL), ctx()))) == [
        "DOC_REPORT"]
    assert list(doc_line_items(claim(line(1, "71250", "TC", **doc), documented=ALL), ctx())) == []


def test_service_date_missing_fires() -> None:
    """Date of service carried but empty: DOC_SERVICE_DATE."""
    ln = line(**COMPLETE)
    ln.service_date = None
    assert rules_of(list(doc_line_items(claim(ln, documented=ALL), ctx()))) == ["DOC_SERVICE_DATE"]


def test_only_chest_ct_lines_are_checked() -> None:
    """An office visit without an order is not a chest CT line."""
    c = claim(line(**COMPLETE), line(2, "99213", order_signed=False), documented=ALL)
    assert list(doc_line_items(c, ctx())) == []


def test_beneficiary_name_missing_fires_once_per_claim() -> None:
    """No patient last name: one claim-level DOC_BENEFICIARY_NAME; the name itself is never shown."""
    c = claim(line(**COMPLETE), line(2, "71260", **COMPLETE), documented=ALL)
    c.patient_last_name = "  "
    out = list(doc_beneficiary_name(c, ctx()))
    assert [(f.rule, f.line) for f in out] == [("DOC_BENEFICIARY_NAME", None)]
    assert out[0].amount_at_stake == Decimal("132.60")
    assert "ALEX" not in out[0].message


def test_beneficiary_name_present_or_not_carried_is_silent() -> None:
    """A name present passes; without the name item carried the rule does not run."""
    assert list(doc_beneficiary_name(claim(line(), documented=ALL), ctx())) == []
    c = claim(line(), documented=ALL - {"beneficiary_name"})
    c.patient_last_name = None
    assert list(doc_beneficiary_name(c, ctx())) == []


def test_documentation_text_is_never_echoed() -> None:
    """Indication and history text can hold clinical details: findings name what is missing only."""
    out = list(doc_line_items(claim(line(**{**COMPLETE, "order_signed": False}), documented=ALL), ctx()))
    assert out and all("cough" not in f.message and "opacity" not in f.message for f in out)
