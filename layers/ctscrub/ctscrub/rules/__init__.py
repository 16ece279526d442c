"""Rule families, one module each. Find a rule by its id in ``catalog.py``: its ``family`` names the module."""

from __future__ import annotations

from ctscrub.rules.registry import RuleContext, RuleFn, finding, registered, rule

_FAMILIES = (
    "coding",
    "modifiers",
    "place_of_service",
    "diagnosis",
    "screening",
    "providers",
    "documentation",
    "dates",
    "payment",
    "claim",
)


def all_rules() -> list[RuleFn]:
    """Import every family (registering its rules) and return the rule functions in a stable order."""
    import importlib

    for fam in _FAMILIES:
        importlib.import_module(f"ctscrub.rules.{fam}")
    return [fn for _ids, fn in registered()]


__all__ = ["RuleContext", "RuleFn", "all_rules", "finding", "rule"]
