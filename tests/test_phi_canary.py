"""No patient data leaves the pipeline: canary names, birth dates and member ids in CSV, JSON and X12
uploads, logging at DEBUG, metrics flushed, a failed invocation and its retry, a rejected file; then
every log line, stdout/stderr, exception text, metric, DynamoDB item (both tables), SNS message and
report object is searched for the canaries."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from ctscrub.aws import sandbox
from ctscrub.aws.handler_core import UploadFailed
from test_aws_helpers import (
    CANARIES,
    CANARY_DOB,
    CANARY_FIRST,
    CANARY_LAST,
    CANARY_MEMBER,
    NPI,
    csv_claims,
    json_claims,
    x12_claims,
)

EVENT_MARKER = "203.0.113.77"  # only in the S3 event: it shows up in a log line iff the event is logged


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + json.dumps(record.__dict__, default=str))


class SnsOnce:
    """The real SNS client, failing the first PublishBatch call (to get a failed invocation's text)."""

    def __init__(self, real: Any) -> None:
        self._real, self.failed = real, False

    def publish_batch(self, **kw: Any) -> Any:
        if not self.failed:
            self.failed = True
            raise ClientError({"Error": {"Code": "InternalError", "Message": "x"}}, "PublishBatch")
        return self._real.publish_batch(**kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _scan(name: str) -> list[dict[str, Any]]:
    ddb = boto3.client("dynamodb", region_name=sandbox.REGION)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": name}
    while True:
        resp = ddb.scan(**kwargs)
        items.extend(resp["Items"])
        if "LastEvaluatedKey" not in resp:
            return items
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def test_no_canary_in_logs_metrics_errors_items_messages_or_reports(capfd: pytest.CaptureFixture[str]) -> None:
    env = {"SCRUB_AS_OF": "2026-11-01", "POWERTOOLS_METRICS_DISABLED": "false", "POWERTOOLS_LOG_LEVEL": "DEBUG",
           "LOG_LEVEL": "DEBUG", "POWERTOOLS_LOGGER_LOG_EVENT": "true"}  # the env asks for the event: refused
    collect = Collect()
    errors: list[str] = []
    with sandbox.running_stack(env=env) as (st, app):
        st.subscribe_queue("all")
        targets = [logging.getLogger(), logging.getLogger(app.logger.name), logging.getLogger("botocore")]
        saved = [t.level for t in targets]
        for t in targets:
            t.addHandler(collect)
            t.setLevel(logging.DEBUG)
        app.logger.setLevel("DEBUG")
        try:
            rt = app.runtime()
            rt.processor.clients._cache["sns"] = SnsOnce(rt.processor.clients.client("sns"))
            # a lung screening (71271) of a canary member: the screening history stores its keyed hash
            ldct = (f"L1,1,{CANARY_MEMBER},{CANARY_LAST},{CANARY_FIRST},{CANARY_DOB},medicare,2026-09-02,11,"
                    f"71271,,1,400.00,Z87.891,{NPI},{NPI},{NPI}\n").encode()
            uploads = {"incoming/canary.csv": csv_claims(8) + ldct, "incoming/canary.json": json_claims(8),
                       "incoming/canary.x12": x12_claims(8),
                       # rejected mid-file: the canaries were read before the bad byte
                       "incoming/canary-bad.csv": csv_claims(4) + b"C9,1,\x00\x00\x00\n"}
            results = []
            for key, body in uploads.items():
                assert any(c.encode() in body for c in CANARIES)
                event = st.upload(body, key)
                event["Records"][0]["requestParameters"]["sourceIPAddress"] = EVENT_MARKER
                for _ in range(2):  # the first upload fails once (SNS), then Lambda's retry
                    try:
                        results.append(app.lambda_handler(event, sandbox.FakeLambdaContext()))
                        break
                    except UploadFailed as exc:
                        errors.append(f"{exc} {exc.reason} {exc.frames} {exc!r}")
            statuses = sorted(u["status"] for r in results for u in r["uploads"])
            assert statuses == ["COMPLETED", "COMPLETED", "COMPLETED", "REJECTED"], statuses
            assert errors, "no failed invocation: the exception text was not searched"
            items = _scan(st.findings_table)
            idem = _scan(st.idempotency_table)
            alerts = st.drain("all")
            s3 = st.boto("s3")
            reports = {o["Key"]: s3.get_object(Bucket=st.bucket, Key=o["Key"])["Body"].read().decode("utf-8", "replace")
                       for o in s3.list_objects_v2(Bucket=st.bucket, Prefix="reports/")["Contents"]}
        finally:
            for t, lvl in zip(targets, saved, strict=True):
                t.removeHandler(collect)
                t.setLevel(lvl)
    out, err = capfd.readouterr()
    assert len(reports) == 12 and len(alerts) > 10
    assert any(i["pk"]["S"].startswith("SCREEN#") for i in items), "no screening history: member hash unchecked"
    assert '"_aws"' in out and "CloudWatchMetrics" in out, "no metrics were flushed: nothing to search"
    assert any("DEBUG" in line for line in collect.lines), "DEBUG logging was not on"
    haystacks = {"log records": "\n".join(collect.lines), "stdout (logs, EMF metrics)": out, "stderr": err,
                 "exception text": "\n".join(errors), "findings table": json.dumps(items),
                 "idempotency table": json.dumps(idem), "SNS messages": json.dumps(alerts),
                 "handler results": json.dumps(results), **{f"s3 {k}": v for k, v in reports.items()}}
    for where, text in haystacks.items():
        for canary in CANARIES:
            assert canary not in text, f"{canary!r} found in {where}"
        # member ids only as keyed hashes: no prefix of the member id either
        assert CANARY_MEMBER[:8] not in text, where
    assert EVENT_MARKER not in haystacks["log records"] + out, "the incoming event was logged"


def test_the_handler_has_no_tracer_and_the_deployed_settings_capture_nothing() -> None:
    """No Tracer in the function (no X-Ray capture of responses or errors with claim data), and the
    template's environment turns response and error capture off should one be added."""
    with sandbox.running_stack(env={"POWERTOOLS_METRICS_DISABLED": "true"}) as (st, app):
        from aws_lambda_powertools import Tracer

        assert not any(isinstance(v, Tracer) for v in vars(app).values())
        assert st.env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
        assert st.env["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"
        source = (st.root / "functions" / "scrub_upload" / "app.py").read_text()
        assert "log_event=False" in source and "Tracer(" not in source
