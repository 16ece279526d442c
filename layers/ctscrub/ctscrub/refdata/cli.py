"""``ctscrub refdata import KIND FILE`` and ``ctscrub refdata status``.

Imports write into ``$CTSCRUB_REFDATA_DIR`` (or ``--dir``); when building the layer, point it at the
package data directory (``layers/ctscrub/ctscrub/refdata/data``) so the dataset ships with the code.
Exit codes: 0 imported / listed, 2 file refused or wrong usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from ctscrub.refdata import BUNDLED_DIR, ENV_DIR, load_reference_data
from ctscrub.refdata.importers import KINDS, ImportRefused, import_file


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def add_refdata_commands(subparsers: Any) -> None:
    """Register ``refdata import`` and ``refdata status`` on the ``ctscrub`` sub-command parser."""
    rd = subparsers.add_parser("refdata", help="import CMS reference files and show the datasets in force")
    sub = rd.add_subparsers(dest="refdata_command", required=True)
    imp = sub.add_parser("import", help="import one CMS file as a versioned dataset")
    imp.add_argument("kind", choices=KINDS)
    imp.add_argument("file", type=Path)
    imp.add_argument("--effective-from", type=_date, default=None,
                     help="first date of service it applies to (default: read from the file or its name)")
    imp.add_argument("--effective-to", type=_date, default=None, help="last date of service (inclusive)")
    imp.add_argument("--version", default=None, help="dataset version (default: from the file name)")
    imp.add_argument("--dir", type=Path, default=None,
                     help=f"where to write (default: ${ENV_DIR}, else the package data directory)")
    imp.add_argument("--chest-ct-only", action="store_true",
                     help="pfs/oppscap: keep only the chest CT family rows")
    imp.add_argument("--all-codes", action="store_true", help="ncci-ptp: keep every pair, not only chest CT pairs")
    imp.set_defaults(handler=cmd_import)
    st = sub.add_parser("status", help="list every dataset with its period, source, rows and which is in force")
    st.add_argument("--as-of", type=_date, default=None, help="date to show the datasets in force for (default: today)")
    st.set_defaults(handler=cmd_status)


def target_dir(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else BUNDLED_DIR


def cmd_import(args: argparse.Namespace) -> int:
    directory = target_dir(args.dir)
    try:
        ds = import_file(args.kind, args.file, directory, effective_from=args.effective_from,
                         effective_to=args.effective_to, version=args.version,
                         chest_ct_only=args.chest_ct_only, all_codes=args.all_codes)
    except ImportRefused as exc:
        print(f"ctscrub refdata import: {args.file.name} refused: {exc}. Nothing was changed.", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"ctscrub refdata import: cannot write to {directory}: {exc.strerror}", file=sys.stderr)
        return 2
    m = ds.manifest
    print(f"imported {m.kind} {m.version}: {m.rows} rows, effective {m.effective_from} to "
          f"{m.effective_to or 'open'}, from {m.source} -> {ds.path}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    as_of = args.as_of or date.today()
    rd = load_reference_data()
    print(f"{'kind':9} {'version':40} {'effective':25} {'rows':>7}  {'in force':8}  source")
    for m in rd.manifests():
        ds = rd.dataset_in_force(m.kind, as_of)
        mark = "yes" if ds is not None and ds.manifest == m else ""
        period = f"{m.effective_from}..{m.effective_to or 'open'}"
        print(f"{m.kind:9} {m.version:40} {period:25} {m.rows:>7}  {mark:8}  {m.source}")
    for kind in KINDS:
        if rd.dataset_in_force(kind, as_of) is None:
            fallback = {"ncci-ptp": ": the policy-derived default edits (ptp_default) apply",
                        "mue": ": the policy-derived default limits (mue_default) apply"}.get(kind, "")
            print(f"{kind:9} (none in force on {as_of}){fallback}")
    for p in rd.problems:
        print(f"unreadable dataset ignored: {p}", file=sys.stderr)
    return 0
