"""Rule families, one module each. Find a rule by its id in ``catalog.py``: its ``family`` names the module.

Adding a rule: add its id to ``catalog.py``; write ``@rule("ID", when=Trigger.X)`` over a function
``(claim, ctx) -> Iterable[Finding]`` in its family's module; give it a ``Trigger`` (``facts.py``) and set
that trigger in ``screen.py`` from the same helper the rule uses, so the pipeline runs the rule only on
claims where it can fire. ``tests/test_hot_path.py`` checks on random claims that no rule fires without
its trigger; extend its random claims until the new rule fires there too.
"""

from __future__ import annotations

from typing import Final

from ctscrub.rules.registry import RuleContext, RuleFn, finding, registered, rule

_FAMILIES: Final = (
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
