"""The reliability soak as a script: prints the figures quoted in docs/RELIABILITY.md.

    .venv/bin/python bench/soak.py [UPLOADS] [DUPLICATES]

Same run as tests/test_soak.py (ThreadedMotoServer on 127.0.0.1, 4 workers calling the real handler,
duplicate deliveries and injected faults), with moto's DynamoDB writes made atomic.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "layers" / "ctscrub")]

import conftest  # noqa: E402,F401  (fake credentials and Powertools settings, as in the tests)
from test_aws_helpers import atomic_moto_writes  # noqa: E402
from test_soak import run_soak  # noqa: E402


def main() -> int:
    uploads = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    duplicates = int(sys.argv[2]) if len(sys.argv) > 2 else uploads // 5
    with atomic_moto_writes():
        fig = run_soak(n_uploads=uploads, n_duplicates=duplicates)
    print("\n".join(fig.lines()))
    ok = (fig.items_lost_or_extra == fig.alerts_lost == fig.alerts_doubled == fig.wrong_status == 0
          and fig.parked == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
