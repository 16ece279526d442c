"""template.yaml: the security and wiring facts cfn-lint and checkov do not check for us."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ctscrub.aws.cfn_template import load_template
from ctscrub.aws.settings import REQUIRED_ENV

ROOT = Path(__file__).resolve().parents[1]
TPL = load_template(ROOT / "template.yaml")
RES: dict[str, Any] = TPL["Resources"]
FUNC = RES["ScrubUploadFunction"]["Properties"]


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    st = doc["Statement"]
    return st if isinstance(st, list) else [st]


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _function_statements() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for pol in FUNC["Policies"]:
        assert isinstance(pol, dict) and "Statement" in pol, "function policies are inline documents"
        out.extend(_statements(pol))
    return out


def _has_wildcard(values: list[Any]) -> bool:
    return any(isinstance(v, str) and "*" in v.split(":")[-1] for v in values)


def test_bucket_policy_denies_requests_without_tls() -> None:
    """The bucket policy has a Deny on s3:* for bucket and objects when aws:SecureTransport is false."""
    doc = RES["ClaimsBucketPolicy"]["Properties"]["PolicyDocument"]
    deny = [s for s in _statements(doc)
            if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
    assert deny, "no TLS-only Deny statement"
    st = deny[0]
    assert st["Principal"] == "*" and _as_list(st["Action"]) == ["s3:*"]
    resources = [r["Fn::Sub"] for r in _as_list(st["Resource"])]
    assert any(r.endswith("${ClaimsBucket}") for r in resources)
    assert any(r.endswith("${ClaimsBucket}/*") for r in resources)
    assert RES["ClaimsBucketPolicy"]["Properties"]["Bucket"] == {"Ref": "ClaimsBucket"}


def test_wildcard_detector_flags_a_star_action() -> None:
    """The helper the next test relies on does see wildcards (so an all-clear means something)."""
    assert _has_wildcard(["dynamodb:*"]) and _has_wildcard(["*"]) and _has_wildcard(["s3:Get*"])
    assert not _has_wildcard(["dynamodb:GetItem", {"Ref": "X"}])


def test_function_policies_have_no_wildcard_actions_or_resources() -> None:
    """Least privilege: every Allow names its actions and scopes them to named resources."""
    statements = _function_statements()
    assert statements
    for st in statements:
        assert st["Effect"] == "Allow"
        assert not _has_wildcard(_as_list(st["Action"])), st["Sid"]
        for r in _as_list(st["Resource"]):
            assert r != "*", st["Sid"]
            if isinstance(r, dict) and "Fn::Sub" in r:  # only the object prefix may end in a wildcard
                assert not r["Fn::Sub"].endswith(":*") and r["Fn::Sub"].count("*") <= 1, st["Sid"]


def test_function_reads_only_incoming_objects_of_its_own_bucket() -> None:
    s3 = [st for st in _function_statements() if any(a.startswith("s3:") for a in _as_list(st["Action"]))]
    assert len(s3) == 1
    bucket_name = RES["ClaimsBucket"]["Properties"]["BucketName"]["Fn::Sub"]
    assert s3[0]["Resource"]["Fn::Sub"].endswith(f":::{bucket_name}/incoming/*")
    assert set(_as_list(s3[0]["Action"])) == {"s3:GetObject", "s3:GetObjectVersion"}


def test_function_runtime_architecture_and_layers() -> None:
    runtime = FUNC.get("Runtime", TPL["Globals"]["Function"].get("Runtime"))
    arch = FUNC.get("Architectures", TPL["Globals"]["Function"].get("Architectures"))
    assert runtime == "python3.13" and arch == ["arm64"]
    assert FUNC["Handler"] == "app.lambda_handler" and FUNC["CodeUri"].rstrip("/") == "functions/scrub_upload"
    assert {"Ref": "CtscrubLayer"} in FUNC["Layers"]
    powertools = [x["Fn::Sub"] for x in FUNC["Layers"] if isinstance(x, dict) and "Fn::Sub" in x]
    assert powertools and "AWSLambdaPowertoolsPythonV3-python313-arm64:${PowertoolsLayerVersion}" in powertools[0]
    layer = RES["CtscrubLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/ctscrub"
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert FUNC["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}


def test_s3_event_is_object_created_under_incoming_prefix() -> None:
    (event,) = FUNC["Events"].values()
    assert event["Type"] == "S3"
    props = event["Properties"]
    assert props["Bucket"] == {"Ref": "ClaimsBucket"}
    assert props["Events"] == "s3:ObjectCreated:*"
    assert props["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "incoming/"}]


def test_environment_covers_every_variable_the_code_reads() -> None:
    env = FUNC["Environment"]["Variables"]
    missing = [name for name in REQUIRED_ENV if name not in env]
    assert not missing, missing
    assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert env["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"
    assert env["INCOMING_PREFIX"] == "incoming/"


def test_data_at_rest_uses_the_customer_managed_key() -> None:
    key_ref = {"Ref": "DataKey"}
    bucket_sse = RES["ClaimsBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert bucket_sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket_sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    for table in ("FindingsTable", "IdempotencyTable"):
        p = RES[table]["Properties"]
        assert p["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_ref}
        assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert p["BillingMode"] == "PAY_PER_REQUEST"
    for name in ("AlertsTopic", "OpsTopic"):
        assert RES[name]["Properties"]["KmsMasterKeyId"] == key_ref
    assert RES["FailureQueue"]["Properties"]["KmsMasterKeyId"] == key_ref
    assert RES["ScrubLogGroup"]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert RES["ScrubLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert RES["DataKey"]["Properties"]["EnableKeyRotation"] is True


def test_bucket_is_private_versioned_and_owner_enforced() -> None:
    p = RES["ClaimsBucket"]["Properties"]
    assert all(p["PublicAccessBlockConfiguration"].values()) and len(p["PublicAccessBlockConfiguration"]) == 4
    assert p["VersioningConfiguration"]["Status"] == "Enabled"
    assert p["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_failed_invocations_go_to_an_alarmed_queue() -> None:
    on_failure = FUNC["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
    assert on_failure == {"Type": "SQS", "Destination": {"Fn::GetAtt": ["FailureQueue", "Arn"]}}
    alarm = RES["FailureQueueDepthAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["FailureQueue", "QueueName"]}
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible" and alarm["Threshold"] == 1
    assert RES["FailureQueue"]["Properties"]["MessageRetentionPeriod"] == {"Ref": "FailureRetentionSeconds"}


def test_idempotency_table_matches_powertools_defaults() -> None:
    """Powertools' DynamoDB persistence layer expects partition key ``id`` and TTL attribute ``expiration``."""
    p = RES["IdempotencyTable"]["Properties"]
    assert p["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert p["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_findings_table_has_the_claim_index() -> None:
    p = RES["FindingsTable"]["Properties"]
    assert [k["AttributeName"] for k in p["KeySchema"]] == ["pk", "sk"]
    (gsi,) = p["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "gsi1" and [k["AttributeName"] for k in gsi["KeySchema"]] == ["gsi1pk", "gsi1sk"]


@pytest.mark.parametrize("extra", [[], ["-a", "cfn_lint_serverless.rules"]])
def test_cfn_lint_reports_nothing(extra: list[str]) -> None:
    venv_exe = Path(sys.executable).with_name("cfn-lint")
    exe = str(venv_exe) if venv_exe.exists() else shutil.which("cfn-lint") or str(venv_exe)
    if not Path(exe).exists():
        pytest.skip("cfn-lint is not installed")
    proc = subprocess.run([exe, str(ROOT / "template.yaml"), *extra], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
