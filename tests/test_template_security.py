"""template.yaml security controls that checkov and cfn-lint do not check (docs/SECURITY.md).

Each control is a function returning the problems it finds. The tests run it on the real template (no
problems) and on a copy broken on purpose (the problem is reported), so a control that can never fail is
itself a failing test.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ctscrub.aws.cfn_template import load_template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_TEXT = (ROOT / "template.yaml").read_text("utf-8")
TPL = load_template(ROOT / "template.yaml")

Template = dict[str, Any]

# Stores of claim data and what derives from it; each must be encrypted with a key of this template.
ENCRYPTION_PROPERTY = {
    "AWS::S3::Bucket": "BucketEncryption",
    "AWS::DynamoDB::Table": "SSESpecification",
    "AWS::SNS::Topic": "KmsMasterKeyId",
    "AWS::SQS::Queue": "KmsMasterKeyId",
    "AWS::Logs::LogGroup": "KmsKeyId",
    "AWS::SecretsManager::Secret": "KmsKeyId",
    "AWS::Serverless::Function": "KmsKeyArn",
}
# Resource policies that must refuse plain-HTTP requests, and the action prefix of their service.
TLS_ONLY = {
    "AWS::S3::BucketPolicy": "s3:",
    "AWS::SNS::TopicPolicy": "sns:",
    "AWS::SQS::QueuePolicy": "sqs:",
}
# Actions that take no resource-level permissions in IAM: "*" is the only possible resource.
RESOURCELESS_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# A trailing wildcard is allowed only for object keys under a named prefix and log streams of a named group.
ALLOWED_RESOURCE_WILDCARDS = (
    re.compile(r":::[^*]+/(incoming|reports)/\*$"),
    re.compile(r":log-group:[^*]+:log-stream:\*$"),
)


# ---------------------------------------------------------------- template walking helpers

def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _resources(tpl: Template, *types: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in tpl["Resources"].items() if not types or v["Type"] in types}


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(doc.get("Statement", [])) if isinstance(s, dict)]


def _policy_documents(tpl: Template) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every policy document in the template as (resource, kind, document); kind: key, resource or iam."""
    for name, res in tpl["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::KMS::Key":
            yield name, "key", props["KeyPolicy"]
        elif "PolicyDocument" in props:
            yield name, "resource" if res["Type"] in TLS_ONLY else "iam", props["PolicyDocument"]
        for pol in _as_list(props.get("Policies", [])):
            if isinstance(pol, dict):
                yield name, "iam", pol.get("PolicyDocument", pol)


def _text(v: Any) -> str:
    """The literal text of a resource or action: a plain string or the string of an Fn::Sub."""
    if isinstance(v, str):
        return v
    if isinstance(v, dict) and "Fn::Sub" in v:
        sub = v["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return ""


def _is_root_delegation(st: dict[str, Any]) -> bool:
    """The AWS default key-policy statement: the account administers the key through IAM policies."""
    principal = st.get("Principal", {})
    return isinstance(principal, dict) and _text(principal.get("AWS")).endswith(":iam::${AWS::AccountId}:root")


def _key_of(tpl: Template, ref: Any) -> str | None:
    """The logical id of the KMS key a Ref/GetAtt points to, if it is a key of this template."""
    if isinstance(ref, dict):
        target = ref.get("Ref") or (ref.get("Fn::GetAtt") or [None])[0]
        if target in _resources(tpl, "AWS::KMS::Key"):
            return str(target)
    return None


def _encryption_key_ref(res_type: str, props: dict[str, Any]) -> Any:
    value = props.get(ENCRYPTION_PROPERTY[res_type])
    if res_type == "AWS::S3::Bucket":
        rules = (value or {}).get("ServerSideEncryptionConfiguration", [{}])
        default = rules[0].get("ServerSideEncryptionByDefault", {})
        return default.get("KMSMasterKeyID") if default.get("SSEAlgorithm") == "aws:kms" else None
    if res_type == "AWS::DynamoDB::Table":
        value = value or {}
        ok = value.get("SSEEnabled") is True and value.get("SSEType") == "KMS"
        return value.get("KMSMasterKeyId") if ok else None
    return value


# ---------------------------------------------------------------- the controls

def tls_problems(tpl: Template) -> list[str]:
    """Bucket, topics and queue: a Deny for every principal when aws:SecureTransport is false."""
    problems = []
    policies = _resources(tpl, *TLS_ONLY)
    covered: set[str] = set()
    for name, res in policies.items():
        prefix = TLS_ONLY[res["Type"]]
        deny = [s for s in _statements(res["Properties"]["PolicyDocument"])
                if s.get("Effect") == "Deny" and s.get("Principal") == "*"
                and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
                and all(_text(a).startswith(prefix) for a in _as_list(s.get("Action")))]
        if not deny:
            problems.append(f"{name}: no Deny on {prefix}* when aws:SecureTransport is false")
            continue
        actions = {a for s in deny for a in _as_list(s["Action"])}
        if res["Type"] == "AWS::SNS::TopicPolicy" and not actions & {"sns:*", "sns:Publish"}:
            problems.append(f"{name}: the TLS Deny does not cover sns:Publish")
        if res["Type"] == "AWS::S3::BucketPolicy":
            resources = [_text(r) for s in deny for r in _as_list(s["Resource"])]
            bucket = res["Properties"]["Bucket"].get("Ref", "")
            if not any(r.endswith(f"${{{bucket}}}") for r in resources) or \
                    not any(r.endswith(f"${{{bucket}}}/*") for r in resources):
                problems.append(f"{name}: the TLS Deny must cover the bucket and its objects")
            covered.add(bucket)
        else:
            target_prop = "Topics" if res["Type"] == "AWS::SNS::TopicPolicy" else "Queues"
            covered.update(t.get("Ref", "") for t in res["Properties"][target_prop])
    for name in _resources(tpl, "AWS::S3::Bucket", "AWS::SNS::Topic", "AWS::SQS::Queue"):
        if name not in covered:
            problems.append(f"{name}: no TLS-only resource policy")
    return problems


def wildcard_action_problems(tpl: Template) -> list[str]:
    """No Allow grants a wildcard action ("*", "s3:*", "s3:Get*"), bar the key policies' root delegation."""
    problems = []
    for name, kind, doc in _policy_documents(tpl):
        for st in _statements(doc):
            if st.get("Effect") != "Allow" or (kind == "key" and _is_root_delegation(st)):
                continue
            if "NotAction" in st:
                problems.append(f"{name}/{st.get('Sid')}: NotAction in an Allow")
            for action in _as_list(st.get("Action", [])):
                if "*" in _text(action):
                    problems.append(f"{name}/{st.get('Sid')}: wildcard action {action}")
    return problems


def wildcard_resource_problems(tpl: Template) -> list[str]:
    """IAM Allows name their resources: "*" only for actions without resource-level permissions, and a
    trailing wildcard only for objects under incoming/ or reports/ and the streams of a named log group."""
    problems = []
    for name, kind, doc in _policy_documents(tpl):
        if kind == "key":  # in a key policy, "Resource": "*" means this key and nothing else
            continue
        for st in _statements(doc):
            if st.get("Effect") != "Allow":
                continue
            sid = f"{name}/{st.get('Sid')}"
            if "NotResource" in st:
                problems.append(f"{sid}: NotResource in an Allow")
            for r in _as_list(st.get("Resource", [])):
                text = _text(r)
                if text == "*":
                    extra = set(_as_list(st["Action"])) - RESOURCELESS_ACTIONS
                    if extra:
                        problems.append(f"{sid}: Resource '*' for {sorted(extra)}")
                elif "*" in text and not any(p.search(text) for p in ALLOWED_RESOURCE_WILDCARDS):
                    problems.append(f"{sid}: wildcard resource {text}")
    return problems


def encryption_problems(tpl: Template) -> list[str]:
    """Every data store (bucket, tables, topics, queues, log groups, secrets, function environment) is
    encrypted with a customer-managed key of this template that rotates."""
    problems = []
    for name, res in _resources(tpl, *ENCRYPTION_PROPERTY).items():
        key = _key_of(tpl, _encryption_key_ref(res["Type"], res.get("Properties", {})))
        if key is None:
            problems.append(f"{name}: not encrypted with a customer-managed key of this template")
        elif tpl["Resources"][key]["Properties"].get("EnableKeyRotation") is not True:
            problems.append(f"{name}: key {key} does not rotate")
    return problems


def pitr_problems(tpl: Template) -> list[str]:
    """Every DynamoDB table has point-in-time recovery."""
    return [f"{name}: no point-in-time recovery" for name, res in _resources(tpl, "AWS::DynamoDB::Table").items()
            if res["Properties"].get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
            is not True]


def log_retention_problems(tpl: Template) -> list[str]:
    """Every log group has a retention from the LogRetentionDays parameter, and every function logs to
    a log group of this template (not one Lambda would create without retention or key)."""
    problems = [f"{name}: retention is not the LogRetentionDays parameter"
                for name, res in _resources(tpl, "AWS::Logs::LogGroup").items()
                if res["Properties"].get("RetentionInDays") != {"Ref": "LogRetentionDays"}]
    groups = _resources(tpl, "AWS::Logs::LogGroup")
    for name, res in _resources(tpl, "AWS::Serverless::Function", "AWS::Lambda::Function").items():
        target = res["Properties"].get("LoggingConfig", {}).get("LogGroup", {})
        if not (isinstance(target, dict) and target.get("Ref") in groups):
            problems.append(f"{name}: LoggingConfig.LogGroup is not a log group of this template")
    return problems


def reserved_concurrency_problems(tpl: Template) -> list[str]:
    """Every function's reserved concurrency is the ReservedConcurrency parameter (at least 1)."""
    param = tpl["Parameters"].get("ReservedConcurrency", {})
    problems = [] if param.get("Type") == "Number" and param.get("MinValue", 0) >= 1 else \
        ["ReservedConcurrency: not a Number parameter with MinValue >= 1"]
    problems += [f"{name}: ReservedConcurrentExecutions is not the ReservedConcurrency parameter"
                 for name, res in _resources(tpl, "AWS::Serverless::Function").items()
                 if res["Properties"].get("ReservedConcurrentExecutions") != {"Ref": "ReservedConcurrency"}]
    return problems


def key_policy_problems(tpl: Template) -> list[str]:
    """Service principals only where a service must use a key: none on DataKey; CloudWatch Logs on LogsKey
    for the scrub log group only; CloudWatch (alarms) on OpsKey."""
    problems = []
    allowed: dict[str, set[str]] = {
        "DataKey": set(),
        "LogsKey": {"logs.${AWS::Region}.amazonaws.com"},
        "OpsKey": {"cloudwatch.amazonaws.com"},
    }
    group = _text(tpl["Resources"]["ScrubLogGroup"]["Properties"]["LogGroupName"])
    group_arn = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{group}"
    for name, res in _resources(tpl, "AWS::KMS::Key").items():
        for st in _statements(res["Properties"]["KeyPolicy"]):
            if st.get("Effect") != "Allow" or _is_root_delegation(st):
                continue
            principal = st.get("Principal")
            if not isinstance(principal, dict):
                principal = {"AWS": principal}
            services = {_text(s) for s in _as_list(principal.get("Service", []))}
            if not services or set(principal) != {"Service"}:
                problems.append(f"{name}/{st.get('Sid')}: principal other than a service: {principal}")
            if services - allowed.get(name, set()):
                problems.append(f"{name}/{st.get('Sid')}: service principal not needed here: {sorted(services)}")
            if "logs.${AWS::Region}.amazonaws.com" in services:
                context = st.get("Condition", {}).get("ArnEquals", {}).get("kms:EncryptionContext:aws:logs:arn")
                if _text(context) != group_arn:
                    problems.append(f"{name}/{st.get('Sid')}: logs may use the key beyond the scrub log group")
    return problems


def suppression_problems(text: str, tpl: Template) -> list[str]:
    """Every checkov skip has a comment, and every cfn-lint ignore_checks list starts with a # reason."""
    problems = []
    for name, res in tpl["Resources"].items():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            if len(str(skip.get("comment", "")).strip()) < 20:
                problems.append(f"{name}: checkov skip {skip.get('id')} has no written reason")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "ignore_checks:" and not lines[i + 1].strip().startswith("#"):
            problems.append(f"line {i + 1}: cfn-lint ignore_checks without a reason comment")
    return problems


CONTROLS: dict[str, Callable[[Template], list[str]]] = {
    "tls": tls_problems,
    "wildcard_actions": wildcard_action_problems,
    "wildcard_resources": wildcard_resource_problems,
    "encryption": encryption_problems,
    "pitr": pitr_problems,
    "log_retention": log_retention_problems,
    "reserved_concurrency": reserved_concurrency_problems,
    "key_policies": key_policy_problems,
}


@pytest.mark.parametrize("control", sorted(CONTROLS))
def test_template_passes_control(control: str) -> None:
    """template.yaml has none of the problems the control looks for."""
    assert CONTROLS[control](TPL) == []


def test_every_suppression_has_a_written_reason() -> None:
    assert suppression_problems(TEMPLATE_TEXT, TPL) == []


# ---------------------------------------------------------------- each control can fail

def _role_statements(tpl: Template) -> list[dict[str, Any]]:
    return _statements(tpl["Resources"]["ScrubUploadRole"]["Properties"]["Policies"][0]["PolicyDocument"])


def _sid(tpl: Template, resource: str, sid: str) -> dict[str, Any]:
    doc = tpl["Resources"][resource]["Properties"]
    doc = doc.get("PolicyDocument") or doc.get("KeyPolicy")
    statements = _role_statements(tpl) if resource == "ScrubUploadRole" else _statements(doc)
    (st,) = [s for s in statements if s.get("Sid") == sid]
    return st


def _break_bucket_tls(t: Template) -> None:
    _sid(t, "ClaimsBucketPolicy", "DenyInsecureTransport")["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}


def _bucket_tls_objects_only(t: Template) -> None:
    _sid(t, "ClaimsBucketPolicy", "DenyInsecureTransport")["Resource"] = [
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ClaimsBucket}/*"}]


def _drop_queue_policy(t: Template) -> None:
    del t["Resources"]["FailureQueuePolicy"]


def _topic_tls_subscribe_only(t: Template) -> None:
    _sid(t, "AlertsTopicPolicy", "DenyInsecureTransport")["Action"] = ["sns:Subscribe"]


def _star_action_in_role(t: Template) -> None:
    _sid(t, "ScrubUploadRole", "WriteFindingsAndUploadRecords")["Action"] = "dynamodb:*"


def _prefix_action_in_role(t: Template) -> None:
    _sid(t, "ScrubUploadRole", "ReadUploadedClaims")["Action"] = ["s3:Get*"]


def _star_action_in_key_policy(t: Template) -> None:
    _sid(t, "OpsKey", "CloudWatchAlarmsPublishToOpsTopic")["Action"] = "kms:*"


def _star_resource_on_data(t: Template) -> None:
    _sid(t, "ScrubUploadRole", "PublishAlerts")["Resource"] = "*"


def _whole_bucket(t: Template) -> None:
    _sid(t, "ScrubUploadRole", "ReadUploadedClaims")["Resource"] = {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::${AWS::StackName}-claims-${AWS::AccountId}-${AWS::Region}/*"}


def _data_action_next_to_xray(t: Template) -> None:
    _sid(t, "ScrubUploadRole", "SendTraceSegments")["Action"].append("s3:GetObject")


def _all_tables(t: Template) -> None:
    _sid(t, "ScrubUploadRole", "IdempotencyRecords")["Resource"] = {
        "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"}


def _queue_aws_managed(t: Template) -> None:
    t["Resources"]["FailureQueue"]["Properties"]["KmsMasterKeyId"] = "alias/aws/sqs"


def _table_default_encryption(t: Template) -> None:
    del t["Resources"]["IdempotencyTable"]["Properties"]["SSESpecification"]


def _bucket_sse_s3(t: Template) -> None:
    sse = t["Resources"]["ClaimsBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    sse["ServerSideEncryptionByDefault"] = {"SSEAlgorithm": "AES256"}


def _log_group_unencrypted(t: Template) -> None:
    del t["Resources"]["ScrubLogGroup"]["Properties"]["KmsKeyId"]


def _key_without_rotation(t: Template) -> None:
    t["Resources"]["LogsKey"]["Properties"]["EnableKeyRotation"] = False


def _no_pitr(t: Template) -> None:
    del t["Resources"]["FindingsTable"]["Properties"]["PointInTimeRecoverySpecification"]


def _no_retention(t: Template) -> None:
    del t["Resources"]["ScrubLogGroup"]["Properties"]["RetentionInDays"]


def _function_default_log_group(t: Template) -> None:
    del t["Resources"]["ScrubUploadFunction"]["Properties"]["LoggingConfig"]


def _fixed_concurrency(t: Template) -> None:
    t["Resources"]["ScrubUploadFunction"]["Properties"]["ReservedConcurrentExecutions"] = 10


def _service_on_data_key(t: Template) -> None:
    t["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"].append(
        {"Sid": "Sns", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
         "Action": ["kms:Decrypt"], "Resource": "*"})


def _logs_any_group(t: Template) -> None:
    _sid(t, "LogsKey", "CloudWatchLogsEncryptsTheScrubLogGroup")["Condition"] = {"ArnLike": {
        "kms:EncryptionContext:aws:logs:arn": {
            "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"}}}


BREAKAGES: list[tuple[str, Callable[[Template], None], str]] = [
    ("tls", _break_bucket_tls, "ClaimsBucketPolicy"),
    ("tls", _bucket_tls_objects_only, "bucket and its objects"),
    ("tls", _drop_queue_policy, "FailureQueue: no TLS-only"),
    ("tls", _topic_tls_subscribe_only, "sns:Publish"),
    ("wildcard_actions", _star_action_in_role, "dynamodb:*"),
    ("wildcard_actions", _prefix_action_in_role, "s3:Get*"),
    ("wildcard_actions", _star_action_in_key_policy, "kms:*"),
    ("wildcard_resources", _star_resource_on_data, "PublishAlerts"),
    ("wildcard_resources", _whole_bucket, "claims"),
    ("wildcard_resources", _data_action_next_to_xray, "s3:GetObject"),
    ("wildcard_resources", _all_tables, "table/*"),
    ("encryption", _queue_aws_managed, "FailureQueue"),
    ("encryption", _table_default_encryption, "IdempotencyTable"),
    ("encryption", _bucket_sse_s3, "ClaimsBucket"),
    ("encryption", _log_group_unencrypted, "ScrubLogGroup"),
    ("encryption", _key_without_rotation, "does not rotate"),
    ("pitr", _no_pitr, "FindingsTable"),
    ("log_retention", _no_retention, "ScrubLogGroup"),
    ("log_retention", _function_default_log_group, "LoggingConfig"),
    ("reserved_concurrency", _fixed_concurrency, "ScrubUploadFunction"),
    ("key_policies", _service_on_data_key, "DataKey"),
    ("key_policies", _logs_any_group, "beyond the scrub log group"),
]


@pytest.mark.parametrize(("control", "breakage", "expected"), BREAKAGES,
                         ids=[b[1].__name__.lstrip("_") for b in BREAKAGES])
def test_control_reports_a_broken_template(control: str, breakage: Callable[[Template], None],
                                           expected: str) -> None:
    """The control fires on a copy of the template broken on purpose, naming what is wrong."""
    broken = copy.deepcopy(TPL)
    breakage(broken)
    problems = CONTROLS[control](broken)
    assert any(expected in p for p in problems), problems


def test_every_control_has_a_breakage() -> None:
    assert {c for c, _, _ in BREAKAGES} == set(CONTROLS)


def test_suppression_check_reports_a_skip_without_reason() -> None:
    broken = copy.deepcopy(TPL)
    broken["Resources"]["ClaimsBucket"]["Metadata"]["checkov"]["skip"][0]["comment"] = ""
    assert any("CKV_AWS_18" in p for p in suppression_problems(TEMPLATE_TEXT, broken))
    bare = TEMPLATE_TEXT.replace("ignore_checks:\n            #", "ignore_checks:\n            - X\n#", 1)
    assert any("ignore_checks" in p for p in suppression_problems(bare, TPL))
