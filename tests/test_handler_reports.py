"""The upload report in S3: three files under reports/<upload_id>/, overwritten by a retry, never a trigger."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from ctscrub.aws import sandbox
from test_aws_helpers import CANARIES, csv_claims, expected, item_counts, record, table, uid_of

BODY = csv_claims(12)


@pytest.fixture
def stack(subscribed_stack: tuple[sandbox.EmbeddedStack, Any]) -> tuple[sandbox.EmbeddedStack, Any]:
    return subscribed_stack


def _invoke(app: Any, event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = app.lambda_handler(json.loads(json.dumps(event)), sandbox.FakeLambdaContext())
    return result


def _objects(st: sandbox.EmbeddedStack, prefix: str) -> dict[str, dict[str, Any]]:
    s3 = st.boto("s3")
    out = {}
    for obj in s3.list_objects_v2(Bucket=st.bucket, Prefix=prefix).get("Contents", []):
        got = s3.get_object(Bucket=st.bucket, Key=obj["Key"])
        out[obj["Key"].rsplit("/", 1)[1]] = {"body": got["Body"].read(), "type": got["ContentType"]}
    return out


def test_completed_upload_writes_the_three_report_files(stack: tuple[Any, Any]) -> None:
    st, app = stack
    (up,) = _invoke(app, st.upload(BODY, "incoming/report.csv"))["uploads"]
    uid = up["upload_id"]
    prefix = f"reports/{uid}/"
    assert sorted(up["reports"]) == [prefix + n for n in ("findings.csv", "report.html", "summary.json")]
    files = _objects(st, prefix)
    assert {k: v["type"] for k, v in files.items()} == {
        "summary.json": "application/json", "findings.csv": "text/csv; charset=utf-8",
        "report.html": "text/html; charset=utf-8"}
    summary = json.loads(files["summary.json"]["body"])
    rec = record(table(st), uid)
    assert summary["upload_id"] == uid and summary["findings"] == rec["findings"] == expected(BODY).finding_items
    rows = list(csv.DictReader(io.StringIO(files["findings.csv"]["body"].decode("utf-8-sig"))))
    assert len(rows) == summary["findings"]
    assert b"<html" in files["report.html"]["body"] and uid.encode() in files["report.html"]["body"]
    assert rec["report_prefix"] == prefix
    for f in files.values():
        for canary in CANARIES:
            assert canary.encode() not in f["body"]


def test_rejected_upload_gets_a_report_naming_the_reason(stack: tuple[Any, Any]) -> None:
    st, app = stack
    (up,) = _invoke(app, st.upload(b"\x00\x01 not a claim file", "incoming/bad.bin"))["uploads"]
    assert up["status"] == "REJECTED"
    files = _objects(st, f"reports/{up['upload_id']}/")
    summary = json.loads(files["summary.json"]["body"])
    assert summary["status"] == "rejected" and summary["rejection"]["rule"] == "FILE_UNSUPPORTED_FORMAT"
    assert b"FILE_UNSUPPORTED_FORMAT" in files["findings.csv"]["body"]


def test_a_retried_upload_overwrites_its_report_under_the_same_keys(stack: tuple[Any, Any]) -> None:
    """Deterministic keys: a second full run (idempotency record expired, upload unfinished) leaves the
    same three keys, not a second set."""
    st, app = stack
    event = st.upload(BODY, "incoming/again.csv")
    uid = uid_of(st, event)
    _invoke(app, event)
    first = _objects(st, "reports/")
    # forget that it finished, as after a crash just before COMPLETED
    table(st).update_item(Key={"pk": f"UPLOAD#{uid}", "sk": "UPLOAD"}, UpdateExpression="SET #s = :p",
                          ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":p": "FAILED"})
    idem = st.boto("dynamodb")
    for item in idem.scan(TableName=st.idempotency_table)["Items"]:
        idem.delete_item(TableName=st.idempotency_table, Key={"id": item["id"]})
    (up,) = _invoke(app, event)["uploads"]
    assert up["status"] == "COMPLETED" and not up.get("duplicate")
    again = _objects(st, "reports/")
    assert sorted(again) == sorted(first) == ["findings.csv", "report.html", "summary.json"]
    assert again["findings.csv"]["body"] == first["findings.csv"]["body"]


def test_an_event_for_a_report_key_is_ignored(stack: tuple[Any, Any]) -> None:
    """Even if an S3 event for reports/... reached the function (a misconfigured trigger), it does nothing."""
    st, app = stack
    (up,) = _invoke(app, st.upload(BODY, "incoming/src.csv"))["uploads"]
    uid = up["upload_id"]
    st.drain("all")
    before = (item_counts(table(st), uid), record(table(st), uid)["attempts"])
    s3 = st.boto("s3")
    for name in ("summary.json", "findings.csv", "report.html"):
        key = f"reports/{uid}/{name}"
        head = s3.head_object(Bucket=st.bucket, Key=key)
        event = sandbox.s3_put_event(st.bucket, key, size=int(head["ContentLength"]), etag=head["ETag"].strip('"'),
                                     version_id=head.get("VersionId"))
        assert _invoke(app, event) == {"uploads": [], "skipped": 1}
    assert (item_counts(table(st), uid), record(table(st), uid)["attempts"]) == before
    assert st.drain("all") == []
    scan = st.boto("dynamodb").scan(TableName=st.findings_table, Select="COUNT",
                                    FilterExpression="entity = :u", ExpressionAttributeValues={":u": {"S": "upload"}})
    assert scan["Count"] == 1  # no upload record was created for a report object


def test_ctscrub_local_prints_the_report_keys() -> None:
    from datetime import date

    from ctscrub.local import format_local, run_local

    result = run_local("samples/csv/chest_ct_demo.csv", date(2026, 11, 1))
    uid = result["uploads"][0]["upload"][0]["upload_id"]
    keys = sorted(r["key"] for r in result["reports"])
    assert keys == [f"reports/{uid}/{n}" for n in ("findings.csv", "report.html", "summary.json")]
    text = format_local(result)
    assert "S3 reports: 3 file(s)" in text and all(k in text for k in keys)
