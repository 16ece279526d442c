"""Instructions executed per file (valgrind), the measure that does not drift with the machine's speed.

Run: ``.venv/bin/python bench/instructions.py FILE [--modes floor reader validate]``

CPU times on a shared machine move by tens of percent within minutes; the number of instructions a run
executes does not (with ``PYTHONHASHSEED=0``, so set and dict layouts repeat). Each mode runs in a fresh
interpreter under ``valgrind --tool=cachegrind`` twice: on FILE and on a baseline of one claim (the first
claim of a CSV; the generated 1-claim 837P for X12), after the same one-time setup (``bench/warm.py``);
the difference is the work per file. Modes: ``floor`` (X12 only: ``bench/floor.py``, as in
``bench_x12.py``), ``reader`` (every claim read) and ``validate`` (``scrub`` with a
counting sink). Needs valgrind; takes about a minute per mode on the 10,000-claim 837P.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PY = sys.executable

_CHILD = r"""
import sys
mode, path = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
if mode == "floor":
    from floor import read_and_split
    read_and_split(path)
    raise SystemExit
from warm import warm_process
refdata, _ = warm_process()
if mode == "reader":
    from ctscrub.formats import open_reader
    with open(path, "rb") as fh:
        for _claim in open_reader(fh).claims():
            pass
else:
    from datetime import date
    from ctscrub.pipeline import ScrubOptions, scrub
    from ctscrub.screening_history import InMemoryScreeningHistory

    class Count:
        def claim(self, r): pass
        def finish(self, s): pass

    with open(path, "rb") as fh:
        scrub(fh, ScrubOptions(as_of=date(2026, 11, 28), refdata=refdata,
              screening_history=InMemoryScreeningHistory()), [Count()], upload_id="bench", source_name="bench")
"""


def instructions(mode: str, path: Path) -> int:
    """Instructions executed by one fresh interpreter running ``mode`` on ``path``."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    r = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                        PY, "-c", _CHILD, mode, str(path), str(BENCH)], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"{mode} on {path} failed: {r.stderr.strip().splitlines()[-1:]}")
    found = re.search(r"I\s+refs:\s+([\d,]+)", r.stderr)
    if found is None:
        raise SystemExit("valgrind printed no instruction count")
    return int(found.group(1).replace(",", ""))


def baseline(path: Path, tmp: Path) -> Path:
    """One claim in the same format: the 1-claim 837P, or the header and first claim's rows of a CSV."""
    if path.suffix.lower() in (".x12", ".837", ".txt"):
        sys.path.insert(0, str(BENCH))
        from bench_x12 import bench_file

        return bench_file(1)
    rows = path.read_text(encoding="utf-8").splitlines()[:4]  # bench_pipeline.generate_csv: 3 rows a claim
    out = tmp / ("one" + path.suffix)
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", type=Path)
    ap.add_argument("--modes", nargs="+", default=["floor", "reader", "validate"])
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    modes = [m for m in args.modes if m != "floor" or args.file.suffix.lower() != ".csv"]
    with tempfile.TemporaryDirectory() as tmp:
        small = baseline(args.file, Path(tmp))
        per_file = {m: instructions(m, args.file) - instructions(m, small) for m in modes}
    for mode, n in per_file.items():
        ratio = f" = {n / per_file['floor']:.2f}x the floor" if "floor" in per_file and mode != "floor" else ""
        print(f"{mode:9s} {n / 1e6:10,.1f} M instructions per file{ratio}")


if __name__ == "__main__":
    main()
