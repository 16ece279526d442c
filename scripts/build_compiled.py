"""Compile ctscrub's hot modules with mypyc into a separate tree: an optional, faster build of the same code.

Run: ``.venv/bin/python scripts/build_compiled.py [--out build/compiled]``; then put the tree first on the
path (``PYTHONPATH=build/compiled``) to run the CLI, the tests or the benchmarks on it. The source tree is
left as it is: compiled modules sit beside a copy of the sources, so an edited ``.py`` in
``layers/ctscrub`` can never be shadowed by a stale compiled module.

mypyc (part of mypy) turns type-annotated modules into C extensions; the modules below are the ones every
claim passes through (readers, facts, screen, rules, pricing, pipeline). Everything else stays Python.
Needs a C compiler and the Python headers (``gcc`` and ``python3.13-dev`` or an equivalent) and mypy, which
``pip install -e ".[compile]"`` brings.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "layers" / "ctscrub" / "ctscrub"

# The modules on the per-claim path, relative to the package.
HOT_MODULES = (
    "model.py",
    "absence_findings.py",
    "pipeline.py",
    "payment.py",
    "screening_history.py",
    "formats/csv_v1.py",
    "formats/fields.py",
    "formats/x12_837p.py",
    "formats/x12_claim.py",
    "formats/x12_segments.py",
    "formats/x12_values.py",
    "formats/x12_envelope.py",
    "refdata/__init__.py",
    "refdata/policy.py",
    "refdata/store.py",
    "refdata/tables.py",
    "rules/__init__.py",
    "rules/catalog.py",
    "rules/claim.py",
    "rules/coding.py",
    "rules/dates.py",
    "rules/diagnosis.py",
    "rules/documentation.py",
    "rules/facts.py",
    "rules/modifiers.py",
    "rules/payment.py",
    "rules/place_of_service.py",
    "rules/providers.py",
    "rules/registry.py",
    "rules/screen.py",
    "rules/screening.py",
)

_SETUP = """\
from setuptools import setup
from mypyc.build import mypycify

setup(name="ctscrub-compiled", ext_modules=mypycify({args!r}, opt_level="3", debug_level="0", multi_file=True))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "compiled", help="where the compiled tree goes")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel C compilations")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    start = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(PACKAGE, out / "ctscrub", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    modules = [f"ctscrub/{m}" for m in HOT_MODULES]
    (out / "setup.py").write_text(_SETUP.format(args=["--ignore-missing-imports", *modules]))
    cmd = [sys.executable, "setup.py", "build_ext", "--inplace", f"--parallel={args.jobs}"]
    done = subprocess.run(cmd, cwd=out, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603 - our own setup.py
    if done.returncode != 0:
        print(done.stdout[-8000:], file=sys.stderr)
        print(f"mypyc build failed ({done.returncode})", file=sys.stderr)
        return done.returncode
    built = sorted(p.relative_to(out) for p in out.rglob("*.so"))
    print(f"compiled {len(HOT_MODULES)} modules into {out} ({len(built)} extension files) "
          f"in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
