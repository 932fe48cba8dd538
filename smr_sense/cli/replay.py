"""``smr-sense replay FILE``: a recorded session on the dashboard, exactly as it ran live.

Pause (space), seek 5 s (left/right), speed (+/-), jump to the next hold (n). Holds, warnings and
the cap alarm follow stream time, so they come where they came live. The summary is saved beside
the file when the whole file was played, dated when the recording was made; one already there (the
live session's own) is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from smr_sense.cli.common import calibration_choice, finite_float, pinned_by, speed_factor, speed_option, warn
from smr_sense.cli.live import add_dashboard_options, run_dashboard
from smr_sense.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="play a recording on the dashboard",
        description="Play a recording (.smr or interchange CSV) on the dashboard, with pause, seek and speed.",
    )
    p.add_argument("file", metavar="FILE", help="recording to play (.smr or .csv)")
    p.add_argument("--speed", type=speed_factor, default=1.0, metavar="X", help="play X times faster (default 1; 0.25-1000, or max)")
    p.add_argument("--start", type=finite_float, default=0.0, metavar="S", help="start S seconds into the recording")
    p.add_argument(
        "--calibration",
        default="recorded",
        type=calibration_choice,
        metavar="WHICH",
        help="'recorded' (the default: the recording's own), 'profile' (the device's saved profile), "
        "or a profile or calibration JSON file",
    )
    p.add_argument("--force", action="store_true", help="replace a summary already saved beside FILE")
    add_dashboard_options(p, recording=False)
    p.set_defaults(run=run)


def _settings_as_recorded(args: argparse.Namespace, extra: dict) -> None:
    """Body weight and ceiling as the session had them live, unless given now; today's saved
    settings play no part (a recording that notes none had none), so the replay's summary says what
    the live one said and ``analyze`` says the same. Given now, they stay put for the whole replay
    (``pinned``); otherwise the wizard's changes on the recording's markers apply where they did live."""
    from smr_sense.core.settings import SessionSettings

    # Pinned is what the user typed, so it is taken before the header's values fill ``args``
    # (pinning those would make the replay ignore the wizard's changes); ``settings_from`` reads it.
    args.pinned = pinned_by(args)
    recorded = SessionSettings(pinned=args.pinned).as_recorded(extra)
    if args.body_mass is None:
        args.body_mass = recorded.body_mass_kg
    if args.ceiling is None and args.ceiling_pct is None:
        args.ceiling = recorded.ceiling_n
    if getattr(args, "hold_cap", None) is None:  # the cap the session had (and its warning, unless one is given now)
        args.hold_cap = recorded.hold_cap_s
        if getattr(args, "warning", None) is None and "warning_s" in extra:
            args.warning = recorded.warning_s
    args.saved_settings = False


def run(args: argparse.Namespace) -> int:
    from smr_sense.profiles import calibration_from_option, other_device_warning
    from smr_sense.recording import load_any
    from smr_sense.recording.csv_export import unmeasured_until
    from smr_sense.report import recorded_at
    from smr_sense.sources.replay import start_outside

    path = Path(args.file)
    rec = load_any(path)  # a missing or broken file is one sentence here, not a banner on an empty screen
    if why := start_outside(args.start, rec, str(path)):  # here too: before "no terminal", which is no fix for it
        raise UsageError(why)
    calibration = calibration_from_option(args.calibration, rec.info.device_id)
    foreign = other_device_warning(calibration, rec.info.device_id)
    if foreign:
        warn(foreign)
    _settings_as_recorded(args, rec.header.get("extra") or {})
    # The export of a roller first calibrated in the dashboard's wizard: as analyze, no force before.
    unmeasured = unmeasured_until(rec) if calibration is None else None
    spec = f"replay:{path}?speed={speed_option(args.speed)}&start={args.start:g}"
    # By default the recording's own calibration, as it ran live (not today's profile).
    return run_dashboard(
        spec,
        args,
        record_path=None,
        summary_path=path,
        apply_profile=False,
        calibration=calibration,
        replace_existing=args.force,
        started_at=recorded_at(rec.header),
        force_from_s=unmeasured.t_s if unmeasured is not None else None,
    )
