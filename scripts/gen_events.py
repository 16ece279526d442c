#!/usr/bin/env python3
"""Write events/s3-put-<folder>-<name>.json: the S3 put event for every sample claim file under samples/.

Each event names the object ``incoming/<folder>/<file name>`` in the bucket of the embedded local stack
(``ctscrub-local``), with the file's size and MD5 ETag and no versionId, so it works with
``sam local invoke -e`` once the file is uploaded there (pass ``--bucket`` for a deployed stack) and
with tests/test_events.py. Rerun after adding samples: ``python scripts/gen_events.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "ctscrub"))

from ctscrub.aws.sandbox import ACCOUNT, REGION, s3_put_event  # noqa: E402

DEFAULT_BUCKET = f"ctscrub-local-claims-{ACCOUNT}-{REGION}"
SKIP_SUFFIXES = {".md", ".py"}


def sample_files(samples: Path) -> list[Path]:
    return sorted(p for p in samples.rglob("*") if p.is_file() and p.suffix.lower() not in SKIP_SUFFIXES
                  and not p.name.startswith("."))


def event_name(sample: Path, samples: Path) -> str:
    rel = sample.relative_to(samples)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(rel.parts))
    return f"s3-put-{slug}.json"


def object_key(sample: Path, samples: Path) -> str:
    return "incoming/" + sample.relative_to(samples).as_posix()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bucket", default=DEFAULT_BUCKET)
    ap.add_argument("--samples", type=Path, default=ROOT / "samples")
    ap.add_argument("--out", type=Path, default=ROOT / "events")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for sample in sample_files(args.samples):
        body = sample.read_bytes()
        event = s3_put_event(args.bucket, object_key(sample, args.samples), size=len(body),
                             etag=hashlib.md5(body, usedforsecurity=False).hexdigest())
        name = event_name(sample, args.samples)
        wanted.add(name)
        (args.out / name).write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")
    for stale in args.out.glob("s3-put-*.json"):
        if stale.name not in wanted:
            stale.unlink()
    print(f"wrote {len(wanted)} event(s) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
