"""Faults inside one invocation, against moto through the real handler: nothing lost, nothing doubled.

DynamoDB throttling and unprocessed batch items, SNS batches that fail in part or as a whole, an
invocation that runs short of time, and a crash (an exception, or the process dying) at every step of an
upload followed by Lambda's retry. Every count is compared with the offline pipeline's count for the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from ctscrub.aws import sandbox
from ctscrub.aws.alerts import SnsBatchPublisher
from ctscrub.aws.batch_writes import BatchWriteIncomplete, BatchWriter
from ctscrub.aws.findings_table import UploadRecords
from ctscrub.aws.handler_core import UploadFailed
from ctscrub.aws.reports import S3ReportSink
from sns_faults import publish_failing
from test_aws_helpers import (
    ClockContext,
    DynamoFaults,
    Killed,
    alert_keys,
    csv_claims,
    dynamo_faults,
    expected,
    expire_in_progress,
    item_counts,
    record,
    table,
    uid_of,
)

BODY = csv_claims(40)  # 30 claims alert -> 31 messages in 4 batches; 90+ items -> 4+ BatchWriteItem calls
EXP = expected(BODY)


@pytest.fixture
def stack() -> Iterator[tuple[sandbox.EmbeddedStack, Any]]:
    env = {"SCRUB_AS_OF": "2026-11-01", "POWERTOOLS_METRICS_DISABLED": "true", "DEADLINE_MARGIN_MS": "20000"}
    with sandbox.running_stack(env=env) as (st, app):
        st.subscribe_queue("all")
        yield st, app


@pytest.fixture
def fast_botocore_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's standard-mode backoff, recorded and shortened (the retry decisions are unchanged)."""
    from botocore.retries import standard

    delays: list[float] = []
    original = standard.ExponentialBackoff.delay_amount

    def delay(self: Any, context: Any) -> float:
        delays.append(original(self, context))
        return 0.001

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", delay)
    return delays


def _invoke(app: Any, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = app.lambda_handler(json.loads(json.dumps(event)), context or sandbox.FakeLambdaContext())
    return result


def _assert_exact(st: sandbox.EmbeddedStack, uid: str, alerts: list[dict[str, Any]]) -> None:
    """The upload finished once: item counts and alerts equal the offline pipeline's, no message twice."""
    rec = record(table(st), uid)
    assert rec["status"] == EXP.status
    assert item_counts(table(st), uid) == (EXP.finding_items, EXP.price_items)
    counts = alert_keys(alerts)
    assert max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
    assert sum(counts.values()) == EXP.alerts
    assert sorted(k[2] for k in counts if k[2]) == sorted(EXP.claim_alert_ids)
    assert rec["alerts_pending"] == 0 and rec["alerts_published"] == EXP.alerts
    assert "failure_reason" not in rec and "alerts_sent_after" not in rec


def _first_batch_out_then_the_retry_sends_the_rest(st: sandbox.EmbeddedStack, app: Any, event: dict[str, Any],
                                                   recover: Callable[[], None] = lambda: None) -> None:
    """The failed attempt left the record FAILED with the first batch (10 messages) out and the rest pending;
    after ``recover``, Lambda's retry sends exactly the rest."""
    uid = uid_of(st, event)
    rec = record(table(st), uid)
    assert rec["status"] == "FAILED" and rec["alerts_published"] == 10 and rec["alerts_pending"] == EXP.alerts - 10
    first = st.drain("all")
    assert len(first) == 10
    recover()
    _invoke(app, event)
    _assert_exact(st, uid, first + st.drain("all"))


# -- DynamoDB --

def test_batch_writer_resends_unprocessed_items_with_growing_backoff(stack: tuple[Any, Any]) -> None:
    st, _ = stack
    sleeps: list[float] = []
    faults = DynamoFaults(unprocessed=3)
    with dynamo_faults(faults):
        tbl = boto3.resource("dynamodb", region_name=sandbox.REGION).Table(st.findings_table)
        with BatchWriter(tbl, sleep=sleeps.append, base_delay=1.0, max_delay=100.0) as w:
            for i in range(60):
                w.put({"pk": "T", "sk": f"{i:03d}", "n": i})
    assert faults.unprocessed == 3 and len(sleeps) == 3 and w.resent == 75
    # full jitter: each delay is at most base * 2**attempt
    assert all(0 <= s <= 2**i for i, s in enumerate(sleeps))
    items = tbl.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "T"})["Items"]
    assert sorted(int(i["n"]) for i in items) == list(range(60))


def test_batch_writer_gives_up_loudly_instead_of_spinning(stack: tuple[Any, Any]) -> None:
    st, _ = stack
    faults = DynamoFaults(unprocessed=100)
    with dynamo_faults(faults):
        tbl = boto3.resource("dynamodb", region_name=sandbox.REGION).Table(st.findings_table)
        w = BatchWriter(tbl, sleep=lambda s: None, max_attempts=4)
        w.put({"pk": "T", "sk": "1"})
        with pytest.raises(BatchWriteIncomplete, match="1 of 1 item"):
            w.flush()
    assert faults.unprocessed == 4


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException"])
def test_throttled_and_unprocessed_batch_writes_lose_nothing(stack: tuple[Any, Any], code: str,
                                                              fast_botocore_backoff: list[float]) -> None:
    """Three BatchWriteItem calls throttled and three answered 'unprocessed': one attempt, exact counts."""
    st, app = stack
    event = st.upload(BODY, "incoming/throttled.csv")
    faults = DynamoFaults(throttle=3, unprocessed=3, code=code)
    with dynamo_faults(faults):
        app.reset_runtime()  # the handler's clients are created inside the block, with the faults attached
        (up,) = _invoke(app, event)["uploads"]
    assert faults.throttled == 3 and faults.unprocessed == 3
    assert len(fast_botocore_backoff) >= 3  # botocore backed off before each retry of a throttled call
    assert up["status"] == "COMPLETED"
    assert record(table(st), up["upload_id"])["attempts"] == 1  # absorbed inside the invocation
    _assert_exact(st, up["upload_id"], st.drain("all"))


# -- SNS --

class FlakySns:
    """The real (moto) SNS client, except that chosen PublishBatch calls fail in part or as a whole."""

    def __init__(self, real: Any, *, fail_claims: set[str] | None = None, raise_on_call: int | None = None) -> None:
        self._real = real
        self.fail_claims = fail_claims or set()
        self.raise_on_call = raise_on_call
        self.calls = 0

    def publish_batch(self, TopicArn: str, PublishBatchRequestEntries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        if self.calls == self.raise_on_call:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "PublishBatch")
        bad = [e for e in PublishBatchRequestEntries if json.loads(e["Message"]).get("claim_id") in self.fail_claims]
        return publish_failing(self._real, TopicArn, PublishBatchRequestEntries, bad)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _flaky_sns(app: Any, **kw: Any) -> FlakySns:
    rt = app.runtime()
    flaky = FlakySns(rt.processor.clients.client("sns"), **kw)
    rt.processor.clients._cache["sns"] = flaky
    return flaky


def test_partly_failed_sns_batch_leaves_pending_alerts_that_a_retry_sends_once(stack: tuple[Any, Any]) -> None:
    """One claim's message keeps failing (5 tries, 1.5 s of backoff): the batch's other 9 went out; the
    retry sends only the rest."""
    st, app = stack
    event = st.upload(BODY, "incoming/partial.csv")
    victim = EXP.claim_alert_ids[13]  # in the second batch
    flaky = _flaky_sns(app, fail_claims={victim})
    with pytest.raises(UploadFailed, match="AlertPublishError"):
        _invoke(app, event)
    uid = uid_of(st, event)
    rec = record(table(st), uid)
    assert rec["status"] == "FAILED" and rec["failure_reason"].startswith("AlertPublishError")
    assert rec["alerts_total"] == EXP.alerts and rec["alerts_published"] == 13
    assert [int(i) for i in rec["alerts_sent_after"]] == list(range(14, 20))
    assert rec["alerts_pending"] == EXP.alerts - 19
    first = st.drain("all")
    assert len(first) == 19 and victim not in {a["body"].get("claim_id") for a in first}

    flaky.fail_claims.clear()  # SNS recovered; Lambda retries the same event
    (up,) = _invoke(app, event)["uploads"]
    assert up["status"] == "COMPLETED" and up["alerts_sent"] == EXP.alerts - 19
    _assert_exact(st, uid, first + st.drain("all"))


def test_sns_call_failure_leaves_pending_alerts_that_a_retry_sends_once(stack: tuple[Any, Any]) -> None:
    """The second PublishBatch call raises: batch 1 is checkpointed, the retry resumes at message 11."""
    st, app = stack
    event = st.upload(BODY, "incoming/sns-down.csv")
    flaky = _flaky_sns(app, raise_on_call=2)
    with pytest.raises(UploadFailed, match="ClientError: InternalError"):
        _invoke(app, event)
    _first_batch_out_then_the_retry_sends_the_rest(st, app, event,
                                                   recover=lambda: setattr(flaky, "raise_on_call", None))


# -- the Lambda timeout --

def _idempotency_items(st: sandbox.EmbeddedStack) -> list[dict[str, Any]]:
    idem = boto3.resource("dynamodb", region_name=sandbox.REGION).Table(st.idempotency_table)
    items: list[dict[str, Any]] = idem.scan()["Items"]
    return items


def test_running_out_of_time_mid_file_stops_cleanly_and_the_retry_finishes(stack: tuple[Any, Any]) -> None:
    st, app = stack
    event = st.upload(BODY, "incoming/slow.csv")
    ctx = ClockContext(start_ms=35_000, step_ms=1_000)  # below the 20 s margin after ~15 checks
    with pytest.raises(UploadFailed, match="DeadlineExceeded") as failed:
        _invoke(app, event, ctx)
    assert "at claim" in failed.value.reason
    uid = uid_of(st, event)
    rec = record(table(st), uid)
    assert rec["status"] == "FAILED" and rec["failure_reason"].startswith("DeadlineExceeded")
    assert st.drain("all") == []  # stopped before any alert
    assert _idempotency_items(st) == []  # Powertools deleted its record: the retry is not blocked
    (up,) = _invoke(app, event)["uploads"]
    assert up["status"] == "COMPLETED" and record(table(st), uid)["attempts"] == 2
    _assert_exact(st, uid, st.drain("all"))


def test_running_out_of_time_between_alert_batches_resumes_without_doubles(stack: tuple[Any, Any]) -> None:
    st, app = stack
    event = st.upload(BODY, "incoming/slow-alerts.csv")
    flaky = _flaky_sns(app)

    class AfterFirstBatch(sandbox.FakeLambdaContext):
        def get_remaining_time_in_millis(self) -> int:
            return 5_000 if flaky.calls >= 1 else 300_000

    with pytest.raises(UploadFailed, match="DeadlineExceeded"):
        _invoke(app, event, AfterFirstBatch())
    _first_batch_out_then_the_retry_sends_the_rest(st, app, event)


def test_no_time_to_start_touches_nothing_but_the_record(stack: tuple[Any, Any]) -> None:
    st, app = stack
    event = st.upload(BODY, "incoming/late-start.csv")
    with pytest.raises(UploadFailed, match=r"DeadlineExceeded: .* at start"):
        _invoke(app, event, ClockContext(start_ms=10_000))
    uid = uid_of(st, event)
    assert record(table(st), uid)["status"] == "FAILED"
    assert item_counts(table(st), uid) == (0, 0) and st.drain("all") == []


# -- a crash at every step, then Lambda's retry --

def _once(monkeypatch: pytest.MonkeyPatch, cls: type, name: str, exc: BaseException, *,
          on_call: int = 1, before: bool = True) -> list[int]:
    """Make ``cls.name`` raise ``exc`` on its ``on_call``-th call (before or after doing its work)."""
    original = getattr(cls, name)
    calls = [0]

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == on_call and before:
            raise exc
        out = original(self, *args, **kwargs)
        if calls[0] == on_call and not before:
            raise exc
        return out

    monkeypatch.setattr(cls, name, wrapper)
    return calls


CRASH_POINTS = {
    # point: (class, method, on_call, before the call's work?)
    "after_record_processing": (UploadRecords, "mark_processing", 1, False),
    "mid_findings_write": (BatchWriter, "_send", 1, False),  # 25 items written, no alert out yet
    "after_findings_before_report": (S3ReportSink, "finish", 1, True),
    "after_report_before_alerts": (SnsBatchPublisher, "publish", 1, True),
    "mid_alerts": (SnsBatchPublisher, "publish", 3, True),  # 20 messages out and checkpointed
    "after_alerts_before_completed": (UploadRecords, "mark_finished", 1, True),
}


@pytest.mark.parametrize("mode", ["exception", "killed"])
@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_crash_at_any_step_then_retry_finishes_with_exact_counts(stack: tuple[Any, Any], point: str, mode: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``exception``: the upload is marked FAILED and Lambda retries. ``killed``: the process dies (no
    handler runs, the record stays PROCESSING and the idempotency record in progress until it expires)."""
    st, app = stack
    event = st.upload(BODY, f"incoming/crash-{point}-{mode}.csv")
    uid = uid_of(st, event)
    cls, name, on_call, before = CRASH_POINTS[point]
    calls = _once(monkeypatch, cls, name, RuntimeError("injected") if mode == "exception" else Killed(),
                  on_call=on_call, before=before)
    if mode == "exception":
        with pytest.raises(UploadFailed, match="RuntimeError"):
            _invoke(app, event)
        assert record(table(st), uid)["status"] == "FAILED"
    else:
        with pytest.raises(Killed):
            _invoke(app, event)
        assert record(table(st), uid)["status"] == "PROCESSING"
        assert expire_in_progress(st) == 1  # time passes: Powertools lets the retry in
    assert calls[0] >= on_call
    first = st.drain("all")
    _invoke(app, event)  # Lambda's retry
    _assert_exact(st, uid, first + st.drain("all"))
    assert record(table(st), uid)["attempts"] == 2
    # and a duplicate delivery afterwards changes nothing
    _invoke(app, event)
    assert st.drain("all") == [] and item_counts(table(st), uid) == (EXP.finding_items, EXP.price_items)


def _fail_the_write_carrying_a_checkpoint(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> list[int]:
    """The first BatchWriteItem call that holds an upload-record checkpoint raises before its work."""
    original = BatchWriter._send
    seen = [0]

    def send(self: BatchWriter, requests: list[dict[str, Any]]) -> None:
        if any(r.get("PutRequest", {}).get("Item", {}).get("sk") == "UPLOAD" for r in requests):
            seen[0] += 1
            if seen[0] == 1:
                raise exc
        original(self, requests)

    monkeypatch.setattr(BatchWriter, "_send", send)
    return seen


def test_a_failed_checkpoint_write_still_records_what_went_out(stack: tuple[Any, Any],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The checkpoint of alert batch 1 rides in a findings write that fails: the FAILED record still says
    10 messages are out (``mark_failed`` carries the progress), so the retry sends only the rest."""
    st, app = stack
    event = st.upload(BODY, "incoming/ckpt-exception.csv")
    _fail_the_write_carrying_a_checkpoint(monkeypatch, RuntimeError("injected"))
    with pytest.raises(UploadFailed, match="RuntimeError"):
        _invoke(app, event)
    _first_batch_out_then_the_retry_sends_the_rest(st, app, event)


def test_a_process_killed_before_a_checkpoint_is_durable_repeats_one_batch_at_most(
        stack: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The window no design closes on a standard SNS topic: the process dies after a PublishBatch and before
    the write holding its checkpoint. The retry sends that batch again (10 messages) and nothing else twice;
    the items are exact. docs/CONTRACTS.md tells subscribers to be idempotent on (upload_id, claim_id)."""
    st, app = stack
    event = st.upload(BODY, "incoming/ckpt-killed.csv")
    _fail_the_write_carrying_a_checkpoint(monkeypatch, Killed())
    with pytest.raises(Killed):
        _invoke(app, event)
    uid = uid_of(st, event)
    assert record(table(st), uid)["status"] == "PROCESSING"
    assert expire_in_progress(st) == 1
    first = st.drain("all")
    assert len(first) == 10
    _invoke(app, event)
    alerts = first + st.drain("all")
    counts = alert_keys(alerts)
    assert sorted(k for k, n in counts.items() if n > 1) == sorted(alert_keys(first))
    assert len(counts) == EXP.alerts and len(alerts) == EXP.alerts + 10
    rec = record(table(st), uid)
    assert rec["status"] == EXP.status and rec["alerts_pending"] == 0
    assert item_counts(table(st), uid) == (EXP.finding_items, EXP.price_items)


def test_a_retry_deletes_what_an_unfinished_attempt_wrote_that_it_does_not_rewrite(stack: tuple[Any, Any]) -> None:
    """An earlier attempt (say with other reference data) left an item this attempt would not write: the
    retry removes it, so the counts match this attempt's results exactly."""
    st, app = stack
    event = st.upload(BODY, "incoming/stale.csv")
    uid = uid_of(st, event)
    tbl = table(st)
    tbl.put_item(Item={"pk": f"UPLOAD#{uid}", "sk": "UPLOAD", "upload_id": uid, "status": "FAILED", "attempts": 1})
    tbl.put_item(Item={"pk": f"UPLOAD#{uid}", "sk": "FINDING#OLD#001#CODE_DELETED#1", "upload_id": uid})
    _invoke(app, event)
    assert item_counts(tbl, uid) == (EXP.finding_items, EXP.price_items)


def test_a_retry_checks_against_the_processing_date_of_the_first_attempt(stack: tuple[Any, Any],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The first attempt pins ``as_of``; a retry on another day (here: another SCRUB_AS_OF) keeps it, so it
    produces the same findings and alerts as the attempt it completes."""
    st, app = stack
    event = st.upload(BODY, "incoming/pinned.csv")
    uid = uid_of(st, event)
    _once(monkeypatch, UploadRecords, "mark_finished", RuntimeError("injected"))
    with pytest.raises(UploadFailed):
        _invoke(app, event)
    assert record(table(st), uid)["as_of"] == "2026-11-01"
    monkeypatch.setenv("SCRUB_AS_OF", "2027-06-30")
    app.reset_runtime()
    _invoke(app, event)
    rec = record(table(st), uid)
    assert rec["status"] == "COMPLETED" and rec["as_of"] == "2026-11-01"
    assert item_counts(table(st), uid) == (EXP.finding_items, EXP.price_items)
