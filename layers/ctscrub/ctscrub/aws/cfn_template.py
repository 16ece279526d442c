"""Read template.yaml (CloudFormation short-form tags included) and resolve simple intrinsics.

Used by the embedded local run (names and table schemas come from the template instead of being
duplicated) and by the template tests. Needs PyYAML (a dependency of moto[s3] and cfn-lint).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

_TAGS = {
    "Ref": "Ref", "Sub": "Fn::Sub", "GetAtt": "Fn::GetAtt", "Join": "Fn::Join", "If": "Fn::If",
    "Equals": "Fn::Equals", "Not": "Fn::Not", "And": "Fn::And", "Or": "Fn::Or", "Select": "Fn::Select",
    "Split": "Fn::Split", "FindInMap": "Fn::FindInMap", "ImportValue": "Fn::ImportValue",
    "GetAZs": "Fn::GetAZs", "Base64": "Fn::Base64", "Condition": "Condition", "Cidr": "Fn::Cidr",
}


def _loader() -> type:
    import yaml

    class CfnLoader(yaml.SafeLoader):
        pass

    def construct(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
        name = _TAGS.get(tag_suffix, f"Fn::{tag_suffix}")
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    CfnLoader.add_multi_constructor("!", construct)
    return CfnLoader


def load_template(path: str | Path) -> dict[str, Any]:
    import yaml

    doc: dict[str, Any] = yaml.load(Path(path).read_text("utf-8"), Loader=_loader())  # noqa: S506 (SafeLoader subclass)
    return doc


_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


class Resolver:
    """Resolves Ref, Fn::Sub and Fn::GetAtt against fixed values (for a local, in-process stack)."""

    def __init__(self, refs: Mapping[str, str], getatt: Callable[[str, str], str]) -> None:
        self._refs = refs
        self._getatt = getatt

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (name, arg), = value.items()
            if name == "Ref":
                return self._refs[arg]
            if name == "Fn::GetAtt":
                return self._getatt(arg[0], arg[1])
            if name == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                local = {k: self.resolve(v) for k, v in extra.items()}

                def sub(m: re.Match[str]) -> str:
                    var = m.group(1)
                    if var in local:
                        return str(local[var])
                    if "." in var and var.split(".", 1)[0] in self._refs:
                        res, att = var.split(".", 1)
                        return self._getatt(res, att)
                    return str(self._refs[var])

                return _SUB_VAR.sub(sub, text)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value
