"""Failures end somewhere visible: after Lambda's retries the event is parked in the on-failure queue,
the upload record says FAILED and why, and a redrive finishes the upload once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from ctscrub.aws import sandbox
from ctscrub.aws.redrive import redrive
from test_aws_helpers import CANARIES, alert_keys, csv_claims, expected, item_counts, record, table, uid_of

BODY = csv_claims(12)
EXP = expected(BODY)


class AsyncLambda:
    """Lambda's asynchronous invocation, locally: one try plus ``retries``; when every try raised, an
    invocation record (the documented on-failure destination shape) is sent to the failure queue."""

    def __init__(self, app: Any, sqs: Any, queue_url: str, retries: int = 2) -> None:
        self.app, self.sqs, self.queue_url, self.retries = app, sqs, queue_url, retries
        self.invocations = 0

    def invoke(self, event: dict[str, Any]) -> None:
        error: Exception | None = None
        ctx = sandbox.FakeLambdaContext()
        for _ in range(1 + self.retries):
            self.invocations += 1
            try:
                self.app.lambda_handler(json.loads(json.dumps(event)), ctx)
                return
            except Exception as exc:  # what Lambda records as the function error
                error = exc
        assert error is not None
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps({
            "version": "1.0", "timestamp": "2026-11-01T00:00:00.000Z",
            "requestContext": {"requestId": ctx.aws_request_id, "functionArn": ctx.invoked_function_arn,
                               "condition": "RetriesExhausted", "approximateInvokeCount": 1 + self.retries},
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": []},
        }))


class SnsSwitch:
    """The real SNS client, or an outage (every PublishBatch raises AuthorizationError) while ``down``."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.down = True

    def publish_batch(self, **kw: Any) -> dict[str, Any]:
        if self.down:
            raise ClientError({"Error": {"Code": "AuthorizationError", "Message": "x"}}, "PublishBatch")
        resp: dict[str, Any] = self._real.publish_batch(**kw)
        return resp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def failing() -> Iterator[tuple[sandbox.EmbeddedStack, AsyncLambda, SnsSwitch]]:
    env = {"SCRUB_AS_OF": "2026-11-01", "POWERTOOLS_METRICS_DISABLED": "true"}
    with sandbox.running_stack(env=env) as (st, app):
        st.subscribe_queue("all")
        rt = app.runtime()
        switch = SnsSwitch(rt.processor.clients.client("sns"))
        rt.processor.clients._cache["sns"] = switch
        yield st, AsyncLambda(app, st.boto("sqs"), st.failure_queue_url), switch


def _parked(st: sandbox.EmbeddedStack) -> list[dict[str, Any]]:
    sqs = st.boto("sqs")
    msgs = sqs.receive_message(QueueUrl=st.failure_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [json.loads(m["Body"]) for m in msgs.get("Messages", [])]


def test_exhausted_retries_park_the_event_and_the_record_says_why(failing: Any) -> None:
    st, lam, _ = failing
    event = st.upload(BODY, "incoming/down.csv")
    uid = uid_of(st, event)
    lam.invoke(event)
    (parked,) = _parked(st)
    assert parked["requestPayload"] == event and parked["requestContext"]["condition"] == "RetriesExhausted"
    assert parked["responsePayload"] == {"errorMessage": f"upload {uid} failed: ClientError: AuthorizationError",
                                         "errorType": "UploadFailed", "stackTrace": []}
    assert not any(c in json.dumps(parked["responsePayload"]) for c in CANARIES)
    rec = record(table(st), uid)
    assert rec["status"] == "FAILED" and rec["failure_reason"] == "ClientError: AuthorizationError"
    assert rec["attempts"] == 3 and rec["alerts_pending"] == EXP.alerts and rec["failed_at"]


def test_redrive_while_still_failing_parks_it_again_then_a_redrive_finishes_it_once(failing: Any) -> None:
    st, lam, switch = failing
    event = st.upload(BODY, "incoming/redrive-twice.csv")
    uid = uid_of(st, event)
    lam.invoke(event)
    sqs = st.boto("sqs")

    # max_messages=1: the re-parked copy is a new message, visible at once with visibility_timeout=0
    report = redrive(sqs, st.failure_queue_url, lam.invoke, visibility_timeout=0, max_messages=1)
    assert report.redriven == 1  # accepted by "Lambda", failed again, parked again
    assert len(_parked(st)) == 1 and record(table(st), uid)["status"] == "FAILED"

    switch.down = False
    report = redrive(sqs, st.failure_queue_url, lam.invoke, visibility_timeout=0)
    assert (report.redriven, report.failed, report.skipped) == (1, 0, 0)
    assert _parked(st) == []
    rec = record(table(st), uid)
    assert rec["status"] == "COMPLETED" and "failure_reason" not in rec and rec["attempts"] == 7
    assert item_counts(table(st), uid) == (EXP.finding_items, EXP.price_items)
    counts = alert_keys(st.drain("all"))
    assert sum(counts.values()) == EXP.alerts and max(counts.values()) == 1


def test_redriving_an_upload_that_finished_meanwhile_changes_nothing(failing: Any) -> None:
    st, lam, switch = failing
    event = st.upload(BODY, "incoming/finished-meanwhile.csv")
    uid = uid_of(st, event)
    lam.invoke(event)
    switch.down = False
    lam.invoke(event)  # e.g. S3 delivered the event again and this time it worked
    assert record(table(st), uid)["status"] == "COMPLETED"
    st.drain("all")
    attempts = record(table(st), uid)["attempts"]
    report = redrive(st.boto("sqs"), st.failure_queue_url, lam.invoke, visibility_timeout=0)
    assert report.redriven == 1 and _parked(st) == []
    assert st.drain("all") == [] and record(table(st), uid)["attempts"] == attempts
