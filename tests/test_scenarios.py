"""The scenario suite: small claim files, each with the rule ids it must and must not raise.

``tests/scenarios/SCENARIOS.json`` lists every scenario: its file, the processing date (``as_of``), an
optional default locality, a one-line description of the billing situation and the fact it encodes,
``must`` and ``must_not`` rule ids, and optionally ``severities`` (rule id -> severity that rule's findings
must carry in this scenario). A scenario marked ``"xfail": "reason"`` documents a known discrepancy between
an implemented rule and its specification. The whole upload is checked, file-level findings included.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ctscrub.model import Finding
from ctscrub.pipeline import CollectingSink, ScrubOptions, scrub
from ctscrub.refdata import load_reference_data
from ctscrub.rules.catalog import RULES
from ctscrub.screening_history import InMemoryScreeningHistory

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
SCENARIOS: list[dict[str, Any]] = json.loads((SCENARIO_DIR / "SCENARIOS.json").read_text(encoding="utf-8"))[
    "scenarios"
]
_KEYS = {"name", "file", "as_of", "locality", "description", "must", "must_not", "severities", "xfail"}


def _params() -> list[Any]:
    params = []
    for s in SCENARIOS:
        marks = [pytest.mark.xfail(reason=s["xfail"], strict=True)] if s.get("xfail") else []
        params.append(pytest.param(s, id=s["name"], marks=marks))
    return params


def run_scenario(s: dict[str, Any]) -> list[Finding]:
    """Scrub the scenario's file as one upload and return every finding (rejection, file, claim level)."""
    sink = CollectingSink()
    options = ScrubOptions(as_of=date.fromisoformat(s["as_of"]), refdata=load_reference_data(),
                           default_locality=s.get("locality"), screening_history=InMemoryScreeningHistory())
    with open(SCENARIO_DIR / s["file"], "rb") as fh:
        scrub(fh, options, [sink], upload_id=f"scenario-{s['name']}", source_name=s["file"])
    return sink.all_findings()


_PATIENT_KEYS = ("member_id", "patient_last_name", "patient_first_name", "birth_date")


def patient_values(path: Path) -> set[str]:
    """The patient identifiers written in a scenario file (names, member ids, birth dates), for leak checks."""
    text = path.read_text(encoding="utf-8", errors="replace")
    values: set[str] = set()
    if path.suffix == ".csv":
        try:
            for row in csv.DictReader(io.StringIO(text)):
                values.update(str(row.get(k) or "") for k in _PATIENT_KEYS)
        except csv.Error:
            pass
    elif path.suffix == ".json":
        keys = "|".join(_PATIENT_KEYS)
        values.update(re.findall(rf'"(?:{keys})": "([^"]*)"', text))
    else:  # X12: subscriber/patient names and member id (NM1*IL / NM1*QC), birth date (DMG*D8)
        for m in re.finditer(r"NM1\*(?:IL|QC)\*1\*([^*~]*)\*([^*~]*)(?:\*[^*~]*){3}(?:\*MI\*([^*~]*))?", text):
            values.update(v for v in m.groups() if v)
        values.update(re.findall(r"DMG\*D8\*(\d{8})", text))
    return {v.strip() for v in values if len(v.strip()) >= 4}


@pytest.mark.parametrize("scenario", _params())
def test_scenario(scenario: dict[str, Any]) -> None:
    """Each scenario raises every rule in ``must`` and none in ``must_not`` (with the stated severities),
    and no finding's message or suggestion carries a patient name, member id or birth date from the file."""
    findings = run_scenario(scenario)
    private = patient_values(SCENARIO_DIR / scenario["file"])
    for f in findings:
        leaked = [v for v in private if v in f.message or v in f.suggestion]
        assert not leaked, f"{scenario['name']}: {f.rule} repeats patient data"
    raised = {f.rule for f in findings}
    missing = [r for r in scenario["must"] if r not in raised]
    unexpected = [r for r in scenario["must_not"] if r in raised]
    assert not missing and not unexpected, (
        f"{scenario['name']}: {scenario['description']}\n  missing: {missing}\n  unexpected: {unexpected}\n"
        f"  raised: {sorted(raised)}"
    )
    for rule_id, severity in scenario.get("severities", {}).items():
        got = {f.severity.value for f in findings if f.rule == rule_id}
        assert got == {severity}, f"{scenario['name']}: {rule_id} raised as {sorted(got)}, expected {severity}"


def test_scenario_file_is_well_formed() -> None:
    """Scenario names are unique, files exist, rule ids are in the catalog and no rule is both must and must_not."""
    names = [s["name"] for s in SCENARIOS]
    assert len(names) == len(set(names))
    for s in SCENARIOS:
        assert set(s) <= _KEYS, f"{s['name']}: unknown keys {set(s) - _KEYS}"
        assert (SCENARIO_DIR / s["file"]).is_file(), s["file"]
        assert s["description"].strip(), s["name"]
        date.fromisoformat(s["as_of"])
        ids = [*s["must"], *s["must_not"], *s.get("severities", {})]
        assert set(ids) <= set(RULES), f"{s['name']}: unknown rule ids {set(ids) - set(RULES)}"
        assert not set(s["must"]) & set(s["must_not"]), s["name"]
        assert set(s.get("severities", {})) <= set(s["must"]), s["name"]


def test_every_file_in_the_directory_is_a_scenario() -> None:
    """No orphan scenario files: every claim file in tests/scenarios is run by some scenario."""
    files = {p.name for p in SCENARIO_DIR.iterdir() if p.is_file() and p.name != "SCENARIOS.json"}
    assert files == {s["file"] for s in SCENARIOS}


def test_suite_size_and_coverage() -> None:
    """At least 60 scenarios, and every catalog rule id is required by one scenario and excluded by another.

    Scenarios marked xfail do not count: coverage must come from scenarios that pass.
    """
    live = [s for s in SCENARIOS if not s.get("xfail")]
    assert len(SCENARIOS) >= 60
    must = {r for s in live for r in s["must"]}
    must_not = {r for s in live for r in s["must_not"]}
    assert sorted(set(RULES) - must) == []
    assert sorted(set(RULES) - must_not) == []


# --- the repo's sample files (samples/README.md) ------------------------------------------------------------

SAMPLES = SCENARIO_DIR.parent.parent / "samples"
SAMPLE_AS_OF = "2026-11-30"  # "late 2026": every sample date of service is inside FY2026 or named for its rule
# Rules only an X12 837P can carry (claim totals, frequency codes, pointers, envelopes) or that reject a file.
NOT_IN_CSV_OR_JSON = {"CHARGE_TOTAL_MISMATCH", "CLAIM_FREQUENCY_REF_MISSING", "DX_POINTER_INVALID", "X12_ENVELOPE",
                      "X12_CLAIM_MALFORMED", "FILE_UNSUPPORTED_FORMAT", "FILE_MALFORMED"}


def _scrub_sample(relpath: str) -> CollectingSink:
    sink = CollectingSink()
    options = ScrubOptions(as_of=date.fromisoformat(SAMPLE_AS_OF), refdata=load_reference_data(),
                           screening_history=InMemoryScreeningHistory())
    with open(SAMPLES / relpath, "rb") as fh:
        scrub(fh, options, [sink], upload_id="sample", source_name=relpath)
    return sink


@pytest.mark.parametrize("relpath", ["csv/all_rules.csv", "json/all_rules.json"])
def test_all_rules_sample_raises_every_rule_a_csv_or_json_file_can_carry(relpath: str) -> None:
    """Claim AR-NN-<RULE> raises exactly <RULE> (AR-01-CLEAN nothing); together they raise every such rule."""
    sink = _scrub_sample(relpath)
    assert sink.summary is not None and sink.summary.status == "processed"
    for result in sink.results:
        rule_id = result.claim_id.split("-", 2)[2].replace("-", "_")
        expected = set() if rule_id in ("CLEAN", "REFDATA_MISSING") else {rule_id}
        assert {f.rule for f in result.findings} == expected, result.claim_id
    assert [f.rule for f in sink.summary.file_findings] == ["REFDATA_MISSING"]
    assert {f.rule for f in sink.all_findings()} == set(RULES) - NOT_IN_CSV_OR_JSON


def test_demo_sample_is_a_realistic_day() -> None:
    """The README's demo file: 8-12 claims with errors, warnings and info, at least two clean claims, and no
    finding caused only by its dates (inside FY2026 and within timely filing as of late 2026)."""
    sink = _scrub_sample("csv/chest_ct_demo.csv")
    assert sink.summary is not None and sink.summary.status == "processed"
    assert 8 <= len(sink.results) <= 12
    severities = {f.severity.value for f in sink.all_findings()}
    assert severities == {"error", "warning", "info"}
    assert sum(1 for r in sink.results if not r.findings) >= 2
    assert len({f.rule for f in sink.all_findings()}) >= 10
    date_or_reader_rules = {"TIMELY_FILING", "DOS_FUTURE", "REFDATA_MISSING", "ROW_MALFORMED"}
    assert not date_or_reader_rules & {f.rule for f in sink.all_findings()}
