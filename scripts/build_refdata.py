"""Rebuild the reference datasets bundled in the layer from CMS's own files.

    .venv/bin/python scripts/build_refdata.py [--cms ../shared/refdata/cms] [--out layers/ctscrub/ctscrub/refdata/data]

Bundles: the full 2025 PFS (numbers only), the 2026 chest CT rows, 2025 and 2026 GPCIs, the 2025 OPPS cap
rows of the chest CT family, FY2026 ICD-10-CM. ``imported_at`` is the source file's modification time,
so a rebuild from the same files produces identical output.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "ctscrub"))

from ctscrub.refdata.importers import ImportRefused, import_file  # noqa: E402

# (kind, file, options)
BUNDLE: list[tuple[str, str, dict[str, object]]] = [
    ("pfs", "PPRRVU2025_Oct.csv", {}),
    ("pfs", "PPRRVU2026_Jul_nonQPP.chest_ct_rows.csv", {}),
    ("gpci", "GPCI2025.csv", {}),
    ("gpci", "GPCI2026.csv", {}),
    ("oppscap", "OPPSCAP_Oct.csv", {"effective_from": date(2025, 1, 1), "effective_to": date(2025, 12, 31),
                                    "chest_ct_only": True}),
    ("icd10cm", "icd10cm_codes_2026.txt", {}),
]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cms", type=Path, default=ROOT.parent / "shared" / "refdata" / "cms")
    p.add_argument("--out", type=Path, default=ROOT / "layers" / "ctscrub" / "ctscrub" / "refdata" / "data")
    args = p.parse_args(argv)
    for kind, name, opts in BUNDLE:
        src = args.cms / name
        stamp = datetime.fromtimestamp(src.stat().st_mtime, UTC) if src.exists() else None
        try:
            ds = import_file(kind, src, args.out, now=stamp, **opts)  # type: ignore[arg-type]
        except ImportRefused as exc:
            print(f"{kind} {name}: refused: {exc}", file=sys.stderr)
            return 2
        m = ds.manifest
        size = ds.path.stat().st_size if ds.path else 0
        print(f"{m.kind:8} {m.version:40} {m.effective_from}..{m.effective_to} rows={m.rows:6} bytes={size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
