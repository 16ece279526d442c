"""Soak: 300 uploads through the real handler, 4 concurrent workers, against a ThreadedMotoServer.

The stack is created from template.yaml on a moto server on 127.0.0.1 (a random free port), reached over
HTTP through ``AWS_ENDPOINT_URL``. Uploads are CSV, JSON and X12 files of 1-12 claims and unreadable
files; duplicate deliveries are mixed in (some back to back, so two workers run them at once); faults
are injected: throttled and unprocessed BatchWriteItem calls (absorbed inside the invocation), SNS
PublishBatch calls that fail as a whole or in part, and invocations that start too close to their
timeout (these fail, and the worker retries them as Lambda would). Every count is compared with the
offline pipeline's. ``run_soak`` is also what ``bench/soak.py`` prints.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from sns_faults import publish_failing
from test_aws_helpers import (
    ClockContext,
    DynamoFaults,
    Expected,
    alert_keys,
    atomic_moto_writes,
    csv_claims,
    dynamo_faults,
    expected,
    json_claims,
    x12_claims,
)

WORKERS = 4
SOAK_UPLOADS = int(os.environ.get("CTSCRUB_SOAK_UPLOADS", "300"))  # smaller for a quick local run
MAX_TRIES = 3  # Lambda's asynchronous invocation: one try and two retries
BAD_FILES = [b"", b"\x00\x01\x02binary\x00" * 20, b"%PDF-1.7 not claims", b"ISA*00*trunc",
             b'{"format": "ctscrub-claims", "version": 1, "claims": [', b"claim_id\n\n"]


@dataclass
class Upload:
    key: str
    body: bytes
    exp: Expected
    fault: str = ""  # "", "sns_call", "sns_partial", "deadline"
    event: dict[str, Any] = field(default_factory=dict)
    upload_id: str = ""


@dataclass
class Figures:
    uploads: int = 0
    deliveries: int = 0
    duplicates: int = 0
    concurrent_duplicates: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    invocations: int = 0
    lambda_retries: int = 0
    expected_items: int = 0
    items: int = 0
    expected_alerts: int = 0
    alerts: int = 0
    alerts_doubled: int = 0
    alerts_lost: int = 0
    items_lost_or_extra: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    wrong_status: int = 0
    wrong_attempts: int = 0
    reports: int = 0
    parked: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"uploads {self.uploads} ({dict(self.statuses)}), deliveries {self.deliveries}, duplicates injected "
            f"{self.duplicates} ({self.concurrent_duplicates} concurrent)",
            f"faults injected {sum(self.faults.values())}: {dict(sorted(self.faults.items()))}",
            f"invocations {self.invocations}, Lambda-style retries {self.lambda_retries}, events parked {self.parked}",
            f"DynamoDB finding+price items {self.items} (expected {self.expected_items}), "
            f"lost or extra {self.items_lost_or_extra}",
            f"alerts received {self.alerts} (expected {self.expected_alerts}), lost {self.alerts_lost}, "
            f"doubled {self.alerts_doubled}",
            f"report objects {self.reports}, wrong final status {self.wrong_status}, "
            f"wrong attempt counts {self.wrong_attempts}, {self.seconds:.1f} s",
        ]


def _files(n: int, rng: random.Random) -> list[Upload]:
    out: list[Upload] = []
    for i in range(n):
        kind = i % 10
        if kind in (0, 1, 2, 3):
            key, body = f"incoming/soak/{i:03d} batch.csv", csv_claims(rng.randint(1, 12), f"S{i:03d}-")
        elif kind in (4, 5, 6):
            key, body = f"incoming/soak/{i:03d}.json", json_claims(rng.randint(1, 12), f"J{i:03d}-")
        elif kind in (7, 8):
            key, body = f"incoming/soak/{i:03d}.x12", x12_claims(rng.randint(1, 8), f"X{i:03d}")
        else:
            key, body = f"incoming/soak/{i:03d}-bad.dat", BAD_FILES[i // 10 % len(BAD_FILES)]
        out.append(Upload(key, body, expected(body)))
    return out


class FlakySns:
    """One worker's SNS client: PublishBatch fails for chosen uploads, in their first invocation only.

    ``sns_call``: the upload's first call raises. ``sns_partial``: the last message of its first batch is
    refused on every one of the publisher's tries (the rest of the batch goes out), so that invocation
    fails with part of a batch delivered; the retry must send only what is missing.
    """

    def __init__(self, real: Any, plan: dict[str, str], state: dict[str, Any], lock: threading.Lock) -> None:
        self._real, self._plan, self._state, self._lock = real, plan, state, lock

    def publish_batch(self, TopicArn: str, PublishBatchRequestEntries: list[dict[str, Any]]) -> dict[str, Any]:
        from botocore.exceptions import ClientError
        from ctscrub.aws.alerts import RETRY_ATTEMPTS

        entries = PublishBatchRequestEntries
        uid = json.loads(entries[0]["Message"])["upload_id"]
        fault = self._plan.get(uid)
        done: set[str] = self._state["done"]
        victims: dict[str, str] = self._state["victims"]
        tries: Counter[str] = self._state["tries"]
        bad: list[dict[str, Any]] = []
        with self._lock:
            if fault == "sns_call" and uid not in done:
                done.add(uid)
                raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "PublishBatch")
            if fault == "sns_partial" and uid not in done:
                victim = victims.setdefault(uid, entries[-1]["Message"])
                bad = [e for e in entries if e["Message"] == victim]
                if bad:
                    tries[uid] += 1
                    if tries[uid] == RETRY_ATTEMPTS:
                        done.add(uid)  # this invocation has given up; the next one succeeds
        return publish_failing(self._real, TopicArn, entries, bad)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def run_soak(n_uploads: int = 300, n_duplicates: int = 60, seed: int = 7, lock_moto: bool = True) -> Figures:
    import boto3
    from ctscrub.aws import sandbox
    from moto.server import ThreadedMotoServer

    rng = random.Random(seed)
    fig = Figures(uploads=n_uploads)
    saved_env = dict(os.environ)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    t0 = time.perf_counter()
    try:
        os.environ.update({"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
                           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": sandbox.REGION,
                           "POWERTOOLS_SERVICE_NAME": "ctscrub", "POWERTOOLS_METRICS_NAMESPACE": "ctscrub-soak",
                           "POWERTOOLS_TRACE_DISABLED": "true"})
        stack = sandbox.create_stack(stack_name="ctscrub-soak")
        os.environ.update(stack.env)
        # Metrics off: Powertools keeps one metric set per process; Lambda never runs two invocations in one
        os.environ.update({"SCRUB_AS_OF": "2026-11-01", "POWERTOOLS_METRICS_DISABLED": "true",
                           "DEADLINE_MARGIN_MS": "20000", "LOG_LEVEL": "WARNING", "POWERTOOLS_LOG_LEVEL": "WARNING"})
        stack.subscribe_queue("all")
        app = sandbox.load_handler(stack.root)
        app.reset_runtime()

        uploads = _files(n_uploads, rng)
        for i, up in enumerate(uploads):
            up.event = stack.upload(up.body, up.key)
            from urllib.parse import unquote_plus

            from ctscrub.aws import keys

            obj = up.event["Records"][0]["s3"]["object"]
            up.upload_id = keys.upload_id(stack.bucket, unquote_plus(obj["key"]), obj.get("versionId"))
            if up.exp.status == "COMPLETED" and i % 15 == 1:
                up.fault = ("sns_call", "sns_partial", "deadline")[i // 15 % 3]
                fig.faults[up.fault] += 1
        plan = {u.upload_id: u.fault for u in uploads if u.fault.startswith("sns")}

        # deliveries: every event once, plus duplicates; half of them right behind the original
        deliveries: list[tuple[Upload, int]] = [(u, 0) for u in uploads]
        for d, up in enumerate(rng.sample(uploads, n_duplicates)):
            if d % 2 == 0:
                deliveries.insert(deliveries.index((up, 0)) + 1, (up, 1))  # two workers take both at once
                fig.concurrent_duplicates += 1
            else:
                deliveries.append((up, 1))
        fig.duplicates = n_duplicates
        fig.deliveries = len(deliveries)

        # a job: (upload, copy number, try number, not before this perf_counter time)
        work: queue.Queue[tuple[Upload, int, int, float] | None] = queue.Queue()
        for up, copy in deliveries:
            work.put((up, copy, 1, 0.0))
        state_lock = threading.Lock()
        sns_state: dict[str, Any] = {"done": set(), "victims": {}, "tries": Counter()}
        deadline_done: set[str] = set()
        parked: list[str] = []
        errors: list[str] = []
        faults = DynamoFaults(throttle=12, unprocessed=12, every=9)

        def worker() -> None:
            rt = app.runtime()  # this thread's execution environment
            real_sns = rt.processor.clients.client("sns")
            rt.processor.clients._cache["sns"] = FlakySns(real_sns, plan, sns_state, state_lock)
            while True:
                job = work.get()
                if job is None:
                    work.task_done()
                    return
                try:
                    handle(job)
                finally:
                    work.task_done()

        def handle(job: tuple[Upload, int, int, float]) -> None:
            up, copy, attempt, due = job
            time.sleep(max(0.0, due - time.perf_counter()))  # Lambda waits before a retry (1, then 2 min)
            ctx: Any = sandbox.FakeLambdaContext()
            with state_lock:
                if up.fault == "deadline" and copy == 0 and up.upload_id not in deadline_done:
                    deadline_done.add(up.upload_id)
                    ctx = ClockContext(start_ms=15_000)
                fig.invocations += 1
            try:
                app.lambda_handler(json.loads(json.dumps(up.event)), ctx)
            except Exception as exc:
                with state_lock:
                    errors.append(type(exc).__name__)
                    if attempt < MAX_TRIES:
                        fig.lambda_retries += 1
                        # Lambda retries later (scaled down to 1 s, then 2 s): back of the queue
                        work.put((up, copy, attempt + 1, time.perf_counter() + attempt))
                    else:
                        parked.append(up.upload_id)

        with dynamo_faults(faults):
            threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
            for t in threads:
                t.start()
            work.join()  # every delivery and every retry a worker put back has been handled
            for _ in threads:
                work.put(None)
            for t in threads:
                t.join()
        fig.faults["dynamodb_throttled"] = faults.throttled
        fig.faults["dynamodb_unprocessed"] = faults.unprocessed
        fig.parked = len(parked)

        # what landed
        ddb = boto3.resource("dynamodb", region_name=sandbox.REGION).Table(stack.findings_table)
        per_upload: Counter[str] = Counter()
        records: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {"ConsistentRead": True}
        while True:
            resp = ddb.scan(**kwargs)
            for item in resp["Items"]:
                sk = str(item["sk"])
                if sk == "UPLOAD":
                    records[str(item["upload_id"])] = item
                elif sk.startswith(("FINDING#", "FILE#", "PRICE#")):
                    per_upload[str(item["upload_id"])] += 1
            if "LastEvaluatedKey" not in resp:
                break
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        fig.items = sum(per_upload.values())
        fig.expected_items = sum(u.exp.finding_items + u.exp.price_items for u in uploads)
        fig.items_lost_or_extra = sum(abs(per_upload[u.upload_id] - u.exp.finding_items - u.exp.price_items)
                                      for u in uploads)
        for u in uploads:
            rec = records.get(u.upload_id, {})
            status = str(rec.get("status"))
            fig.statuses[status] += 1
            fig.wrong_status += status != u.exp.status
            fig.wrong_attempts += int(rec.get("attempts", 0)) != 1 + (u.fault != "")
        received = alert_keys(stack.drain("all"))
        fig.alerts = sum(received.values())
        fig.expected_alerts = sum(u.exp.alerts for u in uploads)
        fig.alerts_doubled = sum(n - 1 for n in received.values() if n > 1)
        wanted: Counter[tuple[str, str, str | None]] = Counter()
        for u in uploads:
            done = "upload.completed" if u.exp.status == "COMPLETED" else "upload.rejected"
            wanted[(u.upload_id, done, None)] += 1
            for cid in u.exp.claim_alert_ids:
                wanted[(u.upload_id, "claim.findings", cid)] += 1
        fig.alerts_lost = sum((wanted - received).values())
        s3 = boto3.client("s3", region_name=sandbox.REGION)
        paginator = s3.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=stack.bucket, Prefix="reports/")
        fig.reports = sum(len(p.get("Contents", [])) for p in pages)
        unexpected = Counter(e for e in errors if e not in ("UploadFailed", "IdempotencyAlreadyInProgressError"))
        if unexpected:
            raise AssertionError(f"unexpected invocation errors: {dict(unexpected)}")
    finally:
        fig.seconds = time.perf_counter() - t0
        if "scrub_upload_app" in __import__("sys").modules:
            __import__("sys").modules["scrub_upload_app"].reset_runtime()
        os.environ.clear()
        os.environ.update(saved_env)
        server.stop()
    return fig


@pytest.mark.slow
# Powertools' Metrics is module state: Lambda runs one invocation per process at a time, but the 4 workers here
# share one process, so one worker's flush can empty another's metrics before it flushes (then Powertools warns
# that there is nothing to publish). The soak asserts items and alerts, not metrics.
@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_soak_300_uploads_4_workers_duplicates_and_faults_lose_and_double_nothing() -> None:
    with atomic_moto_writes():
        fig = run_soak(n_uploads=SOAK_UPLOADS, n_duplicates=SOAK_UPLOADS // 5)
    print("\n" + "\n".join(fig.lines()))
    assert fig.uploads == SOAK_UPLOADS and fig.duplicates == SOAK_UPLOADS // 5
    assert sum(fig.faults.values()) >= SOAK_UPLOADS // 8
    assert fig.wrong_status == 0 and fig.statuses["COMPLETED"] + fig.statuses["REJECTED"] == SOAK_UPLOADS
    assert fig.parked == 0
    assert fig.items == fig.expected_items and fig.items_lost_or_extra == 0
    assert fig.alerts_lost == 0 and fig.alerts_doubled == 0 and fig.alerts == fig.expected_alerts
    assert fig.wrong_attempts == 0  # each upload processed once (twice where a fault failed its first try)
    assert fig.reports == 3 * SOAK_UPLOADS
