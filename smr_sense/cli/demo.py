"""``smr-sense demo``: the dashboard on a simulated person rolling, no hardware needed.

The simulator works the bottom-up routine with holds of 3-45 s, so the countdown, the warning and
the RELEASE alarm all show within a few minutes. Recorded like a live session (``--no-record`` to
skip), so ``smr-sense replay`` has something to play afterwards.
"""

from __future__ import annotations

import argparse

from smr_sense.cli.common import non_negative_int, speed_factor, speed_option, stream_rate_hz
from smr_sense.cli.live import add_dashboard_options, default_record_path, next_free, recording_asked, run_dashboard


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="the dashboard on a simulated roller",
        description=(
            "Run the dashboard on a simulated person working through the bottom-up routine once (about "
            "14 minutes at --speed 1); its summary follows."
        ),
    )
    p.add_argument(
        "--seed", type=non_negative_int, metavar="N",
        help="simulated session and roller (default 7, as --source sim: the roller `calibrate --source sim` calibrates)",
    )
    p.add_argument("--build", choices=("imu", "force", "channels"), default="imu", help="sensor build (default imu)")
    p.add_argument("--rate", type=stream_rate_hz, default=100.0, metavar="HZ", help="sample rate, 5-2000 (default 100)")
    p.add_argument("--speed", type=speed_factor, default=1.0, metavar="X", help="play X times faster than real time (0.25-1000, or max)")
    p.add_argument("--hard", action="store_true", help="a harder session: slow rolling, long pauses, sway")
    p.epilog = (
        "Without a ceiling of your own (--ceiling, --ceiling-pct or the wizard, where an empty answer"
        " means none), the demo uses 50 % of body weight."
    )
    add_dashboard_options(p)
    p.set_defaults(run=run)


def demo_source(args: argparse.Namespace) -> str:
    """The simulated roller the demo shows, as a source spec."""
    from smr_sense.sources.sim import DEFAULT_SEED

    seed = DEFAULT_SEED if args.seed is None else args.seed
    # One session, bottom up, then its summary, as a real one ends: the simulated person would go
    # round the routine for ever, and at --speed max fill the disk with a 50-hour recording.
    spec = f"sim:?seed={seed}&build={args.build}&rate={args.rate:g}&speed={speed_option(args.speed)}&routines=1"
    return spec + ("&hard=1" if args.hard else "")


def demo_ceiling(args: argparse.Namespace) -> None:
    """The simulated person knows their weight: a ceiling of 50 % of it shows the ceiling on screen,
    unless the user has a ceiling of their own or chose none in the wizard."""
    from smr_sense.tui.user_settings import load_user_settings

    saved = load_user_settings()
    if args.ceiling is None and args.ceiling_pct is None and not (saved.ceiling_n or saved.ceiling_pct_bw or saved.no_ceiling):
        args.ceiling_pct = 50.0


def run(args: argparse.Namespace) -> int:
    demo_ceiling(args)
    spec = demo_source(args)
    record = recording_asked(args, lambda: default_record_path("demo"))
    rename = next_free if not args.record else None
    return run_dashboard(spec, args, record_path=record, rename=rename, replace_existing=args.force)
