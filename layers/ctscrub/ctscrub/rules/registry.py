"""How rules are declared and what they receive.

A rule is a small pure function ``(claim, ctx) -> Iterable[Finding]`` registered with ``@rule``.
Modules under ``ctscrub/rules/`` are one rule family each; ``ctscrub.rules.all_rules()`` imports them.
A rule may name its trigger (``when=``, a ``rules.facts.Trigger``): the condition without which it cannot
raise anything; ``RulePlan`` skips it for claims that do not meet it (most claims meet few triggers).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol, TypeVar

from ctscrub.model import Claim, Finding, LinePrice, ServiceLine, Severity
from ctscrub.refdata.types import ReferenceLookups
from ctscrub.rules.catalog import RULES

if TYPE_CHECKING:
    from ctscrub.rules.facts import ClaimFacts

_V = TypeVar("_V")


class ScreeningHistory(Protocol):
    """Earlier LDCT screening dates of a beneficiary, across uploads (DynamoDB in AWS, memory locally)."""

    def previous_screens(self, claim: Claim) -> list[date]: ...

    def record_screen(self, claim: Claim, service_date: date) -> None: ...


class SeenLine(NamedTuple):
    """A line of an earlier claim of the upload, for same-patient same-date checks across claims.

    It reads as a ``rules.facts.Peer`` of the later claim's lines (always another claim, always billed
    before), so the index entries serve as peers without being copied. A named tuple, not a dataclass:
    the pipeline indexes every line of the upload, and ``tuple.__new__`` builds one in a fraction of a
    dataclass ``__init__``.
    """

    claim_id: str
    line: int
    code: str
    modifiers: tuple[str, ...]
    units: Decimal = Decimal(1)
    rendering_npi: str | None = None  # line or claim rendering provider, for same-provider edits

    # Peer's flags. Properties, not plain class attributes: a NamedTuple cannot declare ClassVars, and a
    # compiled build (scripts/build_compiled.py) would take such attributes for fields. Read only when a
    # rule names a peer.
    @property
    def same_claim(self) -> bool:
        return False

    @property
    def before(self) -> bool:
        return True

    def ref(self) -> str:
        return f"line {self.line} of claim {self.claim_id}"

    def has_modifier(self, *mods: str) -> bool:
        return any(m in self.modifiers for m in mods)


@dataclass(slots=True)
class RuleContext:
    as_of: date  # the processing date (DOS_FUTURE, TIMELY_FILING)
    refdata: ReferenceLookups
    # Lines of earlier claims in this upload, keyed by (patient key, service date): tuples in SeenLine's
    # field order (SeenLine itself, or the plain tuple the pipeline stores: every line of an upload is
    # indexed, and most are never a peer). The pipeline keeps only the most recent groups
    # (pipeline.PATIENT_DAY_WINDOW) so memory stays flat on big files.
    patient_day_lines: dict[tuple[int, date], list[tuple[Any, ...]]] = field(default_factory=dict)
    # The index's keys in the order the pipeline added them, so the oldest group can leave first. A deque beside a
    # plain dict, not an OrderedDict: 300,000 inserts with a 10,000-key window took 0.10-0.26 s against
    # 0.35-0.38 s (interpreted, timeit), and every claim of an upload adds a key.
    patient_day_order: deque[tuple[int, date]] = field(default_factory=deque)
    screening_history: ScreeningHistory | None = None
    # Expected allowed amounts of this claim's chest CT lines, by line number (set by the pipeline
    # before the rules run, so findings can state the dollars at stake).
    prices: dict[int, LinePrice] = field(default_factory=dict)
    # Facts of the claim being checked (set by the pipeline around its rules; see rules/facts.py).
    # A ClaimFacts, or None between claims. Any: a compiled build (scripts/build_compiled.py) checks a
    # dataclass field's class at run time, and rules/facts.py, which imports this module, defines it.
    facts: Any = None
    # Answers the trigger screen (rules/screen.py) and the rules reuse within the upload (never patient
    # data), bounded where they are stored (``remember`` for the rules).
    memo: dict[object, Any] = field(default_factory=dict)

    def price_of(self, line: ServiceLine) -> Decimal | None:
        p = self.prices.get(line.number)
        return p.allowed if p else None


_MEMO_LIMIT = 1 << 15  # answers ``RuleContext.memo`` holds before it is emptied (bounds memory on hostile files)


def remember(memo: dict[object, Any], key: object, value: _V) -> _V:
    """Store one screen or rule answer in ``RuleContext.memo``; emptied when full, so a hostile file cannot
    grow it."""
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


RuleFn = Callable[[Claim, RuleContext], Iterable[Finding]]
_REGISTERED: Final[list[tuple[tuple[str, ...], RuleFn]]] = []
_GATES: dict[RuleFn, int] = {}


def rule(*rule_ids: str, when: int | None = None) -> Callable[[RuleFn], RuleFn]:
    """Register a rule function and the rule ids it may raise (checked against the catalog).

    ``when``: the trigger every claim meets on which the rule can raise a finding or change any state
    (``rules/screen.py`` finds a claim's triggers). Without one, the rule runs on every chest CT claim.
    """
    for rid in rule_ids:
        if rid not in RULES:
            raise KeyError(f"rule id {rid!r} is not in ctscrub.rules.catalog")

    def deco(fn: RuleFn) -> RuleFn:
        _REGISTERED.append((rule_ids, fn))
        if when is not None:
            _GATES[fn] = when
        return fn

    return deco


def registered() -> list[tuple[tuple[str, ...], RuleFn]]:
    return list(_REGISTERED)


def gate_of(fn: RuleFn) -> int | None:
    return _GATES.get(fn)


class RulePlan:
    """The rules to run on each claim, in registration order, without those whose trigger it does not meet.

    The rule list of each combination of triggers is built once (a few dozen combinations per upload).
    """

    def __init__(self, rules: Iterable[RuleFn]) -> None:
        self.rules = list(rules)
        self._by_triggers: dict[int, list[RuleFn]] = {}

    def for_claim(self, facts: ClaimFacts) -> list[RuleFn]:
        met = facts.triggers
        hit = self._by_triggers.get(met)
        if hit is None:
            hit = self._by_triggers[met] = [fn for fn in self.rules
                                            if (t := _GATES.get(fn)) is None or t & met]
        return hit


def finding(
    rule_id: str,
    claim: Claim | None,
    line: ServiceLine | None,
    message: str,
    suggestion: str,
    *,
    code: str | None = None,
    severity: Severity | None = None,
    source: str | None = None,
    dataset: str | None = None,
    amount_at_stake: Decimal | None = None,
) -> Finding:
    """Build a finding with the catalog's default severity and source filled in.

    ``message`` and ``suggestion`` must never contain patient data (names, birth dates, member ids).
    """
    info = RULES[rule_id]
    # positional, in Finding's field order: every finding of an upload is built here
    if line is not None:
        return Finding(rule_id, severity or info.severity, claim.claim_id if claim is not None else None,
                       line.number, line.procedure_code if code is None else code, message, suggestion,
                       source or info.source, dataset, amount_at_stake)
    return Finding(rule_id, severity or info.severity, claim.claim_id if claim is not None else None, None, code,
                   message, suggestion, source or info.source, dataset, amount_at_stake)
