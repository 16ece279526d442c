"""Profile the validation hot path (issue 2 target: 50,000 lines/s on one core): prints numbers, asserts nothing.

Run: ``.venv/bin/python bench/profile_pipeline.py FILE.csv [--repeat 3] [--profile tottime]``
(generate FILE with ``bench_pipeline.generate_csv``). CPU time (``time.process_time``) is reported
because other work on the machine inflates wall time; the best of ``--repeat`` runs is shown. The rule
counts let two versions be compared: the same file must give the same counts.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from datetime import date
from pathlib import Path

from ctscrub.pipeline import ScrubOptions, UploadSummary, scrub
from ctscrub.refdata import load_reference_data
from ctscrub.screening_history import InMemoryScreeningHistory

AS_OF = date(2026, 11, 28)


class _CountingSink:
    def __init__(self) -> None:
        self.findings = 0

    def claim(self, result: object) -> None:
        self.findings += len(result.findings)  # type: ignore[attr-defined]

    def finish(self, summary: object) -> None:
        pass


def run_once(path: Path) -> tuple[UploadSummary, int]:
    sink = _CountingSink()
    with path.open("rb") as fh:
        summary = scrub(fh, ScrubOptions(as_of=AS_OF, refdata=load_reference_data(),
                                         screening_history=InMemoryScreeningHistory()),
                        [sink], upload_id="profile", source_name=path.name)
    return summary, sink.findings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", metavar="SORT", help="also print a cProfile listing sorted by SORT")
    args = ap.parse_args()
    load_reference_data()  # parse the bundled tables once, outside the timed runs (as a warm Lambda)
    best_cpu, best_wall = float("inf"), float("inf")
    summary, findings = None, 0
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        summary, findings = run_once(args.file)
        best_cpu = min(best_cpu, time.process_time() - c)
        best_wall = min(best_wall, time.perf_counter() - t)
    assert summary is not None
    print(f"{summary.status}: {summary.lines:,} lines, {summary.claims:,} claims, {findings:,} findings; "
          f"best of {args.repeat}: cpu {best_cpu:.2f} s = {summary.lines / best_cpu:,.0f} lines/s, "
          f"wall {best_wall:.2f} s = {summary.lines / best_wall:,.0f} lines/s")
    print("rule counts:", dict(sorted(summary.by_rule.items())))
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run_once(args.file)
        prof.disable()
        pstats.Stats(prof).sort_stats(args.profile).print_stats(40)


if __name__ == "__main__":
    main()
