"""Expand template.yaml with the SAM translator, offline, into plain CloudFormation (JSON).

checkov then scans what CloudFormation would really create (the function, its permission, the event
invoke config, the layer version), not only the SAM shorthand. Needs ``aws-sam-translator`` (installed
in .venv-checkov by scripts/security_scan.sh).

    python scripts/expand_template.py template.yaml build/security-scan/template.expanded.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

# The translator builds ARNs from the session's region and partition; a fixed region keeps it offline.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# Local code locations that `sam build`/`sam package` would turn into S3 locations.
_CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


class OfflinePolicyLoader(ManagedPolicyLoader):
    """Never calls IAM: a managed policy named by its short name makes the expansion fail instead."""

    def __init__(self) -> None:
        super().__init__(iam_client=None)  # type: ignore[arg-type]

    def load(self) -> dict[str, str]:
        return {}


def with_s3_code_locations(template: dict[str, Any]) -> dict[str, Any]:
    """Replace local CodeUri/ContentUri paths with placeholder S3 URIs (the translator only takes S3)."""
    for name, res in template.get("Resources", {}).items():
        prop = _CODE_PROPERTIES.get(res.get("Type", ""))
        props = res.get("Properties", {})
        if prop and isinstance(props.get(prop), str) and not props[prop].startswith("s3://"):
            props[prop] = f"s3://offline-expansion/{name}.zip"
    return template


def expand(template_text: str) -> dict[str, Any]:
    template = with_s3_code_locations(yaml_parse(template_text))
    expanded: dict[str, Any] = transform(template, {}, OfflinePolicyLoader())
    return expanded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    try:
        expanded = expand(args.template.read_text("utf-8"))
    except InvalidDocumentException as exc:
        for cause in exc.causes:
            print(f"SAM translator: {cause.message}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(expanded, indent=1, sort_keys=True) + "\n", "utf-8")
    types = sorted({r["Type"] for r in expanded.get("Resources", {}).values()})
    print(f"expanded {args.template} -> {args.output}: {len(expanded.get('Resources', {}))} resources "
          f"({', '.join(types)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
