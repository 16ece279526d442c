"""`ctscrub local`: the embedded stack from template.yaml, the real handler, what landed where."""

from __future__ import annotations

import os
import socket
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ctscrub.local import format_local, run_local

CSV = (
    "claim_id,line,member_id,patient_last_name,patient_first_name,birth_date,service_date,place_of_service,"
    "procedure_code,modifiers,units,charge,diagnosis_codes,ordering_npi,rendering_npi,billing_npi\n"
    "L1,1,1EG4TE5MK73,ZZLOCALCANARY,ALEX,1952-02-03,2026-09-02,11,G0297,,1,300.00,Z87.891,"
    "1234567893,1234567893,1234567893\n"
    "L2,1,1EG4TE5MK74,ZZLOCALCANARY,ALEX,1952-02-03,2026-09-02,22,71250,26,1,100.00,R91.1,"
    "1234567893,1234567893,1234567893\n"
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a real socket fails the test: the local run must stay in process."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_local_run_reports_items_and_alerts(tmp_path: Path, no_network: None) -> None:
    claims = tmp_path / "claims file.csv"
    claims.write_text(CSV)
    before = dict(os.environ)
    result = run_local(claims, as_of=date(2026, 11, 1))
    assert dict(os.environ) == before  # fake credentials and stack settings do not leak out
    (up,) = result["uploads"]
    (record,) = up["upload"]
    assert record["status"] == "COMPLETED" and record["claims"] == 2
    assert record["source_key"] == "incoming/claims file.csv"
    assert any(f["rule"] == "CODE_DELETED" and f["claim_id"] == "L1" for f in up["findings"])
    assert {p["claim_id"] for p in up["prices"]} == {"L2"}
    events = [a["body"]["event_type"] for a in result["alerts"]]
    assert events.count("claim.findings") == record["claims_with_errors"] >= 1
    assert events[-1] == "upload.completed"
    text = format_local(result)
    assert "COMPLETED" in text and "CODE_DELETED" in text and "upload.completed" in text
    assert "ZZLOCALCANARY" not in text and "1952-02-03" not in text


def test_local_run_of_an_unreadable_file_shows_the_rejection(tmp_path: Path) -> None:
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    result = run_local(bad)
    (record,) = result["uploads"][0]["upload"]
    assert record["status"] == "REJECTED" and result["uploads"][0]["findings"] == []
    assert [a["body"]["event_type"] for a in result["alerts"]] == ["upload.rejected"]
    assert "rejected:" in format_local(result)


def test_local_run_collects_every_alert_of_many_batches_once_in_order(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """25 claims with errors are three PublishBatch calls: the subscriber queue is read after each of them (it
    never holds more than one batch, which keeps moto's SQS linear), and every alert arrives once, in order."""
    from ctscrub.aws import sandbox

    rows = [CSV.splitlines()[0]] + [
        f"E{i:02d},1,1EG4TE5MK{i:02d},ZZLOCALCANARY,ALEX,1952-02-03,2026-09-02,11,G0297,,1,300.00,Z87.891,"
        "1234567893,1234567893,1234567893" for i in range(25)]
    claims = tmp_path / "many.csv"
    claims.write_text("\n".join(rows) + "\n")
    held: list[int] = []  # messages waiting in the queue each time it is drained
    drain = sandbox.EmbeddedStack.drain

    def counting_drain(self: sandbox.EmbeddedStack, name: str) -> list[dict[str, Any]]:
        out = drain(self, name)
        held.append(len(out))
        return out

    monkeypatch.setattr(sandbox.EmbeddedStack, "drain", counting_drain)
    result = run_local(claims, as_of=date(2026, 11, 1))
    ids = [a["body"].get("claim_id") for a in result["alerts"]]
    assert ids == [f"E{i:02d}" for i in range(25)] + [None]  # the upload message last
    assert result["alerts"][-1]["body"]["event_type"] == "upload.completed"
    assert held == [10, 10, 6, 0]  # after each of the three batches, then the final look finds nothing
