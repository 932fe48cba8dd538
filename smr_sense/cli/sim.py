"""``smr-sense sim``: write a labelled simulated session (recording + ground truth)."""

from __future__ import annotations

import argparse
import json
import signal
from pathlib import Path

from smr_sense.cli.common import STOP_SIGNALS, non_negative_int, positive_float, recording_file, stream_rate_hz
from smr_sense.core.samples import Marker, interleave
from smr_sense.core.sim import BUILDS, SimConfig, SimRoller
from smr_sense.core.words import counted
from smr_sense.recording import RecordingWriter, truth_path
from smr_sense.recording.writer import check_output_path
from smr_sense.sources.sim import DEFAULT_SEED, GroupAnnouncer

MAX_DURATION_S = 24 * 3600.0  # a day: about 400 MB at 100 Hz; more is a typo, not a session


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sim",
        help="write a simulated session with its ground truth",
        description="Simulate a person rolling (bottom-up routine) and write the recording plus "
        "its ground truth (FILE.truth.json: idle / transition / rolling / hold segments).",
    )
    p.add_argument(
        "--seed", type=non_negative_int, default=DEFAULT_SEED,
        help=f"random seed: the same seed gives the same session and roller (default {DEFAULT_SEED}, as demo)",
    )
    p.add_argument("--duration", type=positive_float, default=300.0, metavar="S", help="seconds to simulate (default 300, at most 86400)")
    p.add_argument("--build", choices=BUILDS, default="imu", help="sensor build (default imu)")
    p.add_argument("--rate", type=stream_rate_hz, default=100.0, metavar="HZ", help="sample rate, 5-2000 (default 100)")
    p.add_argument("--hard", action="store_true", help="widen every range toward the hard cases")
    p.add_argument("--channels", type=int, choices=(2, 4), help="load cells in the channels build (default 4)")
    p.add_argument("--out", required=True, type=recording_file, metavar="FILE", help="recording to write (.smr)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.duration > MAX_DURATION_S:
        from smr_sense.errors import UsageError

        raise UsageError(f"--duration {args.duration:g} s is more than 24 h ({MAX_DURATION_S:g} s); simulate a day or less")
    if args.channels is not None and args.build != "channels":
        from smr_sense.errors import UsageError

        raise UsageError(f"--channels is for --build channels; the {args.build} build has one load cell")
    cells = args.channels or 4
    out = Path(args.out)
    check_output_path(out, args.force)  # first: "." or "/" has no name to put the truth's beside
    truth = truth_path(out)
    check_output_path(truth, args.force)
    try:
        config = SimConfig(seed=args.seed, build=args.build, rate_hz=args.rate, hard=args.hard, channels=cells)
    except ValueError as err:
        from smr_sense.errors import UsageError

        raise UsageError(str(err)) from None
    # The spec in the header remakes this very session: every option that changes it is in it.
    spec = f"sim:?seed={args.seed}&build={args.build}&rate={args.rate:g}"
    spec += (f"&channels={cells}" if args.build == "channels" else "") + ("&hard=1" if args.hard else "")
    roller = SimRoller(config, source=spec)
    groups = GroupAnnouncer(roller)
    # Ctrl-C (or SIGTERM) stops between two seconds, never inside a write: the file then ends on a
    # whole second, and the truth is written for exactly that much, so the pair still scores.
    stopped: list[int] = []
    stops = STOP_SIGNALS  # a closed terminal too: it left no truth file
    previous = {sig: signal.signal(sig, lambda signum, _frame: stopped.append(signum)) for sig in stops}
    try:
        with RecordingWriter(out, roller.info, force=args.force, extra={"simulated": True}) as writer:
            # Write in one-second blocks, as a live recorder would, with the person's group changes
            # (as ``record --source sim`` writes them), so a replay files each hold under its group.
            t = 0.0
            while t < args.duration and not stopped:
                before_s, t = t, min(t + 1.0, args.duration)
                for item in interleave(roller.read_until(t), groups.between(before_s, t)):
                    if isinstance(item, Marker):
                        writer.mark(item)
                    else:
                        writer.append(item)
            samples = writer.samples
        segments = roller.truth_until(t)
        truth.write_text(
            json.dumps({"source": spec, "duration_s": t, "segments": [s.to_json() for s in segments]}, indent=1)
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    holds = sum(1 for s in segments if s.kind == "hold")
    by = {signal.SIGINT: "Ctrl-C"}.get(stopped[0], signal.Signals(stopped[0]).name) if stopped else ""
    asked = f" of the {args.duration:g} asked: stopped by {by}" if stopped else ""
    try:
        print(f"wrote {out} ({counted(samples, 'sample')}, {t:g} s{asked}, {counted(holds, 'hold')}) and {truth}")
    except OSError:
        pass  # the terminal was closed: both files are written
    return 128 + stopped[0] if stopped else 0  # 130 for Ctrl-C, as a shell reports it
