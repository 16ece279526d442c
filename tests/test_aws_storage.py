"""DynamoDB items, screening history, S3 reads, ids and settings (moto, tables created from template.yaml)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from claimfactory import claim
from ctscrub.aws import keys, sandbox
from ctscrub.aws.findings_table import FindingsTableSink, UploadRecords
from ctscrub.aws.s3_source import S3ObjectSource
from ctscrub.aws.screening_history import DynamoScreeningHistory, HashKeyError, load_hash_key, member_digest
from ctscrub.aws.settings import Settings, SettingsError
from ctscrub.formats.errors import FileRejected
from ctscrub.model import ClaimResult, Finding, LinePrice, Payer, Severity
from ctscrub.pipeline import UploadSummary
from moto import mock_aws

KEY = b"k" * 32


@pytest.fixture
def stack() -> Iterator[sandbox.EmbeddedStack]:
    with mock_aws():
        yield sandbox.create_stack()


def _table(stack: sandbox.EmbeddedStack) -> Any:
    return boto3.resource("dynamodb", region_name=sandbox.REGION).Table(stack.findings_table)


def _result(claim_id: str, n_findings: int = 2) -> ClaimResult:
    findings = [Finding("DX_MISSING", Severity.ERROR, claim_id, 1, "71250", "No diagnosis on line 1.",
                        "Add one.", "Pub 100-04", amount_at_stake=Decimal("88.54")) for _ in range(n_findings)]
    prices = [LinePrice(claim_id, 1, "71250", ("26",), Decimal("49.43"), "PFS 2026 facility, -26")]
    return ClaimResult(claim_id, findings, prices, 1, 1, Payer.MEDICARE)


def _items(table: Any, uid: str) -> list[dict[str, Any]]:
    return table.query(KeyConditionExpression=Key("pk").eq(keys.upload_pk(uid)))["Items"]


def test_findings_and_prices_land_under_the_upload_and_the_claim(stack: sandbox.EmbeddedStack) -> None:
    table = _table(stack)
    sink = FindingsTableSink(table, "u1")
    sink.claim(_result("CLM#1"))
    sink.finish(UploadSummary(upload_id="u1", source="incoming/a.csv"))
    sink.flush()
    items = _items(table, "u1")
    sks = sorted(i["sk"] for i in items)
    assert sks == ["FINDING#CLM%231#001#DX_MISSING#1", "FINDING#CLM%231#001#DX_MISSING#2", "PRICE#CLM%231#001"]
    by_claim = table.query(IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq("CLAIM#CLM%231"))["Items"]
    assert len(by_claim) == 3 and {i["claim_id"] for i in by_claim} == {"CLM#1"}
    price = next(i for i in items if i["sk"].startswith("PRICE#"))
    assert price["expected_allowed"] == Decimal("49.43") and price["modifiers"] == ["26"]
    assert next(i for i in items if i["sk"].startswith("FINDING#"))["amount_at_stake"] == Decimal("88.54")


def test_rewriting_the_same_upload_overwrites_instead_of_duplicating(stack: sandbox.EmbeddedStack) -> None:
    table = _table(stack)
    for _ in range(2):
        sink = FindingsTableSink(table, "u1")
        sink.claim(_result("C1"))
        sink.claim(_result("C2"))
        sink.finish(UploadSummary(upload_id="u1", source="k"))
        sink.flush()
    sink.flush()
    assert len(_items(table, "u1")) == 6


def test_a_claim_id_repeated_in_one_upload_keeps_both_claims(stack: sandbox.EmbeddedStack) -> None:
    table = _table(stack)
    sink = FindingsTableSink(table, "u1")
    sink.claim(_result("C1", 1))
    sink.claim(_result("C1", 1))
    sink.finish(UploadSummary(upload_id="u1", source="k"))
    sink.flush()
    assert len(_items(table, "u1")) == 4


def test_batch_writes_carry_25_items_per_call(stack: sandbox.EmbeddedStack) -> None:
    table = _table(stack)
    calls: list[int] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        calls.append(sum(len(v) for v in params["RequestItems"].values()))

    table.meta.client.meta.events.register("provide-client-params.dynamodb.BatchWriteItem", count)
    sink = FindingsTableSink(table, "u1")
    for i in range(40):
        sink.claim(_result(f"C{i}", 4))  # 5 items each: 200 items
    sink.finish(UploadSummary(upload_id="u1", source="k"))
    sink.flush()
    assert calls == [25] * 8 and sink.items_written == 200


def test_write_through_packs_the_checkpoint_with_the_items_a_batch_needs(stack: sandbox.EmbeddedStack) -> None:
    """Nothing is written while the file is read; ``write_through(n)`` writes the staged checkpoint and at
    least ``n`` items, filling its last call to 25; a deadline check runs before each call."""
    table = _table(stack)
    calls: list[list[str]] = []

    def log(params: dict[str, Any], **_: Any) -> None:
        calls.append([r["PutRequest"]["Item"]["sk"] for v in params["RequestItems"].values() for r in v])

    table.meta.client.meta.events.register("provide-client-params.dynamodb.BatchWriteItem", log)
    checks: list[int] = []
    sink = FindingsTableSink(table, "u1", before_write=lambda: checks.append(len(calls)))
    for i in range(40):
        sink.claim(_result(f"C{i}", 4))  # 5 items each: 200 items
    sink.finish(UploadSummary(upload_id="u1", source="k"))
    assert calls == [] and sink.spooled == 200
    sink.stage({"pk": keys.upload_pk("u1"), "sk": "UPLOAD", "alerts_published": 10})
    sink.write_through(30)  # checkpoint + 30 items -> 25 + 25 (the second call filled past 30)
    assert [len(c) for c in calls] == [25, 25] and calls[0][0] == "UPLOAD" and sink.items_written == 49
    assert checks == [0, 1]
    sink.write_through(40)  # already written, nothing staged: no call
    assert len(calls) == 2
    sink.stage({"pk": keys.upload_pk("u1"), "sk": "UPLOAD", "alerts_published": 20})
    sink.flush()
    assert [len(c) for c in calls] == [25, 25, 25, 25, 25, 25, 25, 25, 2]
    assert sink.items_written == 200 and len(_items(table, "u1")) == 201
    assert UploadRecords(table).get("u1")["alerts_published"] == 20


def test_a_rejected_upload_keeps_no_partial_findings(stack: sandbox.EmbeddedStack) -> None:
    table = _table(stack)
    UploadRecords(table).mark_processing("u1", bucket="b", key="k", version="v", size=None)
    sink = FindingsTableSink(table, "u1")
    for i in range(30):
        sink.claim(_result(f"C{i}"))
    sink.finish(UploadSummary(upload_id="u1", source="k", status="rejected"))
    assert [i["sk"] for i in _items(table, "u1")] == ["UPLOAD"]


def test_upload_record_status_and_counts(stack: sandbox.EmbeddedStack) -> None:
    table = _table(stack)
    rec = UploadRecords(table)
    rec.mark_processing("u1", bucket="b", key="incoming/a.csv", version="v1", size=None)
    assert rec.get("u1")["status"] == "PROCESSING" and rec.get("u1")["attempts"] == 1
    rec.mark_failed("u1", "ClientError: ThrottlingException")
    assert rec.get("u1")["failure_reason"] == "ClientError: ThrottlingException"
    rec.mark_processing("u1", bucket="b", key="incoming/a.csv", version="v1", size=None)
    summary = UploadSummary(upload_id="u1", source="incoming/a.csv", format="csv-v1", claims=3,
                            expected_allowed=Decimal("255.21"))
    summary.by_severity.update({"error": 2})
    summary.by_rule.update({"CODE_DELETED": 2})
    assert rec.mark_finished(summary, alerts_published=3) == "COMPLETED"
    item = rec.get("u1")
    assert item["status"] == "COMPLETED" and item["attempts"] == 2 and item["claims"] == 3
    assert item["by_rule"] == {"CODE_DELETED": 2} and item["expected_allowed"] == Decimal("255.21")
    assert item["ruleset_version"] and item["source_key"] == "incoming/a.csv"


def test_screening_history_is_keyed_by_hmac_and_ignores_its_own_upload(stack: sandbox.EmbeddedStack) -> None:
    table = _table(stack)
    patient = claim(member_id="ZZMEMBER999CANARY")
    first = DynamoScreeningHistory(table, KEY, "u1")
    first.record_screen(patient, date(2025, 3, 1))
    # later claims of the same upload see the screen at once; nothing is written before the upload completes
    assert first.previous_screens(patient) == [date(2025, 3, 1)]
    later = DynamoScreeningHistory(table, KEY, "u2")
    assert later.previous_screens(patient) == []
    assert first.flush() == 1
    assert later.previous_screens(patient) == [date(2025, 3, 1)]
    assert later.previous_screens(claim(member_id="OTHER")) == []
    assert DynamoScreeningHistory(table, KEY, "u1").previous_screens(patient) == []  # a retry of u1: not itself
    raw = str(table.scan()["Items"])
    assert "ZZMEMBER999CANARY" not in raw and member_digest(KEY, patient) in raw
    assert member_digest(b"j" * 32, patient) != member_digest(KEY, patient)  # the key matters


def test_a_rejected_upload_leaves_no_screen_behind(stack: sandbox.EmbeddedStack) -> None:
    table = _table(stack)
    patient = claim(member_id="ZZMEMBER777CANARY")
    rejected = DynamoScreeningHistory(table, KEY, "u3")
    rejected.record_screen(patient, date(2025, 4, 1))
    rejected.forget_written()
    assert rejected.flush() == 0
    assert DynamoScreeningHistory(table, KEY, "u4").previous_screens(patient) == []


def test_screens_are_written_in_batches(stack: sandbox.EmbeddedStack) -> None:
    """One BatchWriteItem call per 25 screens, not one PutItem per screen."""
    table = _table(stack)
    calls: list[str] = []
    table.meta.client.meta.events.register("before-call.dynamodb.*",
                                           lambda model, **_: calls.append(model.name))
    history = DynamoScreeningHistory(table, KEY, "u5")
    for i in range(60):
        history.record_screen(claim(member_id=f"M{i:03d}"), date(2025, 5, 1))
    assert calls == []
    assert history.flush() == 60
    assert calls == ["BatchWriteItem"] * 3


def test_hash_key_comes_from_secrets_manager_or_env_and_must_be_long(stack: sandbox.EmbeddedStack) -> None:
    sm = boto3.client("secretsmanager", region_name=sandbox.REGION)
    arn = sm.create_secret(Name="k", SecretString="s" * 40)["ARN"]
    assert load_hash_key(secret_id=arn, env_value=None, secrets_client=sm) == b"s" * 40
    assert load_hash_key(secret_id=None, env_value="e" * 32) == b"e" * 32
    with pytest.raises(HashKeyError) as err:
        load_hash_key(secret_id=None, env_value="short-key-value")
    assert "short-key-value" not in str(err.value)
    with pytest.raises(HashKeyError):
        load_hash_key(secret_id=None, env_value=None)


def test_s3_source_rejects_an_oversized_object_before_reading_it(stack: sandbox.EmbeddedStack) -> None:
    s3 = boto3.client("s3", region_name=sandbox.REGION)
    s3.put_object(Bucket=stack.bucket, Key="incoming/big.csv", Body=b"x" * 5000)
    with pytest.raises(FileRejected, match="larger than the configured limit"):
        S3ObjectSource(s3, stack.bucket, "incoming/big.csv", None, 4000).read(10)
    ok = S3ObjectSource(s3, stack.bucket, "incoming/big.csv", None, 5000)
    assert len(ok.read(4096)) == 4096 and len(ok.read()) == 904 and ok.bytes_read == 5000


def test_s3_source_reads_the_version_named_by_the_event(stack: sandbox.EmbeddedStack) -> None:
    s3 = boto3.client("s3", region_name=sandbox.REGION)
    v1 = s3.put_object(Bucket=stack.bucket, Key="incoming/a.csv", Body=io.BytesIO(b"first"))["VersionId"]
    s3.put_object(Bucket=stack.bucket, Key="incoming/a.csv", Body=b"second")
    assert S3ObjectSource(s3, stack.bucket, "incoming/a.csv", v1, None).read() == b"first"


def test_upload_id_is_deterministic_per_object_version() -> None:
    a = keys.upload_id("b", "incoming/a b.csv", "v1")
    assert a == keys.upload_id("b", "incoming/a b.csv", "v1") and len(a) == 32
    assert a != keys.upload_id("b", "incoming/a b.csv", "v2")
    assert a != keys.upload_id("b", "incoming/a+b.csv", "v1")


def test_settings_read_the_environment_and_name_bad_values() -> None:
    env = {"FINDINGS_TABLE": "t", "ALERTS_TOPIC_ARN": "arn", "IDEMPOTENCY_TABLE": "i",
           "ALERT_MIN_SEVERITY": "Warning", "MAX_UPLOAD_BYTES": "1000", "INCOMING_PREFIX": "in"}
    s = Settings.from_env(env)
    assert s.alert_min_severity is Severity.WARNING and s.max_upload_bytes == 1000
    assert s.incoming_prefix == "in/" and s.as_of is None
    with pytest.raises(SettingsError, match="FINDINGS_TABLE"):
        Settings.from_env({k: v for k, v in env.items() if k != "FINDINGS_TABLE"})
    with pytest.raises(SettingsError, match="MAX_UPLOAD_BYTES"):
        Settings.from_env({**env, "MAX_UPLOAD_BYTES": "lots"})
    with pytest.raises(SettingsError, match="ALERT_MIN_SEVERITY"):
        Settings.from_env({**env, "ALERT_MIN_SEVERITY": "fatal"})
