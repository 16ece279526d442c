"""The hot-path mechanisms change speed, never findings: rule gates, per-claim facts, reference-data memos.

Rule gates (``@rule(..., when=...)``) let the pipeline skip a rule on a claim; that is only correct if the
rule can raise nothing on every claim whose gate is false. ``ClaimFacts`` caches same-day peers for the
claim being checked; a rule called on its own must still see the index as it is now.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from claimfactory import GOOD_NPI, OTHER_NPI, claim, line
from ctscrub.model import CHEST_CT_CODES, Claim, Documentation, Payer, ServiceLine
from ctscrub.payment import price_claim
from ctscrub.pipeline import CollectingSink, ScrubOptions, scrub
from ctscrub.refdata import ENV_DIR, load_reference_data
from ctscrub.refdata.importers import import_file
from ctscrub.refdata.types import MueLimit
from ctscrub.rules import all_rules, registry
from ctscrub.rules.coding import duplicate_line, units_exceed_mue
from ctscrub.rules.facts import ClaimFacts, Trigger, claim_facts
from ctscrub.rules.registry import RuleContext, RulePlan, SeenLine, gate_of
from ctscrub.screening_history import InMemoryScreeningHistory
from refdata_fixtures import PTP_HEADER, PTP_ROWS, write

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 30)
CODES = ["71250", "71260", "71270", "71271", "71275", "G0297", "99213", "71046"]
MODIFIERS = ["26", "TC", "59", "XS", "76", "77", "52", "CT", "GZ", "GY", "QW", "2", "AI"]
DX = ["R911", "Z122", "Z87891", "F17210", "R0781", "I10", "Z0000", "R05", "C3411"]
DOC_ITEMS = ["beneficiary_name", "service_date", "order", "indication", "report", "signature", "history",
             "contrast"]


NPIS = [GOOD_NPI, GOOD_NPI, OTHER_NPI, "1234567890", "12345", "", None]
DATES = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 4, 2), date(2025, 11, 2), date(2025, 12, 20),
         date(2027, 1, 5), date(2025, 9, 30)]


def random_claim(rnd: random.Random, n: int) -> Claim:
    """A claim mixing chest CT and other codes, modifiers, diagnoses, documentation, providers, dates of
    service around the filing limit and in the future, charges, payers, localities and claim-level fields."""
    lines: list[ServiceLine] = []
    for i in range(rnd.randint(1, 4)):
        ln = line(i + 1, rnd.choice(CODES), *rnd.sample(MODIFIERS, rnd.choice([0, 0, 1, 2])),
                  dos=rnd.choice(DATES), units=rnd.choice([1, 1, 2]),
                  dx=tuple(rnd.sample(DX, rnd.randint(0, 2))), pos=rnd.choice(["11", "22", "19", None, "99", "1"]),
                  charge=rnd.choice(["400.00", "10.00", "0", None]), ordering_npi=rnd.choice(NPIS))
        ln.rendering_npi = rnd.choice(NPIS)
        if rnd.random() < 0.1:
            ln.service_date_end = ln.service_date + timedelta(days=rnd.choice([0, 400]))  # type: ignore[operator]
        if rnd.random() < 0.1:
            ln.service_date = None
        if rnd.random() < 0.1:
            ln.diagnosis_pointers_invalid = ("5",)
        if rnd.random() < 0.3:
            ln.documentation = Documentation(contrast=rnd.choice(["iv", "none", "oral", " IV "]),
                                             order_signed=rnd.choice([True, False, None]))
        lines.append(ln)
    extra: dict[str, Any] = {}
    if rnd.random() < 0.3:
        extra["total_charge"] = Decimal(rnd.choice(["400.00", "800.00", "1.00"]))
    if rnd.random() < 0.3:
        extra["frequency_code"] = rnd.choice(["1", "7", "8"])
        extra["has_original_reference"] = rnd.random() < 0.5
    documented = frozenset(rnd.sample(DOC_ITEMS, rnd.choice([0, 0, 2, 8])))
    c = claim(*lines, claim_id=f"C{n}", member_id=f"M{rnd.randint(1, 5)}",
              birth_date=date(rnd.choice([1940, 1960, 1990]), 5, 1), documented=documented,
              payer=rnd.choice([Payer.MEDICARE, Payer.MEDICARE, Payer.COMMERCIAL]),
              locality=rnd.choice([None, "13202-01", "99999-99"]), **extra)
    c.billing_npi = rnd.choice(NPIS)
    c.ordering_npi = rnd.choice([None, None, GOOD_NPI, "1234567890"])
    if rnd.random() < 0.2:
        c.patient_last_name = None
    return c


def _remember(c: Claim, ctx: RuleContext) -> None:
    for ln in c.lines:
        if ln.service_date is not None:
            ctx.patient_day_lines.setdefault((c.identity_hash(), ln.service_date), []).append(
                SeenLine(c.claim_id, ln.number, ln.procedure_code, ln.modifiers, ln.units))


def test_a_gated_rule_raises_nothing_and_records_nothing_on_claims_that_fail_its_gate() -> None:
    """For every gated rule: gate false -> no finding and no screening recorded; gate true -> it does fire."""
    rules = all_rules()
    gated = [fn for fn in rules if gate_of(fn) is not None]
    assert len(gated) >= 10
    rnd = random.Random(2026)
    ctx = RuleContext(as_of=AS_OF, refdata=load_reference_data(), screening_history=InMemoryScreeningHistory())
    fired: set[str] = set()
    skipped: set[str] = set()
    for n in range(3000):
        c = random_claim(rnd, n)
        facts = ClaimFacts(c, ctx)
        ctx.prices = {p.line: p for p in price_claim(c, ctx.refdata)}
        for fn in gated:
            gate = gate_of(fn)
            assert gate is not None
            history = ctx.screening_history
            before = len(history) if isinstance(history, InMemoryScreeningHistory) else 0
            found = list(fn(c, ctx))
            if facts.triggers & gate:
                if found:
                    fired.add(fn.__name__)
                continue
            skipped.add(fn.__name__)
            assert found == [], (fn.__name__, [f.rule for f in found])
            assert isinstance(history, InMemoryScreeningHistory) and len(history) == before, fn.__name__
        _remember(c, ctx)
    names = {fn.__name__ for fn in gated}
    assert skipped == names  # every gate was false on some claim
    assert fired == names  # and every gated rule fired on some claim whose gate was true


def test_the_plan_keeps_rule_order_and_drops_only_rules_whose_gate_is_false() -> None:
    rules = all_rules()
    plan = RulePlan(rules)
    ctx = RuleContext(as_of=AS_OF, refdata=load_reference_data())
    plain = ClaimFacts(claim(line(1, "71250")), ctx)
    chosen = plan.for_claim(plain)
    assert chosen == [fn for fn in rules if gate_of(fn) is None or plain.triggers & gate_of(fn)]  # type: ignore[operator]
    assert chosen == []  # a clean claim meets no trigger: no rule runs
    pair = ClaimFacts(claim(line(1, "71250"), line(2, "71260", "77")), ctx)
    names = {fn.__name__ for fn in plan.for_claim(pair)}
    assert {"contrast_combined", "repeat_without_original"} <= names
    assert not names & {"ldct_age", "duplicate_line", "ptp_bundled"}
    bundled = ClaimFacts(claim(line(1, "71275"), line(2, "71250")), ctx)
    assert "ptp_bundled" in {fn.__name__ for fn in plan.for_claim(bundled)}
    screening = ClaimFacts(claim(line(1, "71271", "QQ")), ctx)
    names = {fn.__name__ for fn in plan.for_claim(screening)}
    assert {"ldct_frequency", "modifier_invalid"} <= names and "ldct_age" not in names  # 70 years old: in range


def _findings(path: Path, as_of: date) -> list[dict[str, object]]:
    sink = CollectingSink()
    options = ScrubOptions(as_of=as_of, refdata=load_reference_data(), screening_history=InMemoryScreeningHistory())
    with path.open("rb") as fh:
        scrub(fh, options, [sink], upload_id="t", source_name=path.name)
    prices = [p.to_dict() for r in sink.results for p in r.prices]
    return [f.to_dict() for f in sink.all_findings()] + prices  # type: ignore[operator]


SAMPLE_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "samples").rglob("*")
                      if p.suffix in (".csv", ".json", ".jsonl", ".txt") and p.name != "README.md")


@pytest.mark.parametrize("relpath", SAMPLE_FILES)
def test_skipping_gated_rules_gives_the_same_findings_and_prices_as_running_every_rule(
        relpath: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = ROOT / relpath
    with_gates = _findings(path, AS_OF)
    monkeypatch.setattr(registry, "_GATES", {})
    assert _findings(path, AS_OF) == with_gates


def test_a_rule_called_on_its_own_sees_the_index_as_it_is_now() -> None:
    """Peers are cached only while the pipeline checks the claim, so later index changes are seen."""
    c = claim(line(1, "71250"), claim_id="LATER")
    ctx = RuleContext(as_of=AS_OF, refdata=load_reference_data())
    assert list(duplicate_line(c, ctx)) == []
    _remember(claim(line(1, "71250"), claim_id="EARLIER"), ctx)
    [f] = list(duplicate_line(c, ctx))
    assert f.rule == "DUPLICATE_LINE" and "claim EARLIER" in f.message
    assert claim_facts(c, ctx) is not claim_facts(c, ctx)  # no facts on ctx: fresh each call
    facts = ctx.facts = ClaimFacts(c, ctx)
    assert claim_facts(c, ctx) is facts and claim_facts(claim(), ctx) is not facts


def test_a_pair_edit_deleted_inside_a_cms_quarter_is_screened_by_its_own_dates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CMS PTP rows carry their own effective and deletion dates inside a quarterly set: two dates of one
    quarter can differ on an edit, so screen answers must not be shared between them."""
    out = tmp_path / "refdata"
    import_file("ncci-ptp", write(tmp_path, "ccipra-v323r0-f1.txt", PTP_HEADER + PTP_ROWS), out,
                effective_from=date(2026, 7, 1), effective_to=date(2026, 12, 31), version="test")
    monkeypatch.setenv(ENV_DIR, str(out))
    csv = tmp_path / "claims.csv"
    csv.write_text("claim_id,member_id,service_date,procedure_code,diagnosis_codes,ordering_npi\n"
                   f"AFTER,M1,2026-08-20,71270,R911,{GOOD_NPI}\nAFTER,M1,2026-08-20,71250,R911,{GOOD_NPI}\n"
                   f"ON,M2,2026-08-14,71270,R911,{GOOD_NPI}\nON,M2,2026-08-14,71250,R911,{GOOD_NPI}\n")
    # 71270/71250 is deleted after 2026-08-14: the first claim has no edit, the second one has it
    bundled = [f for f in _findings(csv, AS_OF) if f.get("rule") == "PTP_BUNDLED"]
    assert [(f["claim_id"], f["code"]) for f in bundled] == [("ON", "71250")]


def test_memoized_reference_answers_equal_the_table_lookups() -> None:
    rd = load_reference_data().for_upload()
    for code in ("71250", "71260", "71270", "71271", "71275", "99213"):
        for dos in (date(2019, 5, 1), date(2025, 3, 2), date(2026, 3, 2)):
            assert rd.mue(code, dos) == rd._mue(code, dos)
            assert rd.mue(code, dos) is rd.mue(code, dos)
            for other in ("71250", "71271", "71275"):
                assert rd.ptp_edit(other, code, dos) == rd._ptp_edit(other, code, dos)
    for dx in ("R911", "R91", "Z122", "XXXX"):
        assert rd.icd10_billable(dx, date(2026, 3, 2)) == rd._icd10_billable(dx, date(2026, 3, 2))


def test_a_missing_code_set_is_still_noted_when_its_answer_comes_from_the_memo() -> None:
    rd = load_reference_data().for_upload()
    old = date(2001, 3, 2)  # no ICD-10-CM code set covers it
    assert rd.icd10_billable("R911", old) is None
    assert rd.icd10_billable("R911", old) is None
    assert any("FY2001" in n for n in rd.missing_notes())
    fresh = load_reference_data().for_upload()
    assert fresh.missing_notes() == set()


def test_line_prices_do_not_depend_on_what_the_upload_priced_before() -> None:
    """Settings are shared between dates of a year; each claim's prices equal those of a fresh upload."""
    rnd = random.Random(7)
    warm = load_reference_data().for_upload()
    for n in range(300):
        c = random_claim(rnd, n)
        c.locality = rnd.choice([None, "13202-01", "05302-99", "99999-99"])
        for ln in c.lines:
            ln.service_date = date(rnd.choice([2025, 2026]), rnd.randint(1, 12), rnd.randint(1, 28))
        expected = [p.to_dict() for p in price_claim(c, load_reference_data().for_upload())]
        assert [p.to_dict() for p in price_claim(c, warm)] == expected


def test_the_screen_memo_stays_bounded_and_answers_the_same_when_it_is_emptied(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile file of ever-new line kinds and same-day combinations cannot grow the per-upload memo,
    and emptying it mid-upload (date classes included) never changes a claim's triggers."""
    rnd = random.Random(7)
    claims = [random_claim(rnd, n) for n in range(600)]

    def triggers(limit: int) -> tuple[list[int], int]:
        monkeypatch.setattr(registry, "_MEMO_LIMIT", limit)  # the bound of every memo stored in ctx.memo
        ctx = RuleContext(as_of=AS_OF, refdata=load_reference_data())
        out, largest = [], 0
        for c in claims:
            out.append(ClaimFacts(c, ctx).triggers)
            largest = max(largest, len(ctx.memo))
            _remember(c, ctx)
        return out, largest

    unbounded, _ = triggers(1 << 30)
    bounded, largest = triggers(25)
    assert largest <= 25
    assert bounded == unbounded


@pytest.mark.parametrize("adjudication", [2, 3])
def test_the_units_trigger_sums_a_codes_units_that_day_under_a_per_day_limit(adjudication: int) -> None:
    """Under a per-day MUE (MAI 2 or 3) UNITS_EXCEED_MUE adds the units of a code across the patient's lines
    that date. The screen sums them the same way: it triggers the rule on every claim where it fires, and on
    no claim that merely bills a code twice within the limit (where it used to run the rule for nothing)."""
    per_day = MueLimit(code="any", units=2, adjudication=adjudication, rationale="test", dataset="test MUE")

    class PerDayLimits:
        """The bundled reference data with a per-day MUE on every chest CT code (a wrapper, not a patched
        instance: a compiled build's ReferenceData takes no new attributes)."""

        def __init__(self) -> None:
            self._rd = load_reference_data()

        def __getattr__(self, name: str) -> object:
            return getattr(self._rd, name)

        def mue(self, code: str, dos: object) -> MueLimit | None:
            return per_day if code in CHEST_CT_CODES else None

    ctx = RuleContext(as_of=AS_OF, refdata=PerDayLimits())
    rnd = random.Random(adjudication)
    fired = twice_within_limit = 0
    for n in range(2000):
        c = random_claim(rnd, n)
        facts = ClaimFacts(c, ctx)
        found = list(units_exceed_mue(c, ctx))
        triggered = bool(facts.triggers & Trigger.UNITS)
        assert triggered == bool(found), (n, [(ln.procedure_code, ln.units, ln.service_date) for ln in c.lines])
        fired += bool(found)
        twice_within_limit += not found and bool(facts.triggers & Trigger.SAME_CODE_TWICE)
        _remember(c, ctx)
    assert fired > 50 and twice_within_limit > 50  # both sides were exercised
