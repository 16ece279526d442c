"""The ``ctscrub`` command line: validate a file offline, run the whole job locally, manage reference data.

Exit codes of ``validate``: 0 no error findings, 1 error findings, 2 file rejected or wrong usage.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ctscrub.model import ClaimResult, Finding, Severity


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def _locality(text: str) -> str:
    mac, _, loc = text.partition("-")
    if not (mac.isdigit() and len(mac) == 5 and loc.isdigit() and 1 <= len(loc) <= 2):
        raise argparse.ArgumentTypeError(f"{text!r} is not a MAC-locality such as 13202-01")
    return f"{mac}-{int(loc):02d}"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ctscrub", description="Chest CT claim scrubber (CPT 71250-71275).")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a claim file offline (no AWS) and print the findings")
    v.add_argument("file", type=Path)
    v.add_argument("--format", choices=("table", "json", "csv", "html"), default="table")
    v.add_argument("--as-of", type=_as_of, default=None, help="processing date (default: today)")
    v.add_argument("--locality", type=_locality, default=None,
                   help="MAC-locality for claims that name none, e.g. 13202-01 (default: national)")

    loc = sub.add_parser("local", help="run the whole job on an embedded AWS stand-in (moto) and show the results")
    loc.add_argument("file", type=Path)
    loc.add_argument("--as-of", type=_as_of, default=None)
    loc.add_argument("--format", choices=("text", "json"), default="text")

    rd = sub.add_parser("redrive", help="re-process the failed uploads parked in the on-failure queue")
    rd.add_argument("--queue-url", required=True, help="the OnFailure queue URL (stack output)")
    rd.add_argument("--function", required=True, help="the scrub function name or ARN (stack output)")
    rd.add_argument("--max-messages", type=int, default=1000)

    sub.add_parser("rules", help="list every rule id with its severity, family and source (Markdown)")

    try:
        from ctscrub.refdata.cli import add_refdata_commands
    except ImportError:  # pragma: no cover - only while the refdata package is absent
        pass
    else:
        add_refdata_commands(sub)
    return p


def _validate(args: argparse.Namespace, out: io.TextIOBase) -> int:
    from ctscrub.pipeline import CollectingSink, ScrubOptions, scrub
    from ctscrub.refdata import load_reference_data, settle_process
    from ctscrub.screening_history import InMemoryScreeningHistory

    path: Path = args.file
    if not path.is_file():
        print(f"ctscrub: {path}: no such file", file=sys.stderr)
        return 2
    refdata = load_reference_data()
    settle_process(refdata)  # nothing of the file exists yet: freeze what the process has loaded
    options = ScrubOptions(as_of=args.as_of or date.today(), refdata=refdata,
                           default_locality=args.locality, screening_history=InMemoryScreeningHistory())
    sink = CollectingSink()
    extra_sinks = []
    report_sink = None
    if args.format == "html":
        from ctscrub.report import ReportSink

        report_sink = ReportSink()
        extra_sinks.append(report_sink)
    with path.open("rb") as fh:
        summary = scrub(fh, options, [sink, *extra_sinks], upload_id=path.name, source_name=path.name)
    findings = sink.all_findings()
    if args.format == "json":
        doc = {
            "status": summary.status,
            "format": summary.format,
            "summary": summary.to_dict(),
            "findings": [f.to_dict() for f in findings],
            "prices": [p.to_dict() for r in sink.results for p in r.prices],
        }
        json.dump(doc, out, indent=2)
        out.write("\n")
    elif args.format == "csv":
        from ctscrub.report.csv_findings import FINDING_FIELDS, escape_cell

        w = csv.writer(out, lineterminator="\n")
        w.writerow(FINDING_FIELDS)
        for f in findings:
            d = f.to_dict()
            w.writerow([escape_cell("" if d[k] is None else str(d[k])) for k in FINDING_FIELDS])
    elif args.format == "html":
        assert report_sink is not None
        out.write(report_sink.html())
        report_sink.close()
    else:
        _print_table(summary.to_dict(), findings, sink.results, out)
    if summary.status == "rejected":
        return 2
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0


def _print_table(summary: dict[str, object], findings: list[Finding], results: list[ClaimResult],
                 out: io.TextIOBase) -> None:
    sev = summary["by_severity"]
    assert isinstance(sev, dict)
    out.write(f"{summary['source']}: {summary['status']} ({summary['format'] or 'unknown format'}), "
              f"{summary['claims']} claims, {summary['lines']} lines, {summary['chest_ct_lines']} chest CT lines\n")
    out.write(f"findings: {sev.get('error', 0)} errors, {sev.get('warning', 0)} warnings, {sev.get('info', 0)} info; "
              f"expected Medicare allowed ${summary['expected_allowed']}, at stake ${summary['amount_at_stake']}\n\n")
    for f in findings:
        where = f"claim {f.claim_id}" if f.claim_id else "file"
        if f.line is not None:
            where += f" line {f.line}"
        code = f" {f.code}" if f.code else ""
        out.write(f"{f.severity.value.upper():7} {where}{code}  {f.rule}\n")
        out.write(f"        {f.message}\n        Fix: {f.suggestion}\n        Source: {f.source}")
        if f.dataset:
            out.write(f" [{f.dataset}]")
        out.write("\n")
    priced = [p for r in results for p in r.prices]
    if priced:
        out.write("\nExpected Medicare allowed amounts (chest CT lines):\n")
        for p in priced:
            amount = f"${p.allowed}" if p.allowed is not None else "n/a"
            mods = "-" + "-".join(p.modifiers) if p.modifiers else ""
            out.write(f"  claim {p.claim_id} line {p.line} {p.code}{mods}: {amount}  ({p.basis})\n")


def _local(args: argparse.Namespace, out: io.TextIOBase) -> int:
    from ctscrub.local import format_local, run_local

    if not args.file.is_file():
        print(f"ctscrub: {args.file}: no such file", file=sys.stderr)
        return 2
    result = run_local(args.file, args.as_of)
    if args.format == "json":
        json.dump(result, out, indent=2, default=str)
        out.write("\n")
    else:
        out.write(format_local(result))
        out.write("\n")
    return 0


def _redrive(args: argparse.Namespace, out: io.TextIOBase) -> int:
    import boto3

    from ctscrub.aws.redrive import lambda_invoker, redrive

    report = redrive(boto3.client("sqs"), args.queue_url, lambda_invoker(boto3.client("lambda"), args.function),
                     max_messages=args.max_messages)
    json.dump(report.to_dict(), out, indent=2)
    out.write("\n")
    return 0 if not report.to_dict().get("failed") else 1


def _rules(out: io.TextIOBase) -> int:
    from ctscrub.rules.catalog import RULES

    out.write("| rule | severity | family | what | source |\n|---|---|---|---|---|\n")
    for r in RULES.values():
        out.write(f"| `{r.id}` | {r.severity.value} | {r.family} | {r.title} | {r.source} |\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return _run(args, parser)
    except BrokenPipeError:  # output piped into `head` and the like: not an error of the file
        sys.stdout = None  # type: ignore[assignment]  # nothing more can be written
        return 0


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    out = sys.stdout
    if args.command == "validate":
        return _validate(args, out)  # type: ignore[arg-type]
    if args.command == "local":
        return _local(args, out)  # type: ignore[arg-type]
    if args.command == "redrive":
        return _redrive(args, out)  # type: ignore[arg-type]
    if args.command == "rules":
        return _rules(out)  # type: ignore[arg-type]
    handler = getattr(args, "handler", None)
    if handler is not None:
        return int(handler(args))
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
