"""template.yaml: the security and wiring facts cfn-lint and checkov do not check for us."""

from __future__ import annotations

import re
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


def _role_statements() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for pol in RES["ScrubUploadRole"]["Properties"]["Policies"]:
        out.extend(_statements(pol["PolicyDocument"]))
    return out


def _by_sid(sid: str) -> dict[str, Any]:
    (st,) = [s for s in _role_statements() if s["Sid"] == sid]
    return st


BUCKET_NAME = RES["ClaimsBucket"]["Properties"]["BucketName"]["Fn::Sub"]
LOG_GROUP_NAME = RES["ScrubLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]


def test_function_runs_with_the_templates_role_only() -> None:
    """No SAM-generated role: SAM would add AWSLambdaBasicExecutionRole (logs on any log group)."""
    assert FUNC["Role"] == {"Fn::GetAtt": ["ScrubUploadRole", "Arn"]}
    assert "Policies" not in FUNC
    role = RES["ScrubUploadRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    (trust,) = _statements(role["AssumeRolePolicyDocument"])
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"


def test_function_reads_incoming_and_writes_reports_of_its_own_bucket_only() -> None:
    s3 = [st for st in _role_statements() if any(a.startswith("s3:") for a in _as_list(st["Action"]))]
    assert {st["Sid"] for st in s3} == {"ReadUploadedClaims", "WriteReports"}
    read, write = _by_sid("ReadUploadedClaims"), _by_sid("WriteReports")
    assert set(_as_list(read["Action"])) == {"s3:GetObject", "s3:GetObjectVersion"}
    assert read["Resource"]["Fn::Sub"].endswith(f":::{BUCKET_NAME}/incoming/*")
    assert _as_list(write["Action"]) == ["s3:PutObject"]
    assert write["Resource"]["Fn::Sub"].endswith(f":::{BUCKET_NAME}/reports/*")
    env = FUNC["Environment"]["Variables"]
    assert env["INCOMING_PREFIX"] == "incoming/" and env["REPORTS_PREFIX"] == "reports/"


def test_dynamodb_permissions_are_the_calls_the_code_makes() -> None:
    """Findings table: item calls, batch writes and queries (not Scan); idempotency table: Powertools' four."""
    findings = _by_sid("WriteFindingsAndUploadRecords")
    assert findings["Resource"] == {"Fn::GetAtt": ["FindingsTable", "Arn"]}
    assert set(findings["Action"]) == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                       "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Query"}
    index = _by_sid("QueryFindingsByClaim")
    assert index["Action"] == "dynamodb:Query" and index["Resource"] == {"Fn::Sub": "${FindingsTable.Arn}/index/gsi1"}
    idem = _by_sid("IdempotencyRecords")
    assert idem["Resource"] == {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}
    assert set(idem["Action"]) == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                   "dynamodb:DeleteItem"}


def test_topic_queue_secret_and_key_permissions_name_their_resource() -> None:
    assert _by_sid("PublishAlerts")["Resource"] == {"Ref": "AlertsTopic"}
    assert _by_sid("SendFailedEvents")["Resource"] == {"Fn::GetAtt": ["FailureQueue", "Arn"]}
    assert _by_sid("ReadScreeningHashKey")["Resource"] == {"Ref": "ScreeningHashKey"}
    kms = _by_sid("UseDataKeyThroughServices")
    assert kms["Resource"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert set(kms["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    via = [v["Fn::Sub"].split(".")[0] for v in kms["Condition"]["StringEquals"]["kms:ViaService"]]
    assert sorted(via) == ["dynamodb", "lambda", "s3", "secretsmanager", "sns", "sqs"]


def test_function_logs_to_its_encrypted_log_group() -> None:
    """The log group is the function's default name, exists first (LoggingConfig) and is the only one
    the role may write to and the only one CloudWatch Logs may use LogsKey for."""
    assert LOG_GROUP_NAME == "/aws/lambda/" + FUNC["FunctionName"]["Fn::Sub"]
    assert FUNC["LoggingConfig"] == {"LogGroup": {"Ref": "ScrubLogGroup"}}
    group_arn = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:" + LOG_GROUP_NAME
    assert _by_sid("WriteOwnLogGroup")["Resource"] == {"Fn::Sub": group_arn + ":log-stream:*"}
    (logs,) = [s for s in RES["LogsKey"]["Properties"]["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    assert logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == {"Fn::Sub": group_arn}


def test_ops_topic_accepts_this_stacks_alarms_only() -> None:
    doc = RES["OpsTopicPolicy"]["Properties"]["PolicyDocument"]
    (allow,) = [s for s in _statements(doc) if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and allow["Action"] == "sns:Publish"
    source = allow["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert source.endswith(":alarm:${AWS::StackName}-*")
    alarm_name = RES["FailureQueueDepthAlarm"]["Properties"]["AlarmName"]["Fn::Sub"]
    assert alarm_name.startswith("${AWS::StackName}-")
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_function_runtime_architecture_and_layers() -> None:
    runtime = FUNC.get("Runtime", TPL["Globals"]["Function"].get("Runtime"))
    arch = FUNC.get("Architectures", TPL["Globals"]["Function"].get("Architectures"))
    assert runtime == "python3.13" and arch == ["arm64"]
    assert FUNC["Handler"] == "app.lambda_handler" and FUNC["CodeUri"].rstrip("/") == "functions/scrub_upload"
    layer_choice = {"Fn::If": ["UseCompiledCtscrubLayer", {"Ref": "CtscrubLayerArn"}, {"Ref": "CtscrubLayer"}]}
    assert FUNC["Layers"][0] == layer_choice
    powertools = [x["Fn::Sub"] for x in FUNC["Layers"] if isinstance(x, dict) and "Fn::Sub" in x]
    assert powertools and "AWSLambdaPowertoolsPythonV3-python313-arm64:${PowertoolsLayerVersion}" in powertools[0]
    layer = RES["CtscrubLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/ctscrub"
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert FUNC["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}


def test_the_ctscrub_layer_defaults_to_the_one_sam_builds_from_the_sources() -> None:
    """CtscrubLayerArn (a compiled layer from scripts/build_layer_arm64.sh) is opt-in: empty by default."""
    param = TPL["Parameters"]["CtscrubLayerArn"]
    assert param["Type"] == "String" and param["Default"] == ""
    assert "scripts/build_layer_arm64.sh" in param["Description"]
    assert TPL["Conditions"]["UseCompiledCtscrubLayer"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "CtscrubLayerArn"}, ""]}]}
    (choice,) = [x["Fn::If"] for x in FUNC["Layers"] if isinstance(x, dict) and "Fn::If" in x]
    assert choice == ["UseCompiledCtscrubLayer", {"Ref": "CtscrubLayerArn"}, {"Ref": "CtscrubLayer"}]
    # With the default (condition false) the function gets the source-built layer.
    assert choice[2] == {"Ref": "CtscrubLayer"} and RES["CtscrubLayer"]["Properties"]["ContentUri"] == "layers/ctscrub"
    pattern = re.compile(param["AllowedPattern"])
    assert pattern.fullmatch("")
    assert pattern.fullmatch("arn:aws:lambda:us-east-1:123456789012:layer:ctscrub-compiled:3")
    assert not pattern.fullmatch("arn:aws:lambda:us-east-1:123456789012:layer:ctscrub-compiled")


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


def test_data_at_rest_uses_the_key_of_its_trust_boundary() -> None:
    """Claim data under DataKey; the log group under LogsKey; alarm notifications under OpsKey."""
    key_ref = {"Ref": "DataKey"}
    bucket_sse = RES["ClaimsBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert bucket_sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket_sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    for table in ("FindingsTable", "IdempotencyTable"):
        p = RES[table]["Properties"]
        assert p["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_ref}
        assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert RES["AlertsTopic"]["Properties"]["KmsMasterKeyId"] == key_ref
    assert RES["FailureQueue"]["Properties"]["KmsMasterKeyId"] == key_ref
    assert RES["ScreeningHashKey"]["Properties"]["KmsKeyId"] == key_ref
    assert FUNC["KmsKeyArn"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert RES["OpsTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "OpsKey"}
    assert RES["ScrubLogGroup"]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["LogsKey", "Arn"]}
    assert RES["ScrubLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    for key in ("DataKey", "LogsKey", "OpsKey"):
        assert RES[key]["Properties"]["EnableKeyRotation"] is True
        assert RES[key]["DeletionPolicy"] == "Retain"


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
