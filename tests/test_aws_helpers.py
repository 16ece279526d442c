"""Shared helpers for the reliability tests (fault injection, crash points, soak, PHI canary).

Claim files in the three formats, the counts the offline pipeline expects for a file (the yardstick every
AWS-side count is compared with), a Lambda context whose clock runs out, DynamoDB counting helpers, and
botocore hooks that inject DynamoDB throttling. The few tests at the end check the helpers themselves.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from botocore.awsrequest import AWSResponse
from ctscrub.aws import sandbox
from ctscrub.model import Severity
from ctscrub.pipeline import CollectingSink, ScrubOptions, scrub
from ctscrub.refdata import load_reference_data
from ctscrub.screening_history import InMemoryScreeningHistory

AS_OF = date(2026, 11, 1)
NPI = "1234567893"
HEADER = ("claim_id,line,member_id,patient_last_name,patient_first_name,birth_date,payer,service_date,"
          "place_of_service,procedure_code,modifiers,units,charge,diagnosis_codes,ordering_npi,rendering_npi,"
          "billing_npi")
# Distinctive patient values: none may leave the pipeline (names, birth date in both notations, member id).
CANARY_LAST, CANARY_FIRST, CANARY_DOB, CANARY_MEMBER = "ZQXCANARYLAST", "QZXCANARYFIRST", "1948-02-29", "7QX9CANARYM"
CANARIES = (CANARY_LAST, CANARY_FIRST, CANARY_DOB, CANARY_DOB.replace("-", ""), CANARY_MEMBER)

# (procedure code, modifiers, place of service, dx) per claim kind: kinds 0-2 raise errors, 3 is clean
_KINDS = [("G0297", "", "11", "Z87.891"), ("71250", "26:TC", "11", "R91.1"), ("71250", "", "11", "R91.1"),
          ("71250", "26", "22", "R91.1")]


def csv_claims(n: int, prefix: str = "C", *, last: str = CANARY_LAST, first: str = CANARY_FIRST,
               dob: str = CANARY_DOB, member: str = CANARY_MEMBER) -> bytes:
    """``n`` claims; kind ``i % 4``: deleted code, modifier conflict, 71250+71260 on one claim, clean."""
    rows = [HEADER]
    for i in range(n):
        code, mods, pos, dx = _KINDS[i % 4]
        cid = f"{prefix}{i:04d}"
        base = f"{cid},{{line}},{member}{i % 10},{last},{first},{dob},medicare,2026-09-02,{pos},"
        rows.append(base.format(line=1) + f"{code},{mods},1,400.00,{dx},{NPI},{NPI},{NPI}")
        if i % 4 == 2:  # CONTRAST_COMBINED_REQUIRED
            rows.append(base.format(line=2) + f"71260,,1,400.00,{dx},{NPI},{NPI},{NPI}")
    return ("\n".join(rows) + "\n").encode()


def json_claims(n: int, prefix: str = "J", *, last: str = CANARY_LAST, first: str = CANARY_FIRST,
                dob: str = CANARY_DOB, member: str = CANARY_MEMBER) -> bytes:
    claims = []
    for i in range(n):
        code, mods, pos, dx = _KINDS[i % 4]
        lines = [{"line": 1, "procedure_code": code, "modifiers": [m for m in mods.split(":") if m], "units": 1,
                  "charge": 400.0, "service_date": "2026-09-02", "diagnosis_codes": [dx], "ordering_npi": NPI,
                  "rendering_npi": NPI}]
        if i % 4 == 2:
            lines.append({**lines[0], "line": 2, "procedure_code": "71260"})
        claims.append({"claim_id": f"{prefix}{i:04d}", "payer": "medicare", "member_id": f"{member}{i % 10}",
                       "patient_last_name": last, "patient_first_name": first, "birth_date": dob,
                       "billing_npi": NPI, "place_of_service": pos, "lines": lines})
    return json.dumps({"format": "ctscrub-claims", "version": 1, "claims": claims}).encode()


def x12_claims(n: int, prefix: str = "X", *, last: str = CANARY_LAST, first: str = CANARY_FIRST,
               dob: str = CANARY_DOB, member: str = CANARY_MEMBER) -> bytes:
    from x12_fixtures import ClaimSpec, Line, build

    specs = []
    for i in range(n):
        code, mods, pos, dx = _KINDS[i % 4]
        lines = [Line(code=code, modifiers=tuple(m for m in mods.split(":") if m), dos="20260902")]
        if i % 4 == 2:
            lines.append(Line(code="71260", dos="20260902"))
        specs.append(ClaimSpec(claim_id=f"{prefix}{i:04d}", lines=lines, pos=pos, dx=(dx.replace(".", ""),)))
    return build(*specs, last=last, first=first, member_id=member, dob=dob.replace("-", ""))


@dataclass
class Expected:
    """What one upload must leave behind, from the offline pipeline (no AWS code involved)."""

    status: str  # COMPLETED or REJECTED
    finding_items: int  # FINDING# and FILE# items
    price_items: int
    alerts: int  # claim.findings messages plus the one upload message
    claim_alert_ids: list[str] = field(default_factory=list)


def expected(body: bytes, as_of: date = AS_OF, min_severity: Severity = Severity.ERROR) -> Expected:
    sink = CollectingSink()
    summary = scrub(io.BytesIO(body), ScrubOptions(as_of=as_of, refdata=load_reference_data(),
                                                   screening_history=InMemoryScreeningHistory()),
                    [sink], upload_id="x" * 32, source_name="offline")
    if summary.status == "rejected":
        return Expected("REJECTED", 0, 0, 1)
    alerting = [r.claim_id for r in sink.results if any(f.severity.rank >= min_severity.rank for f in r.findings)]
    return Expected("COMPLETED", summary.finding_count, sum(len(r.prices) for r in sink.results),
                    len(alerting) + 1, alerting)


def table(st: sandbox.EmbeddedStack) -> Any:
    return boto3.resource("dynamodb", region_name=sandbox.REGION).Table(st.findings_table)


def upload_items(tbl: Any, uid: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(f"UPLOAD#{uid}"), "ConsistentRead": True}
    while True:
        resp = tbl.query(**kwargs)
        items.extend(resp["Items"])
        if "LastEvaluatedKey" not in resp:
            return items
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def item_counts(tbl: Any, uid: str) -> tuple[int, int]:
    """(finding + file finding items, price items) of one upload."""
    sks = [str(i["sk"]) for i in upload_items(tbl, uid)]
    return (sum(1 for s in sks if s.startswith(("FINDING#", "FILE#"))), sum(1 for s in sks if s.startswith("PRICE#")))


def record(tbl: Any, uid: str) -> dict[str, Any]:
    item: dict[str, Any] = tbl.get_item(Key={"pk": f"UPLOAD#{uid}", "sk": "UPLOAD"}, ConsistentRead=True)["Item"]
    return item


def alert_keys(alerts: list[dict[str, Any]]) -> Counter[tuple[str, str, str | None]]:
    """Each delivered message as (upload id, event type, claim id): a count above 1 is a double."""
    return Counter((a["body"]["upload_id"], a["body"]["event_type"], a["body"].get("claim_id")) for a in alerts)


def uid_of(st: sandbox.EmbeddedStack, event: dict[str, Any]) -> str:
    from urllib.parse import unquote_plus

    from ctscrub.aws import keys

    obj = event["Records"][0]["s3"]["object"]
    return keys.upload_id(st.bucket, unquote_plus(obj["key"]), obj.get("versionId") or obj.get("eTag"))


class ClockContext(sandbox.FakeLambdaContext):
    """A Lambda context whose remaining time is ``start_ms`` minus ``step_ms`` per call."""

    def __init__(self, start_ms: int, step_ms: int = 0) -> None:
        super().__init__()
        self._left = start_ms
        self._step = step_ms
        self.calls = 0

    def get_remaining_time_in_millis(self) -> int:
        self.calls += 1
        left = self._left
        self._left = max(0, self._left - self._step)
        return left


class Killed(BaseException):
    """Stands for the process dying: not an ``Exception``, so no handler (ours or Powertools') sees it."""


def expire_in_progress(st: sandbox.EmbeddedStack) -> int:
    """Age every in-progress idempotency record past its expiry, as time does after a killed invocation."""
    idem = boto3.resource("dynamodb", region_name=sandbox.REGION).Table(st.idempotency_table)
    n = 0
    for item in idem.scan()["Items"]:
        if item.get("status") == "INPROGRESS":
            idem.update_item(Key={"id": item["id"]}, UpdateExpression="SET in_progress_expiration = :t",
                             ExpressionAttributeValues={":t": 1})
            n += 1
    return n


# -- DynamoDB fault injection through botocore's event system, on the real (moto-backed) client --

def _error_response(request: Any, code: str) -> AWSResponse:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"}).encode()
    resp = AWSResponse(request.url, 400, {"x-amzn-ErrorType": code, "content-type": "application/x-amz-json-1.0"},
                       _Raw(body))
    return resp


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def read(self, *_: Any) -> bytes:
        data, self._data = self._data, b""
        return data


class DynamoFaults:
    """Inject into every DynamoDB client created while active (boto3's default session and new ones).

    ``throttle``: this many BatchWriteItem calls fail with the given error code before reaching moto
    (botocore's retry logic sees them, as it would see DynamoDB's). ``unprocessed``: this many calls are
    answered with all their requests as ``UnprocessedItems`` and nothing written. ``every``: only every
    n-th call is a candidate (so a call's own retry gets through, as under intermittent throttling).
    """

    def __init__(self, throttle: int = 0, unprocessed: int = 0,
                 code: str = "ProvisionedThroughputExceededException", every: int = 1) -> None:
        self.throttle_left = throttle
        self.unprocessed_left = unprocessed
        self.code = code
        self.every = every
        self.throttled = 0
        self.unprocessed = 0
        self._sends = 0
        self._calls = 0
        self._lock = threading.Lock()

    def before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        with self._lock:
            self._sends += 1
            if self.throttle_left <= 0 or self._sends % self.every:
                return None
            self.throttle_left -= 1
            self.throttled += 1
        return _error_response(request, self.code)

    def before_call(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        with self._lock:
            self._calls += 1
            if self.unprocessed_left <= 0 or self._calls % self.every:
                return None
            self.unprocessed_left -= 1
            self.unprocessed += 1
        # ``params`` is the serialized request: the items in DynamoDB's wire format, as DynamoDB returns them
        body = params["body"]
        requested = json.loads(body.decode() if isinstance(body, bytes) else body)["RequestItems"]
        http = AWSResponse("https://dynamodb", 200, {}, _Raw(b"{}"))
        return http, {"UnprocessedItems": requested, "ResponseMetadata": {"HTTPStatusCode": 200}}

    def attach(self, client: Any) -> None:
        # first: moto answers before-send too, and the first handler to answer wins
        client.meta.events.register_first("before-send.dynamodb.BatchWriteItem", self.before_send)
        client.meta.events.register_first("before-call.dynamodb.BatchWriteItem", self.before_call)


@contextmanager
def dynamo_faults(faults: DynamoFaults) -> Iterator[DynamoFaults]:
    """Attach ``faults`` to every DynamoDB client and resource created while the block runs."""
    import botocore.session

    original = botocore.session.Session.create_client

    def create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = original(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            faults.attach(client)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield faults
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]


@contextmanager
def atomic_moto_writes() -> Iterator[None]:
    """Make moto's item reads and writes atomic, as DynamoDB's conditional writes are.

    moto checks a condition and then writes without a lock, so two threads can both pass the same
    condition (the Powertools idempotency put); in DynamoDB one of them fails. Also needed through
    ThreadedMotoServer, which serves each request in its own thread of this process.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    originals = {name: getattr(DynamoDBBackend, name) for name in ("put_item", "update_item", "delete_item",
                                                                    "get_item")}

    def wrap(original: Any) -> Any:
        def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                return original(self, *args, **kwargs)

        return locked

    for name, fn in originals.items():
        setattr(DynamoDBBackend, name, wrap(fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(DynamoDBBackend, name, fn)


# -- tests of the helpers themselves --

def test_generated_files_raise_the_planned_alerts_in_every_format() -> None:
    """Kinds 0-2 of every 4 claims carry an error, kind 3 is clean: 9 of 12 claims alert (CSV, JSON); the
    X12 file puts every claim under one subscriber, so same-patient same-day rules make all 12 alert."""
    for make, alerting in ((csv_claims, 9), (json_claims, 9), (x12_claims, 12)):
        exp = expected(make(12))
        assert exp.status == "COMPLETED", make.__name__
        assert len(exp.claim_alert_ids) == alerting and exp.alerts == alerting + 1, (make.__name__, exp)
        assert exp.finding_items >= 9 and exp.price_items >= 12


def test_the_canaries_are_in_the_generated_files() -> None:
    for make in (csv_claims, json_claims):
        text = make(4).decode()
        assert all(c in text for c in (CANARY_LAST, CANARY_FIRST, CANARY_DOB, CANARY_MEMBER))
    x12 = x12_claims(4).decode()
    assert all(c in x12 for c in (CANARY_LAST, CANARY_FIRST, CANARY_DOB.replace("-", ""), CANARY_MEMBER))


def test_an_unreadable_file_is_expected_rejected_with_one_alert() -> None:
    assert expected(b"\x00\x01\x02") == Expected("REJECTED", 0, 0, 1)
