"""``smr-sense export``: a recording as interchange CSV for spreadsheets and pandas."""

from __future__ import annotations

import argparse
import sys

from smr_sense.cli.common import output_file, warn
from smr_sense.core.words import counted
from smr_sense.errors import FileFormatError
from smr_sense.recording import export_csv, load_any, write_csv


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a recording as interchange CSV",
        description="Write a recording as interchange CSV (time_s, force_n.., raw_.., gyro_*_dps ..); "
        "what the columns cannot say (the device, its rate, channel names and positions, the body weight) goes to "
        "OUT's stem + .stream.json, markers to OUT's stem + .markers.csv.",
    )
    p.add_argument("file", metavar="FILE", help="recording (.smr) or interchange CSV")
    p.add_argument(
        "--csv", required=True, type=output_file, metavar="OUT",
        help="CSV file to write ('-': standard output, the CSV alone)",
    )
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    rec = load_any(args.file)
    for w in rec.warnings:
        warn(w)
    if len(rec.block) == 0:
        raise FileFormatError(f"{args.file} holds no samples to export")
    if args.csv == "-":
        write_csv(rec, sys.stdout)
        sys.stdout.flush()  # a reader that stops early (``| head``) is told here, not at exit
        written = ["standard output"]
    else:
        written = export_csv(rec, args.csv, force=args.force)
    if len(written) == 1:  # a pipe or a device: no folder beside it for the description and markers
        # The report goes where it cannot mix with the CSV.
        warn(f"{written[0]} is not a file, so it holds the CSV alone; the device, rate, channels, body weight "
             f"and markers stay in {args.file}")
        print(f"wrote {counted(len(rec.block), 'sample')} to {written[0]}", file=sys.stderr)
        return 0
    files = ", ".join(written[:-1]) + f" and {written[-1]}"
    print(f"wrote {files} ({counted(len(rec.block), 'sample')})")
    return 0
