"""End to end against moto: S3 put event -> real handler -> DynamoDB items and SNS messages in SQS."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from ctscrub.aws import keys, sandbox
from ctscrub.aws.handler_core import UploadFailed

HEADER = ("claim_id,line,member_id,patient_last_name,patient_first_name,birth_date,payer,service_date,"
          "place_of_service,procedure_code,modifiers,units,charge,diagnosis_codes,ordering_npi,rendering_npi,"
          "billing_npi")
NPI = "1234567893"
# Distinctive patient values: none of them may appear in any item, message or log line.
CANARIES = ("ZZCANARYLAST", "QQCANARYFIRST", "1951-07-13", "19510713", "9ZZCANARYMBI")


def _row(claim_id: str, line: int, code: str, mods: str = "", pos: str = "11", dx: str = "R91.1") -> str:
    return (f"{claim_id},{line},9ZZCANARYMBI{claim_id[-1]},ZZCANARYLAST,QQCANARYFIRST,1951-07-13,medicare,"
            f"2026-09-02,{pos},{code},{mods},1,400.00,{dx},{NPI},{NPI},{NPI}")


CLAIMS_CSV = "\n".join([
    HEADER,
    _row("CLM-A", 1, "G0297", dx="Z87.891"),  # CODE_DELETED
    _row("CLM-B", 1, "71250"),  # with line 2: CONTRAST_COMBINED_REQUIRED
    _row("CLM-B", 2, "71260"),
    _row("CLM-C", 1, "71250", mods="26:TC"),  # MODIFIER_CONFLICT
    _row("CLM-D", 1, "71250", mods="26", pos="22"),  # clean professional read in a hospital
]).encode() + b"\n"


@pytest.fixture
def stack() -> Iterator[tuple[sandbox.EmbeddedStack, Any]]:
    env = {"SCRUB_AS_OF": "2026-11-01", "POWERTOOLS_METRICS_DISABLED": "true"}
    with sandbox.running_stack(env=env) as (st, app):
        st.subscribe_queue("all")
        st.subscribe_queue("contrast", {"rules": ["CONTRAST_COMBINED_REQUIRED"]})
        st.subscribe_queue("rejections", {"event_type": ["upload.rejected"]})
        yield st, app


def _invoke(app: Any, event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = app.lambda_handler(event, sandbox.FakeLambdaContext())
    return result


def _table(st: sandbox.EmbeddedStack) -> Any:
    return boto3.resource("dynamodb", region_name=sandbox.REGION).Table(st.findings_table)


def _upload_items(st: sandbox.EmbeddedStack, uid: str) -> list[dict[str, Any]]:
    return _table(st).query(KeyConditionExpression=Key("pk").eq(f"UPLOAD#{uid}"))["Items"]


def _record(st: sandbox.EmbeddedStack, uid: str) -> dict[str, Any]:
    item: dict[str, Any] = _table(st).get_item(Key={"pk": f"UPLOAD#{uid}", "sk": "UPLOAD"})["Item"]
    return item


def _findings_by_claim(items: list[dict[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for i in items:
        if i["sk"].startswith("FINDING#"):
            out.setdefault(i["claim_id"], set()).add(i["rule"])
    return out


def test_upload_lands_in_dynamodb_and_alerts_reach_subscribers(stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    st, app = stack
    result = _invoke(app, st.upload(CLAIMS_CSV, "incoming/batch1.csv"))
    (up,) = result["uploads"]
    uid = up["upload_id"]
    assert up["status"] == "COMPLETED" and up["claims"] == 4

    items = _upload_items(st, uid)
    record = next(i for i in items if i["sk"] == "UPLOAD")
    assert record["status"] == "COMPLETED" and record["format"] == "csv-v1" and record["claims"] == 4
    assert record["source_key"] == "incoming/batch1.csv" and record["ruleset_version"]
    rules = _findings_by_claim(items)
    assert "CODE_DELETED" in rules["CLM-A"]
    assert "CONTRAST_COMBINED_REQUIRED" in rules["CLM-B"]
    assert "MODIFIER_CONFLICT" in rules["CLM-C"]
    assert sum(record["by_rule"].values()) == sum(1 for i in items if i["sk"].startswith(("FINDING#", "FILE#")))

    # by claim: the GSI returns the claim's findings and its line prices
    by_claim = _table(st).query(IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq("CLAIM#CLM-B"))["Items"]
    assert {i["entity"] for i in by_claim} == {"finding", "price"}
    prices = [i for i in by_claim if i["entity"] == "price"]
    assert sorted(p["code"] for p in prices) == ["71250", "71260"]
    assert all(p["expected_allowed"] > 0 for p in prices)

    alerts = st.drain("all")
    claim_alerts = {a["body"]["claim_id"]: a for a in alerts if a["body"]["event_type"] == "claim.findings"}
    assert {"CLM-A", "CLM-B", "CLM-C"} <= set(claim_alerts)
    assert "CLM-D" not in claim_alerts or claim_alerts["CLM-D"]["body"]["counts"]["error"] > 0
    assert len(claim_alerts) == up["claim_alerts"] == record["claims_with_errors"]
    b = claim_alerts["CLM-B"]
    assert b["attributes"]["event_type"] == "claim.findings" and b["attributes"]["severity"] == "error"
    assert "CONTRAST_COMBINED_REQUIRED" in json.loads(b["attributes"]["rules"])
    (done,) = [a["body"] for a in alerts if a["body"]["event_type"] == "upload.completed"]
    assert done["upload_id"] == uid and done["claims"] == 4 and done["claim_alerts"] == len(claim_alerts)

    # the filter-policy subscriber on `rules` received exactly the claims carrying that rule
    filtered = st.drain("contrast")
    assert [a["body"]["claim_id"] for a in filtered] == ["CLM-B"]
    assert st.drain("rejections") == []


def test_a_repeat_whose_original_is_on_a_later_claim_lands_without_the_finding(
        stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    """RPA-1's 71250-76 has its original on the later claim RPB-1 (same patient and date): its items carry
    no REPEAT_WITHOUT_ORIGINAL, while RPC-2's lone repeat (another patient) does; the counts agree."""
    st, app = stack
    body = "\n".join([HEADER, _row("RPA-1", 1, "71250", mods="76"), _row("RPB-1", 1, "71250"),
                      _row("RPC-2", 1, "71250", mods="76")]).encode() + b"\n"
    (up,) = _invoke(app, st.upload(body, "incoming/repeats.csv"))["uploads"]
    assert up["status"] == "COMPLETED" and up["claims"] == 3
    items = _upload_items(st, up["upload_id"])
    rules = _findings_by_claim(items)
    assert "REPEAT_WITHOUT_ORIGINAL" not in rules.get("RPA-1", set())
    assert "REPEAT_WITHOUT_ORIGINAL" in rules["RPC-2"]
    record = next(i for i in items if i["sk"] == "UPLOAD")
    assert record["by_rule"]["REPEAT_WITHOUT_ORIGINAL"] == 1
    assert sum(record["by_rule"].values()) == sum(1 for i in items if i["sk"].startswith(("FINDING#", "FILE#")))
    assert sum(1 for i in items if i["sk"].startswith("PRICE#")) == 3  # every claim's line, the held one too


def test_duplicate_delivery_is_processed_once(stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    st, app = stack
    event = st.upload(CLAIMS_CSV, "incoming/dup.csv")
    first = _invoke(app, event)
    uid = first["uploads"][0]["upload_id"]
    items_once = sorted(i["sk"] for i in _upload_items(st, uid))
    alerts_once = st.drain("all")
    second = _invoke(app, json.loads(json.dumps(event)))
    assert second["uploads"][0]["upload_id"] == uid
    assert sorted(i["sk"] for i in _upload_items(st, uid)) == items_once
    assert st.drain("all") == []
    assert len(alerts_once) == first["uploads"][0]["claim_alerts"] + 1
    record = _record(st, uid)
    assert record["attempts"] == 1


def test_redelivery_after_the_idempotency_record_expired_sends_nothing_again(
        stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    """The finished upload record is a second guard: no new alerts even without the idempotency item."""
    st, app = stack
    event = st.upload(CLAIMS_CSV, "incoming/late.csv")
    _invoke(app, event)
    st.drain("all")
    idem = boto3.resource("dynamodb", region_name=sandbox.REGION).Table(st.idempotency_table)
    for item in idem.scan()["Items"]:
        idem.delete_item(Key={"id": item["id"]})
    again = _invoke(app, event)
    assert again["uploads"][0]["duplicate"] is True and again["uploads"][0]["status"] == "COMPLETED"
    assert st.drain("all") == []


def test_a_different_version_of_the_same_key_is_a_new_upload(stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    st, app = stack
    a = _invoke(app, st.upload(CLAIMS_CSV, "incoming/same.csv"))["uploads"][0]["upload_id"]
    b = _invoke(app, st.upload(CLAIMS_CSV, "incoming/same.csv"))["uploads"][0]["upload_id"]
    assert a != b


@pytest.mark.parametrize("body", [b"", b"\x00\x01binary\x00" * 50, b"%PDF-1.7 not a claim file"])
def test_unreadable_file_ends_rejected_with_one_alert(stack: tuple[sandbox.EmbeddedStack, Any], body: bytes) -> None:
    st, app = stack
    (up,) = _invoke(app, st.upload(body, "incoming/bad.dat"))["uploads"]
    assert up["status"] == "REJECTED" and up["rejection_rule"] in ("FILE_MALFORMED", "FILE_UNSUPPORTED_FORMAT")
    items = _upload_items(st, up["upload_id"])
    assert [i["sk"] for i in items] == ["UPLOAD"]
    assert items[0]["status"] == "REJECTED" and items[0]["rejection"]["message"]
    (rej,) = st.drain("rejections")
    assert rej["body"]["event_type"] == "upload.rejected" and rej["body"]["upload_id"] == up["upload_id"]
    assert [a["body"]["event_type"] for a in st.drain("all")] == ["upload.rejected"]


def test_rejection_mid_file_removes_findings_already_written(stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    """Claims with errors come first, then a line too long to read: nothing of the file survives."""
    st, app = stack
    body = CLAIMS_CSV + _row("CLM-E", 1, "71250").encode() + b"x" * (2 << 20) + b"\n"
    (up,) = _invoke(app, st.upload(body, "incoming/broken.csv"))["uploads"]
    assert up["status"] == "REJECTED"
    assert [i["sk"] for i in _upload_items(st, up["upload_id"])] == ["UPLOAD"]
    assert [a["body"]["event_type"] for a in st.drain("all")] == ["upload.rejected"]


def test_oversized_upload_is_rejected_without_reading(stack: tuple[sandbox.EmbeddedStack, Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    st, app = stack
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "200")
    app.reset_runtime()
    (up,) = _invoke(app, st.upload(CLAIMS_CSV, "incoming/big.csv"))["uploads"]
    record = _record(st, up["upload_id"])
    assert record["status"] == "REJECTED" and "limit of 200" in record["rejection"]["message"]


def test_s3_test_event_and_keys_outside_incoming_are_ignored(stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    st, app = stack
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-01-01T00:00:00.000Z",
                  "Bucket": st.bucket, "RequestId": "R", "HostId": "H"}
    assert _invoke(app, test_event) == {"ignored": "s3:TestEvent", "uploads": []}
    outside = _invoke(app, st.upload(CLAIMS_CSV, "reports/x.csv"))
    assert outside == {"uploads": [], "skipped": 1}
    assert st.drain("all") == []


def test_url_encoded_keys_with_spaces_and_unicode_are_read(stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    st, app = stack
    key = "incoming/Jan claims+é #2.csv"
    event = st.upload(CLAIMS_CSV, key)
    assert event["Records"][0]["s3"]["object"]["key"] == "incoming/Jan+claims%2B%C3%A9+%232.csv"
    (up,) = _invoke(app, event)["uploads"]
    assert up["status"] == "COMPLETED"
    assert _record(st, up["upload_id"])["source_key"] == key


def test_failure_is_recorded_then_a_retry_completes_once(stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    """SNS unavailable: status FAILED with a reason, exception re-raised; the retry finishes cleanly."""
    st, app = stack
    sns = st.boto("sns")
    subs = sns.list_subscriptions_by_topic(TopicArn=st.topic_arn)["Subscriptions"]
    sns.delete_topic(TopicArn=st.topic_arn)
    event = st.upload(CLAIMS_CSV, "incoming/retry.csv")
    with pytest.raises(UploadFailed, match="NotFound") as failed:
        _invoke(app, event)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__  # original text not chained
    uid = keys.upload_id(st.bucket, "incoming/retry.csv",
                                 event["Records"][0]["s3"]["object"].get("versionId"))
    record = _record(st, uid)
    assert record["status"] == "FAILED" and record["failure_reason"].endswith("NotFound")
    assert "CLM" not in record["failure_reason"]

    assert sns.create_topic(Name=st.topic_arn.rsplit(":", 1)[1])["TopicArn"] == st.topic_arn
    all_queue = next(s["Endpoint"] for s in subs if s["Endpoint"].endswith("-all"))
    sns.subscribe(TopicArn=st.topic_arn, Protocol="sqs", Endpoint=all_queue,
                  Attributes={"RawMessageDelivery": "true"})
    (up,) = _invoke(app, event)["uploads"]
    assert up["status"] == "COMPLETED"
    record = _record(st, uid)
    assert record["status"] == "COMPLETED" and record["attempts"] == 2
    alerts = st.drain("all")
    assert len(alerts) == up["claim_alerts"] + 1


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + json.dumps(record.__dict__, default=str))


def test_no_patient_data_in_items_messages_or_logs(stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    st, app = stack
    collect = _Collect()
    targets = [logging.getLogger(), logging.getLogger(app.logger.name)]
    levels = [t.level for t in targets]
    for t in targets:
        t.addHandler(collect)
        t.setLevel(logging.DEBUG)
    try:
        event = st.upload(CLAIMS_CSV, "incoming/canary.csv")
        result = _invoke(app, event)
        _invoke(app, st.upload(CLAIMS_CSV + b"CLM-Z,1," + b"\x00" * 10, "incoming/canary2.csv"))
    finally:
        for t, lvl in zip(targets, levels, strict=True):
            t.removeHandler(collect)
            t.setLevel(lvl)
    assert collect.lines, "nothing was logged: the canary search would prove nothing"
    items = boto3.client("dynamodb", region_name=sandbox.REGION).scan(TableName=st.findings_table)["Items"]
    idem = boto3.client("dynamodb", region_name=sandbox.REGION).scan(TableName=st.idempotency_table)["Items"]
    alerts = st.drain("all")
    assert len(items) > 5 and alerts
    haystacks = {"logs": "\n".join(collect.lines), "items": json.dumps(items), "idempotency": json.dumps(idem),
                 "alerts": json.dumps(alerts), "result": json.dumps(result)}
    for where, text in haystacks.items():
        for canary in CANARIES:
            assert canary not in text, f"{canary} found in {where}"
    assert "ZZCANARYLAST" in CLAIMS_CSV.decode()  # the canaries were really in the input


@pytest.fixture
def atomic_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's item writes atomic, as DynamoDB's conditional writes are (moto checks, then writes,
    without a lock, so two threads can both pass a condition; measured: alerts doubled without this)."""
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "get_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


def test_concurrent_duplicate_deliveries_write_and_alert_once(stack: tuple[sandbox.EmbeddedStack, Any],
                                                              atomic_dynamodb: None) -> None:
    """Two invocations of the same event at once: one processes, the other finds it in progress or done."""
    import threading

    st, app = stack
    event = st.upload(CLAIMS_CSV, "incoming/concurrent.csv")
    app.runtime()  # one shared runtime, as in one execution environment per concurrent invocation
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            outcomes.append(_invoke(app, json.loads(json.dumps(event)))["uploads"][0]["status"])
        except Exception as exc:  # the loser may see the upload in progress and be retried by Lambda
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert "COMPLETED" in outcomes, outcomes
    assert set(outcomes) <= {"COMPLETED", "IdempotencyAlreadyInProgressError"}, outcomes
    uid = keys.upload_id(st.bucket, "incoming/concurrent.csv", event["Records"][0]["s3"]["object"]["versionId"])
    assert _record(st, uid)["attempts"] == 1
    alerts = st.drain("all")
    assert len(alerts) == len({(a["body"]["event_type"], a["body"].get("claim_id")) for a in alerts})


def _ldct_row(claim_id: str, member: str, dos: str) -> str:
    return (f"{claim_id},1,{member},ZZCANARYLAST,QQCANARYFIRST,1951-07-13,medicare,{dos},11,71271,,1,400.00,"
            f"Z87.891;Z12.2,{NPI},{NPI},{NPI}")


def test_ldct_frequency_across_claims_of_one_upload_and_across_uploads(
        stack: tuple[sandbox.EmbeddedStack, Any]) -> None:
    """NCD 210.14 (annual screening): a second 71271 within 11 full months is caught whether the first one
    is on an earlier claim of the same upload or in an earlier upload; history is stored only once the
    upload completes, under a keyed hash."""
    st, app = stack
    first = "\n".join([HEADER, _ldct_row("LD-1", "9ZZCANARYMBIX", "2026-01-05"),
                       _ldct_row("LD-2", "9ZZCANARYMBIX", "2026-06-10")]).encode() + b"\n"
    (up1,) = _invoke(app, st.upload(first, "incoming/ldct1.csv"))["uploads"]
    assert _findings_by_claim(_upload_items(st, up1["upload_id"])).get("LD-2", set()) >= {"LDCT_FREQUENCY"}
    assert "LDCT_FREQUENCY" not in _findings_by_claim(_upload_items(st, up1["upload_id"])).get("LD-1", set())
    second = "\n".join([HEADER, _ldct_row("LD-3", "9ZZCANARYMBIX", "2026-09-01")]).encode() + b"\n"
    (up2,) = _invoke(app, st.upload(second, "incoming/ldct2.csv"))["uploads"]
    assert "LDCT_FREQUENCY" in _findings_by_claim(_upload_items(st, up2["upload_id"]))["LD-3"]
    screens = [i for i in _table(st).scan()["Items"] if i.get("entity") == "screen"]
    assert len(screens) == 1  # only the accepted 2026-01-05 screen; flagged screens do not restart the clock
    assert "9ZZCANARYMBIX" not in str(screens)
