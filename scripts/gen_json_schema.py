"""Write layers/ctscrub/ctscrub/schemas/claims-v1.schema.json from the JSON v1 pydantic models.

Run after changing ``ctscrub/formats/json_models.py``; tests/test_format_json.py fails while the committed
schema differs from what this script writes.

    .venv/bin/python scripts/gen_json_schema.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "layers" / "ctscrub" / "ctscrub" / "schemas" / "claims-v1.schema.json"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "layers" / "ctscrub"))
    from ctscrub.formats.json_models import schema_json

    text = schema_json()
    if "--check" in argv:
        current = SCHEMA_PATH.read_text("utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH.relative_to(ROOT)} is out of date: run scripts/gen_json_schema.py")
            return 1
        return 0
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(text, "utf-8")
    print(f"wrote {SCHEMA_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
