"""The in-memory screening history: same beneficiary across claims and uploads, no member id in clear."""

from __future__ import annotations

from datetime import date

from claimfactory import claim, line
from ctscrub.rules import RuleContext
from ctscrub.rules.registry import ScreeningHistory
from ctscrub.rules.screening import ldct_frequency
from ctscrub.screening_history import InMemoryScreeningHistory, beneficiary_key
from fakes import FakeReferenceData


def test_same_member_id_shares_history_across_claims() -> None:
    """The member id identifies the beneficiary even when the name is spelled differently."""
    h = InMemoryScreeningHistory()
    first = claim(claim_id="A")
    second = claim(claim_id="B")
    second.patient_last_name = "TESTPATIENTT"
    h.record_screen(first, date(2025, 4, 1))
    h.record_screen(first, date(2025, 4, 1))
    h.record_screen(first, date(2024, 3, 1))
    assert h.previous_screens(second) == [date(2024, 3, 1), date(2025, 4, 1)]


def test_other_member_id_has_no_history() -> None:
    """A different beneficiary sees nothing."""
    h = InMemoryScreeningHistory()
    h.record_screen(claim(member_id="1AA1AA1AA11"), date(2025, 4, 1))
    assert h.previous_screens(claim(member_id="2BB2BB2BB22")) == []


def test_without_member_id_falls_back_to_patient_identity() -> None:
    """No member id: name and birth date (Claim.patient_key) identify the patient."""
    h = InMemoryScreeningHistory()
    h.record_screen(claim(member_id=None, claim_id="A"), date(2025, 4, 1))
    assert h.previous_screens(claim(member_id=None, claim_id="B")) == [date(2025, 4, 1)]
    assert h.previous_screens(claim(member_id=None, birth_date=date(1950, 1, 1))) == []


def test_keys_and_repr_hold_no_member_id() -> None:
    """Keys are keyed hashes (different per instance); the repr shows only a count."""
    c = claim()
    h = InMemoryScreeningHistory()
    h.record_screen(c, date(2025, 4, 1))
    key = beneficiary_key(c, b"k1")
    assert "1EG4TE5MK73" not in key and key != beneficiary_key(c, b"k2")
    assert "1EG4TE5MK73" not in repr(h) and "TESTPATIENT" not in repr(h) and "2025" not in repr(h)


def test_two_uploads_second_screen_flagged() -> None:
    """A 71271 in a first upload is seen by LDCT_FREQUENCY in a second one through the shared history."""
    h: ScreeningHistory = InMemoryScreeningHistory()
    refdata = FakeReferenceData()
    upload1 = RuleContext(as_of=date(2025, 7, 1), refdata=refdata, screening_history=h)  # type: ignore[arg-type]
    upload2 = RuleContext(as_of=date(2026, 3, 1), refdata=refdata, screening_history=h)  # type: ignore[arg-type]
    screen = ("Z122", "Z87891")
    assert list(ldct_frequency(claim(line(code="71271", dos=date(2025, 6, 20), dx=screen), claim_id="U1"),
                               upload1)) == []
    out = list(ldct_frequency(claim(line(code="71271", dos=date(2026, 2, 27), dx=screen), claim_id="U2"), upload2))
    assert [f.rule for f in out] == ["LDCT_FREQUENCY"] and "2025-06-20" in out[0].message
