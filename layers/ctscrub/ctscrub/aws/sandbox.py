"""An in-process copy of the stack in template.yaml, for ``ctscrub local`` and the end-to-end tests.

Call inside moto's ``mock_aws``. Resource names, table key schemas and the function's environment are
read from the template, so the local run and the tests exercise what would be deployed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

from ctscrub.aws.cfn_template import Resolver, load_template

ACCOUNT = "123456789012"
REGION = "us-east-1"


def repo_root(start: Path | None = None) -> Path:
    """The directory holding template.yaml: the current directory or an ancestor of this package."""
    candidates = [Path.cwd(), *Path(__file__).resolve().parents]
    if start is not None:
        candidates.insert(0, start)
    for base in candidates:
        if (base / "template.yaml").is_file() and (base / "functions").is_dir():
            return base
    raise FileNotFoundError("template.yaml not found (run from the ctscrub repository)")


@dataclass
class EmbeddedStack:
    stack_name: str
    bucket: str
    findings_table: str
    idempotency_table: str
    topic_arn: str
    failure_queue_url: str
    env: dict[str, str]
    root: Path
    queues: dict[str, str] = field(default_factory=dict)  # subscriber name -> queue url

    def boto(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION)

    def subscribe_queue(self, name: str, filter_policy: dict[str, Any] | None = None) -> str:
        """An SQS queue subscribed to the alerts topic (raw delivery), optionally with a filter policy."""
        sqs, sns = self.boto("sqs"), self.boto("sns")
        url = sqs.create_queue(QueueName=f"{self.stack_name}-{name}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attrs = {"RawMessageDelivery": "true"}
        if filter_policy is not None:
            attrs["FilterPolicy"] = json.dumps(filter_policy)
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attrs)
        self.queues[name] = url
        return url

    def drain(self, name: str) -> list[dict[str, Any]]:
        """Every message waiting in a subscriber queue: the JSON body plus the message attributes."""
        sqs = self.boto("sqs")
        out: list[dict[str, Any]] = []
        while True:
            resp = sqs.receive_message(QueueUrl=self.queues[name], MaxNumberOfMessages=10,
                                       MessageAttributeNames=["All"], WaitTimeSeconds=0)
            msgs = resp.get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                attrs = {k: v.get("StringValue") for k, v in m.get("MessageAttributes", {}).items()}
                out.append({"body": json.loads(m["Body"]), "attributes": attrs})
            sqs.delete_message_batch(QueueUrl=self.queues[name], Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])

    def upload(self, local_file: Path | bytes, key: str) -> dict[str, Any]:
        """Put an object and return the S3 put event S3 would send for it."""
        body = local_file if isinstance(local_file, bytes) else Path(local_file).read_bytes()
        resp = self.boto("s3").put_object(Bucket=self.bucket, Key=key, Body=body)
        return s3_put_event(self.bucket, key, size=len(body), etag=resp["ETag"].strip('"'),
                            version_id=resp.get("VersionId"))


def _table_spec(props: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    return spec


def create_stack(root: Path | None = None, stack_name: str = "ctscrub-local") -> EmbeddedStack:
    """Create the template's bucket, tables, topic, queue and secret in the active moto mock."""
    import boto3

    root = root or repo_root()
    tpl = load_template(root / "template.yaml")
    res = tpl["Resources"]
    params = {k: str(v.get("Default", "")) for k, v in tpl.get("Parameters", {}).items()}
    refs: dict[str, str] = {"AWS::StackName": stack_name, "AWS::AccountId": ACCOUNT, "AWS::Region": REGION,
                            "AWS::Partition": "aws", **params}
    atts: dict[tuple[str, str], str] = {}
    resolver = Resolver(refs, lambda r, a: atts[(r, a)])

    def name_of(logical_id: str, prop: str) -> str:
        value = res[logical_id]["Properties"].get(prop)
        return str(resolver.resolve(value)) if value is not None else f"{stack_name}-{logical_id}"

    s3, ddb, sns, sqs = (boto3.client(s, region_name=REGION) for s in ("s3", "dynamodb", "sns", "sqs"))
    bucket = name_of("ClaimsBucket", "BucketName")
    s3.create_bucket(Bucket=bucket)
    if res["ClaimsBucket"]["Properties"].get("VersioningConfiguration", {}).get("Status") == "Enabled":
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    refs["ClaimsBucket"] = bucket
    for logical in ("FindingsTable", "IdempotencyTable"):
        tname = name_of(logical, "TableName")
        ddb.create_table(TableName=tname, **_table_spec(res[logical]["Properties"]))
        ttl = res[logical]["Properties"].get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=tname, TimeToLiveSpecification=ttl)
        refs[logical] = tname
    topic = sns.create_topic(Name=name_of("AlertsTopic", "TopicName"))["TopicArn"]
    refs["AlertsTopic"] = topic
    qurl = sqs.create_queue(QueueName=name_of("FailureQueue", "QueueName"))["QueueUrl"]
    refs["FailureQueue"] = qurl
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=f"{stack_name}-screening-hash-key", SecretString=secrets.token_hex(32))
    refs["ScreeningHashKey"] = secret["ARN"]
    func = res["ScrubUploadFunction"]["Properties"]
    env = {k: str(v) for k, v in resolver.resolve(func["Environment"]["Variables"]).items()}
    return EmbeddedStack(stack_name=stack_name, bucket=bucket, findings_table=refs["FindingsTable"],
                         idempotency_table=refs["IdempotencyTable"], topic_arn=topic, failure_queue_url=qurl,
                         env=env, root=root)


def s3_put_event(bucket: str, key: str, *, size: int, etag: str, version_id: str | None = None,
                 region: str = REGION, event_time: str = "2026-01-01T00:00:00.000Z") -> dict[str, Any]:
    """The event S3 sends for a PUT: the key URL-encoded as S3 does it (space as '+', '/' kept)."""
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag,
                           "sequencer": "0A1B2C3D4E5F678901"}
    if version_id:
        obj["versionId"] = version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": event_time,
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "EXAMPLE123456789",
                                     "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "ClaimUploaded",
                    "bucket": {"name": bucket, "ownerIdentity": {"principalId": "EXAMPLE"},
                               "arn": f"arn:aws:s3:::{bucket}"},
                    "object": obj,
                },
            }
        ]
    }


@dataclass
class FakeLambdaContext:
    function_name: str = "ctscrub-local-scrub-upload"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = field(default_factory=lambda: secrets.token_hex(16))
    log_group_name: str = "/aws/lambda/ctscrub-local-scrub-upload"
    log_stream_name: str = "local"
    timeout_ms: int = 300_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


def load_handler(root: Path | None = None) -> ModuleType:
    """Import functions/scrub_upload/app.py (once per process) as module ``scrub_upload_app``."""
    name = "scrub_upload_app"
    if name in sys.modules:
        return sys.modules[name]
    path = (root or repo_root()) / "functions" / "scrub_upload" / "app.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def running_stack(root: Path | None = None, *, stack_name: str = "ctscrub-local",
                  env: dict[str, str] | None = None) -> Iterator[tuple[EmbeddedStack, ModuleType]]:
    """moto active, the stack created, the function's environment set and the handler module loaded.

    The caller provides fake credentials; the environment and the handler's cached clients are reset
    on exit.
    """
    from moto import mock_aws

    saved = dict(os.environ)
    with mock_aws():
        try:
            stack = create_stack(root, stack_name)
            os.environ.update(stack.env)
            os.environ.update(env or {})
            app = load_handler(stack.root)
            app.reset_runtime()
            yield stack, app
        finally:
            if "scrub_upload_app" in sys.modules:
                sys.modules["scrub_upload_app"].reset_runtime()
            os.environ.clear()
            os.environ.update(saved)
