"""SNS alert messages: schema, threshold, batching, retries, size limit, resume after a crash."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ctscrub.aws.alerts import (
    MAX_MESSAGE_BYTES,
    AlertPublishError,
    AlertsSink,
    SnsBatchPublisher,
    claim_message,
)
from ctscrub.model import ClaimResult, Finding, LinePrice, Payer, Severity
from ctscrub.pipeline import UploadSummary

UID = "0123456789abcdef0123456789abcdef"


def _finding(rule: str = "CODE_DELETED", sev: Severity = Severity.ERROR, line: int | None = 1,
             message: str = "Line 1 bills a deleted code.") -> Finding:
    return Finding(rule=rule, severity=sev, claim_id="C1", line=line, code="G0297", message=message,
                   suggestion="Bill 71271.", source="HCPCS 2021")


def _result(claim_id: str = "C1", *findings: Finding) -> ClaimResult:
    price = LinePrice(claim_id, 1, "71250", (), Decimal("88.54"), "PFS 2026")
    return ClaimResult(claim_id=claim_id, findings=list(findings), prices=[price], line_count=1,
                       chest_ct_line_count=1, payer=Payer.MEDICARE)


class FakeSns:
    """Records publish_batch calls; ``fail`` maps a call number to the entry ids that fail in it."""

    def __init__(self, fail: dict[int, list[str]] | None = None, sender_fault: bool = False) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.fail = fail or {}
        self.sender_fault = sender_fault

    def publish_batch(self, TopicArn: str, PublishBatchRequestEntries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(PublishBatchRequestEntries)
        ids = self.fail.get(len(self.calls), [])
        failed = [{"Id": i, "Code": "InternalError", "SenderFault": self.sender_fault} for i in ids]
        ok = [{"Id": e["Id"], "MessageId": "x"} for e in PublishBatchRequestEntries if e["Id"] not in ids]
        return {"Successful": ok, "Failed": failed}

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(e["Message"]) for call in self.calls for e in call]


def _summary(status: str = "processed", claims: int = 1) -> UploadSummary:
    s = UploadSummary(upload_id=UID, source="incoming/a.csv", status=status, format="csv-v1", claims=claims)
    if status == "rejected":
        s.rejection = Finding("FILE_MALFORMED", Severity.ERROR, None, None, None,
                              "The upload cannot be processed: the file is empty at byte 0.", "Upload again.",
                              "ctscrub input formats")
    return s


def _sink(sns: FakeSns, **kw: Any) -> AlertsSink:
    return AlertsSink(SnsBatchPublisher(sns, "arn:aws:sns:us-east-1:123456789012:t", sleep=lambda s: None),
                      upload_id=UID, source_key="incoming/a.csv", **kw)


def test_claim_message_body_and_filter_attributes() -> None:
    body, attrs = claim_message(_result("C1", _finding(), _finding("DX_MISSING", line=1)),
                                upload_id=UID, source_key="incoming/a.csv")
    doc = json.loads(body)
    assert doc["schema_version"] == 1 and doc["event_type"] == "claim.findings"
    assert doc["claim_id"] == "C1" and doc["upload_id"] == UID and doc["source_key"] == "incoming/a.csv"
    assert doc["rules"] == ["CODE_DELETED", "DX_MISSING"]
    assert doc["counts"] == {"error": 2, "warning": 0, "info": 0}
    assert doc["amount_at_stake"] == "88.54"
    assert set(doc["findings"][0]) == {"rule", "severity", "line", "code", "message", "suggestion", "source"}
    assert attrs["event_type"] == {"DataType": "String", "StringValue": "claim.findings"}
    assert attrs["severity"]["StringValue"] == "error"
    assert attrs["rules"]["DataType"] == "String.Array"
    assert json.loads(attrs["rules"]["StringValue"]) == ["CODE_DELETED", "DX_MISSING"]


def test_only_claims_at_or_above_the_threshold_alert() -> None:
    """With the default threshold (error) a warning-only claim sends nothing; with 'warning' it does."""
    warn = _result("W1", _finding("REDUCED_SERVICE", Severity.WARNING))
    for min_sev, expected in ((Severity.ERROR, []), (Severity.WARNING, ["W1"])):
        sns = FakeSns()
        sink = _sink(sns, min_severity=min_sev)
        sink.claim(warn)
        sink.claim(_result("OK1"))
        sink.finish(_summary(claims=2))
        claims = [b["claim_id"] for b in sns.bodies() if b["event_type"] == "claim.findings"]
        assert claims == expected
        assert sns.bodies()[-1]["event_type"] == "upload.completed"


def test_publishes_in_batches_of_ten_with_unique_ids() -> None:
    sns = FakeSns()
    sink = _sink(sns)
    for i in range(23):
        sink.claim(_result(f"C{i}", _finding()))
    sink.finish(_summary(claims=23))
    assert [len(c) for c in sns.calls] == [10, 10, 4]  # 23 claim alerts + 1 upload.completed
    for call in sns.calls:
        assert len({e["Id"] for e in call}) == len(call)
    assert sink.published == 24 and sink.claim_alerts == 23


def test_failed_entries_are_retried_once_each() -> None:
    """Entries SNS reports as failed (server side) are resent alone; the others are not resent."""
    sns = FakeSns(fail={1: ["m3", "m7"]})
    sink = _sink(sns)
    for i in range(9):
        sink.claim(_result(f"C{i}", _finding()))
    sink.finish(_summary(claims=9))
    assert len(sns.calls) == 2 and [e["Id"] for e in sns.calls[1]] == ["m3", "m7"]
    delivered = [b.get("claim_id") for b in sns.bodies()]
    # the first call carried all 9 (two of them failed), the second only the two failed ones
    assert sorted(x for x in delivered if x) == sorted([*(f"C{i}" for i in range(9)), "C3", "C7"])


def test_sender_fault_raises_instead_of_looping() -> None:
    sns = FakeSns(fail={1: ["m0"]}, sender_fault=True)
    sink = _sink(sns)
    sink.claim(_result("C1", _finding()))
    with pytest.raises(AlertPublishError, match="InternalError"):
        sink.finish(_summary())
    assert len(sns.calls) == 1


def test_persistent_failure_gives_up_after_retries() -> None:
    sns = FakeSns(fail={n: ["m0"] for n in range(1, 10)})
    sink = _sink(sns)
    sink.claim(_result("C1", _finding()))
    with pytest.raises(AlertPublishError):
        sink.finish(_summary())
    assert len(sns.calls) == 5


def test_rejected_upload_sends_only_the_rejection() -> None:
    """Claims read before a mid-file rejection never alert: only upload.rejected goes out."""
    sns = FakeSns()
    sink = _sink(sns)
    sink.claim(_result("C1", _finding()))
    sink.finish(_summary("rejected"))
    (body,) = sns.bodies()
    assert body["event_type"] == "upload.rejected" and body["rule"] == "FILE_MALFORMED"
    assert "empty" in body["reason"] and body["suggestion"]
    attrs = sns.calls[0][0]["MessageAttributes"]
    assert attrs["event_type"]["StringValue"] == "upload.rejected"


def test_resume_skips_messages_a_previous_attempt_published() -> None:
    """A retry with checkpoint 10 sends only messages 11.., so nothing is alerted twice."""
    first, checkpoints = FakeSns(), []
    sink = _sink(first, progress=lambda p: checkpoints.append(p.published))
    for i in range(15):
        sink.claim(_result(f"C{i}", _finding()))
    sink.finish(_summary(claims=15))
    assert checkpoints == [10, 16]
    retry = FakeSns()
    sink2 = _sink(retry, skip=10)
    for i in range(15):
        sink2.claim(_result(f"C{i}", _finding()))
    sink2.finish(_summary(claims=15))
    assert [b.get("claim_id") for b in retry.bodies()] == [f"C{i}" for i in range(10, 15)] + [None]


def test_huge_claim_message_is_truncated_under_the_sns_limit() -> None:
    many = [_finding(message="x" * 2000, line=i) for i in range(400)]
    body, _ = claim_message(_result("BIG", *many), upload_id=UID, source_key="k")
    assert len(body.encode()) <= MAX_MESSAGE_BYTES
    doc = json.loads(body)
    assert doc["findings_truncated"] is True and 0 < len(doc["findings"]) < 400
    assert doc["counts"]["error"] == 400  # counts still describe every finding
    small, _ = claim_message(_result("S", _finding()), upload_id=UID, source_key="k")
    assert json.loads(small)["findings_truncated"] is False


def _contract_schema() -> dict[str, Any]:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "CONTRACTS.md").read_text()
    block = doc.split("### JSON Schema (schema_version 1)", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    schema: dict[str, Any] = json.loads(block)
    return schema


def test_messages_match_the_json_schema_in_contracts_doc() -> None:
    """Every event type validates against the schema published in docs/CONTRACTS.md; a wrong one does not."""
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(_contract_schema())
    sns = FakeSns()
    sink = _sink(sns)
    sink.claim(_result("C1", _finding(), _finding("REFDATA_MISSING", Severity.INFO, line=None)))
    sink.finish(_summary())
    rejected = FakeSns()
    _sink(rejected).finish(_summary("rejected"))
    bodies = sns.bodies() + rejected.bodies()
    assert [b["event_type"] for b in bodies] == ["claim.findings", "upload.completed", "upload.rejected"]
    for body in bodies:
        validator.validate(body)
    broken = dict(bodies[0], counts={"error": "1"})
    assert not validator.is_valid(broken)
