"""``smr-sense live --source SRC``: the dashboard on a real (or any) source, recorded by default.

The session is recorded into the user's data directory (``SMR_SENSE_DATA_DIR`` overrides it) unless
``--record FILE`` names another place or ``--no-record`` turns it off; the summary is saved beside
the recording. ``demo`` and ``replay`` are this command with a simulated or a recorded source.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smr_sense.cli.common import add_session_options, check_session_options, hold_cap_of, recording_file, warn
from smr_sense.errors import SmrError, UsageError

DATA_DIR_ENV = "SMR_SENSE_DATA_DIR"


def data_dir() -> Path:
    """Where sessions are kept: ``$SMR_SENSE_DATA_DIR`` or the platform's user data directory."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("smr-sense", appauthor=False))


def default_record_path(prefix: str = "session") -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = data_dir() / "sessions"
    try:
        folder.mkdir(parents=True, exist_ok=True)  # our own folder: made on first use
    except OSError as err:
        raise UsageError(f"cannot create the sessions folder {folder}: {err.strerror or err}") from None
    return next_free(folder / f"{prefix}-{stamp}.smr")


def next_free(path: Path) -> Path:
    """``path``, or the first of ``NAME-2.smr``, ``NAME-3.smr``, ... free with its summaries: for a
    name the app chose (two sessions in one second), never for one the user gave."""
    from smr_sense.report import taken_path

    candidate, n = path, 2
    while taken_path(candidate):
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def add_dashboard_options(p: argparse.ArgumentParser, *, recording: bool = True) -> None:
    """Options shared by demo, live and replay."""
    if recording:
        rec = p.add_mutually_exclusive_group()
        # --out as well: record and sim name their file so, and "live --out x.smr" was refused.
        rec.add_argument(
            "--record", "--out", dest="record", type=recording_file, metavar="FILE",
            help="record the session to FILE (default: a new file in the data directory)",
        )
        rec.add_argument("--no-record", action="store_true", help="do not record this session")
        p.add_argument("--force", action="store_true", help="replace the --record FILE and its summaries if they exist")
    p.add_argument("--unit", choices=("N", "kg", "%BW"), default="N", help="force unit on screen (u cycles it)")
    add_session_options(p, body_mass_help="your body weight, for %% body weight and the ceiling")
    p.add_argument("--window", type=float, default=20.0, metavar="S", help="seconds of force on the plot, 10-30 (default 20)")
    p.add_argument("--no-bell", action="store_true", help="no terminal bell at the cap (b toggles it)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "live",
        help="the dashboard on a roller (recorded by default)",
        description="Show the live dashboard for a roller: force, holds and the 20 s cap, the bottom-up "
        "routine. The session is recorded into your data directory unless told otherwise.",
    )
    p.add_argument("--source", required=True, metavar="SRC", help="serial:PORT, ble:NAME, sim, sim:?seed=7 or replay:FILE")
    add_dashboard_options(p)
    p.set_defaults(run=run)


def settings_from(args: argparse.Namespace) -> Any:
    """Options win; what the calibration wizard saved (body weight, ceiling) fills the rest."""
    from smr_sense.core.pipeline import SessionSettings
    from smr_sense.tui.user_settings import UserSettings, load_user_settings

    warning_s = check_session_options(args)
    # A replay has the recording's own (see replay._settings_as_recorded), as ``analyze`` does.
    saved = load_user_settings() if getattr(args, "saved_settings", True) else UserSettings()
    if saved.problem:
        warn(saved.problem)  # before the screen opens: it stays in the terminal after the dashboard
    ceiling_given = args.ceiling is not None or args.ceiling_pct is not None
    try:
        return SessionSettings(
            hold_cap_s=hold_cap_of(args),
            warning_before_cap_s=warning_s,
            body_mass_kg=args.body_mass if args.body_mass is not None else saved.body_mass_kg,
            ceiling_n=args.ceiling if ceiling_given else saved.ceiling_n,
            ceiling_pct_bw=args.ceiling_pct if ceiling_given else saved.ceiling_pct_bw,
            pinned=getattr(args, "pinned", frozenset()),  # a replay: what was given on its command line
        )
    except ValueError as err:
        raise UsageError(str(err)) from None


NOW = "now"  # a live session's summary is dated when it starts


def run_dashboard(
    source_spec: str,
    args: argparse.Namespace,
    *,
    record_path: Path | None,
    summary_path: Path | None = None,
    apply_profile: bool = True,
    calibration: dict[str, Any] | None = None,
    replace_existing: bool = False,
    started_at: str | None = NOW,
    force_from_s: float | None = None,
    settings: Any = None,
    rename: Callable[[Path], Path] | None = None,
) -> int:
    """Build the app on ``source_spec``, run it, and say afterwards where everything went.
    ``started_at``: when the session began (``NOW`` for a live one; None when a replayed file
    does not say). ``settings``: when the caller has built them from ``args`` already. ``rename``:
    the app chose ``record_path``, and may take another free name if it is taken meanwhile."""
    from smr_sense.sources import make_source
    from smr_sense.tui.app import DisplaySettings, make_app

    if not 10.0 <= args.window <= 30.0:
        raise UsageError(f"--window {args.window:g} is outside 10-30 seconds")
    source = make_source(source_spec)  # a bad spec is one sentence, before the screen opens
    if settings is None:
        settings = settings_from(args)
    if record_path is not None:  # a folder, or a missing one: said now, not at the first sample
        from smr_sense.recording.writer import check_output_path
        from smr_sense.sources.replay import ReplaySource

        # --force never writes over the file a replay source reads (existing files: refused below)
        reading = (source.path,) if isinstance(source, ReplaySource) else ()
        check_output_path(record_path, force=True, reading=reading)
    if record_path is not None and rename is not None:
        # A name the app chose may have been taken since by a session started in the same second:
        # another free one will do (two demos at once refused one: "... already exists").
        record_path = rename(record_path)
    from smr_sense.report import taken_path

    taken = taken_path(record_path) if record_path is not None and not replace_existing else None
    if taken is not None:  # the summary too: it may be another session's report for a trainer
        raise UsageError(f"{taken} already exists; use --force to replace it, or choose another --record file")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Textual would read an endless end-of-file from /dev/null, a whole core for nothing.
        raise UsageError(
            "the dashboard needs a terminal for its input and output; "
            "to record without one use `smr-sense record`, to summarise a file `smr-sense analyze`"
        )
    display = DisplaySettings(unit=args.unit, bell=not args.no_bell, plot_window_s=args.window)
    if started_at == NOW:
        from smr_sense.report import local_now

        started_at = local_now()
    app = make_app(
        source,
        settings,
        record_path=record_path,
        summary_path=summary_path,
        display=display,
        started_at=started_at,
        apply_profile=apply_profile,
        calibration=calibration,
        replace_existing=replace_existing,
        force_from_s=force_from_s,
        rename=rename,
    )
    try:
        app.run()
    finally:
        outcome = app.session.finish()  # whatever happened on screen, save what there is
    try:
        for path in outcome.saved:
            sys.stdout.write(f"saved {path}\n")
        if outcome.note:
            sys.stdout.write(outcome.note + "\n")
        sys.stdout.flush()
    except OSError:
        pass  # the terminal was closed: the files are saved, there is nobody to tell
    if app.fatal:
        raise SmrError(app.fatal)
    if outcome.error:
        raise SmrError(outcome.error)
    if app.fault:
        try:
            sys.stderr.write(f"smr-sense: {app.fault}\n")
        except OSError:
            pass  # the terminal was closed (it wrote a crash report, for a note nobody could read)
    return 0


def run(args: argparse.Namespace) -> int:
    # A real person's body weight comes from them (a simulated one's from the stream, a replay's from
    # the recording): without it a ceiling in % of body weight would be dropped unsaid.
    settings = settings_from(args)
    if settings.body_mass_kg is None and not args.source.startswith("sim"):
        if settings.ceiling_pct_bw is not None:
            raise UsageError("a ceiling in % of body weight needs your body weight: give --body-mass KG too")
        if args.unit == "%BW":
            raise UsageError("--unit %BW needs your body weight: give --body-mass KG too")
    record = recording_asked(args, default_record_path)
    rename = next_free if not args.record else None
    return run_dashboard(
        args.source, args, record_path=record, settings=settings, rename=rename, replace_existing=args.force
    )


def recording_asked(args: argparse.Namespace, default: Callable[[], Path]) -> Path | None:
    """Where a dashboard session is recorded: --record FILE, none, or a new file the app names."""
    if args.force and not args.record:
        # Without a file of the user's there is nothing to replace: a new name is always free.
        raise UsageError("--force replaces the file given with --record; give --record FILE too")
    return None if args.no_record else Path(args.record) if args.record else default()
