"""CPU seconds per pipeline stage on one file: prints numbers, asserts nothing.

Run: ``.venv/bin/python bench/stage_times.py [FILE]`` (default: the 100,000-line CSV of
``bench_pipeline.generate_csv``, written to /tmp/b100k.csv when missing). Stages: the reader alone; then,
over the claims read into memory, per-claim facts with the patient key, the trigger screen
(``rules/screen.py``), pricing, the rules that run, and the same-patient index. Best of 3 runs each.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from ctscrub.absence_findings import HeldResults
from ctscrub.formats import open_reader
from ctscrub.payment import price_claim
from ctscrub.pipeline import _remember_lines
from ctscrub.refdata import load_reference_data
from ctscrub.rules import all_rules
from ctscrub.rules.facts import ClaimFacts
from ctscrub.rules.registry import RuleContext, RulePlan
from ctscrub.screening_history import InMemoryScreeningHistory

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import generate_csv

AS_OF = date(2026, 11, 28)


def reader_seconds(path: Path) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        with path.open("rb") as fh:
            for _claim in open_reader(fh).claims():
                pass
        best = min(best, time.process_time() - start)
    return best


def stage_seconds(path: Path) -> dict[str, float]:
    with path.open("rb") as fh:
        claims = list(open_reader(fh).claims())
    clock = time.process_time
    best: dict[str, float] = defaultdict(lambda: float("inf"))
    for _ in range(3):
        spent: dict[str, float] = defaultdict(float)
        ctx = RuleContext(as_of=AS_OF, refdata=load_reference_data().for_upload(),
                          screening_history=InMemoryScreeningHistory())
        plan = RulePlan(all_rules())
        held = HeldResults()  # nothing is held here: the index's cost is what this stage measures
        for claim in claims:
            t0 = clock()
            facts = ClaimFacts(claim, ctx)
            t1 = clock()
            spent["facts and patient key"] += t1 - t0
            if facts.ct_lines or "G0297" in facts.codes:
                rules = plan.for_claim(facts)  # runs the screen
                t2 = clock()
                spent["trigger screen"] += t2 - t1
                prices = price_claim(claim, ctx.refdata, facts.ct_lines)
                t3 = clock()
                spent["pricing"] += t3 - t2
                ctx.prices, ctx.facts = {p.line: p for p in prices}, facts
                for rule_fn in rules:
                    list(rule_fn(claim, ctx))
                ctx.facts = None
                t4 = clock()
                spent["rules"] += t4 - t3
            else:
                t4 = clock()
            _remember_lines(claim, ctx, facts, held)
            spent["same-patient index"] += clock() - t4
        for name, seconds in spent.items():
            best[name] = min(best[name], seconds)
    return dict(best)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/b100k.csv")
    if not path.exists():
        generate_csv(path, 100_000)
    load_reference_data()
    print(f"{path.name}: CPU seconds, best of 3")
    print(f"  {'reader':24s} {reader_seconds(path):.3f}")
    for name, seconds in sorted(stage_seconds(path).items(), key=lambda kv: -kv[1]):
        print(f"  {name:24s} {seconds:.3f}")


if __name__ == "__main__":
    main()
