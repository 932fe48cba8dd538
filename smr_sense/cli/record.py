"""``smr-sense record``: headless recording from any source, one printed line per event.

The same pipeline as the dashboard runs on the samples, so the printed holds and caps are the ones
the dashboard would show; the recording is appended as samples arrive (crash-safe) and closed
cleanly on Ctrl-C, SIGTERM, the end of the stream or ``--duration``.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from pathlib import Path

import numpy as np

from smr_sense.cli.common import STOP_SIGNALS, add_hold_cap_option, hold_cap_of, positive_float, recording_file, warn
from smr_sense.core.events import log_line
from smr_sense.core.samples import Marker, SampleBlock
from smr_sense.core.words import caps_reached, counted, without_samples
from smr_sense.devices.stream import is_another_device
from smr_sense.errors import SmrError
from smr_sense.recording import RecordingWriter

LINK_POLL_S = 0.5  # while the link is lost: how often to look at why it has not come back


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "record",
        help="record a session without the dashboard",
        description="Record from a source to FILE, printing one line per event (holds, caps, contact, link).",
    )
    p.add_argument("--source", default="sim", metavar="SRC", help="sim, sim:?seed=7&build=imu, replay:FILE, serial:PORT, ble:NAME")
    p.add_argument("--out", required=True, type=recording_file, metavar="FILE", help="recording to write (.smr)")
    p.add_argument(
        "--duration", type=positive_float, metavar="S",
        help="stop after S seconds of stream time (wall time while the link is lost)",
    )  # fmt: skip
    add_hold_cap_option(p)
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    _refuse_taken(Path(args.out), args.force)  # before a roller is connected for nothing
    return asyncio.run(_record(args))


def _refuse_taken(out: Path, force: bool) -> None:
    """Nothing is written over without --force: the recording, nor the summary saved beside it,
    which may be another session's report for a trainer (the dashboard refuses it too)."""
    from smr_sense.recording.writer import check_output_path
    from smr_sense.report import taken_path

    check_output_path(out, force)  # the recording itself (a pipe or a device: written as it is)
    if force or (out.exists() and not out.is_file()):  # a pipe or a device gets no summary beside it
        return
    if (taken := taken_path(out)) is not None:
        raise SmrError(f"{taken} already exists; use --force to overwrite it, or record to another file")


def _marker_line(m: Marker) -> str:
    d = m.data
    if m.kind == "muscle_group":
        from smr_sense.tui.phrases import group_label

        text = f"now: {group_label(d)}"
    elif m.kind == "disconnected":
        text = f"link lost: {d['reason']}" if d.get("reason") else "link lost"
    elif m.kind == "reconnected":
        text = f"link back after {float(d['gap_s']):.1f} s" if "gap_s" in d else "link back"
    else:
        text = ", ".join(f"{k}={v}" for k, v in d.items())
    return log_line(m.t_s, m.kind, text)


def _refusal_news(source, said: str | None, t_s: float) -> str | None:
    """Print, once, that another roller answered on the lost link (the dashboard's banner says it
    too): without it the recording only seems to wait. Returns what has been said."""
    error = getattr(source, "last_error", None)
    if error != said and is_another_device(error):
        _print(log_line(t_s, "refused", error))
    return error


def _summary_line(summary: dict) -> str:
    holds, capped = summary.get("holds", 0), summary.get("holds_capped", 0)
    line = (
        f"summary: {summary.get('duration_s', 0.0):.0f} s, {counted(holds, 'hold')}"
        f"{caps_reached(holds, capped, over_s=summary.get('over_cap_s', 0.0))}, "
        f"rolling {summary.get('rolling_time_s', 0.0):.0f} s, peak {summary.get('peak_force_n') or 0.0:.0f} N"
    )
    if summary.get("signal_lost"):  # the time without samples is in none of the figures before it
        lost = without_samples(summary.get("signal_lost_s") or 0.0)
        line += f", signal lost {counted(summary['signal_lost'], 'time')}{lost}"
    return line


def _announce(events, kept) -> int:
    """Print each event and file it in the summary (what is said is what is counted): how many."""
    n = 0
    for event in events:
        _print(event.describe())
        kept.event(event)
        n += 1
    return n


def _print(line: str) -> None:
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except OSError:
        pass  # the terminal was closed (SIGHUP): the recording goes on being saved, unseen


async def _record(args: argparse.Namespace) -> int:
    from smr_sense.core.calibration import CalibrationError
    from smr_sense.core.pipeline import Pipeline, SessionSettings
    from smr_sense.emulator import NO_WEIGHTS_ADVICE, is_emulated
    from smr_sense.profiles import with_usable_profile
    from smr_sense.sources import make_source  # looked up when run, like the other commands
    from smr_sense.sources.link import LinkSource
    from smr_sense.cli.record_summary import RecordSummary
    from smr_sense.report import local_now, recorded_at
    from smr_sense.sources.replay import ReplaySource, carried_over

    source = make_source(args.source)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # A closed terminal or a dropped ssh (SIGHUP) stops it as Ctrl-C does: the file is closed with
    # its end marker (it exited 129 and left a file every later command called "not closed cleanly").
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    writer: RecordingWriter | None = None
    pipeline: Pipeline | None = None  # None once analysing: raw counts with no calibration, not measured
    analysing = False
    kept = RecordSummary()
    warnings: list[str] = []  # about the data, for whoever reads the summary later
    stopper: asyncio.Future | None = None
    try:
        # The device's saved calibration profile, when there is one, is the calibration in effect,
        # and goes into the recording's header with everything else. A damaged one is said and
        # ignored: it must not cost the session.
        info, damaged = with_usable_profile(await source.open())
        if damaged:
            warn(damaged)
        for w in getattr(source, "warnings", []):
            warn(w)
            warnings.append(w)
        # When the session was done: a replay's, when it was first recorded.
        kept.started_at = recorded_at(source.recording.header) if isinstance(source, ReplaySource) else local_now()
        # A replay is never recorded over the file it plays.
        reading = (source.path,) if isinstance(source, ReplaySource) else ()
        settings = SessionSettings(hold_cap_s=hold_cap_of(args))
        # The cap in the header: analyze and replay time the holds as this session did.
        writer = RecordingWriter(args.out, info, force=args.force, reading=reading, extra=settings.timing())
        try:
            pipeline = Pipeline(info, settings)
        except CalibrationError:
            # A roller that sends raw counts and was never calibrated: its counts are worth keeping
            # (as the dashboard keeps them), and analyze measures them once a profile exists.
            pipeline = None
            if is_emulated(info.device_id):
                how = NO_WEIGHTS_ADVICE
            else:
                how = (
                    # Quoted for a shell: pasted as it was, "?rate=50&format=text" sent it to the background.
                    f"calibrate it (smr-sense calibrate --source {shlex.quote(source.spec)}) and smr-sense analyze "
                    f"{shlex.quote(args.out)} "
                    "will measure them"
                )
            warn(f"{info.device_name} sends raw counts and has no calibration: recording them without measuring holds; {how}")
        analysing = True
        channels = ", ".join(c.name for c in info.channels)
        _print(
            f"recording {info.device_name} [{channels}] at {info.rate_hz:g} Hz from {source.spec} "
            f"to {args.out} (Ctrl-C to stop)"
        )
        first_t: float | None = None
        printed = 0  # events printed so far; finish() may add the last ones
        items = source.__aiter__()
        stopper = asyncio.ensure_future(stop.wait())  # one waiter for Ctrl-C / SIGTERM, raced per item
        # While a live link is lost, stream time stands still: --duration then counts the wall time
        # since the drop, so a roller that never comes back does not keep the recording open for ever.
        # (A replay's recorded drops are stream time like the rest: its own pace decides.)
        live_link = isinstance(source, LinkSource)
        lost_at: tuple[float, float] | None = None  # (stream time, loop time) of the drop
        refusal: str | None = None  # the link's last refusal of another device, as printed
        while True:
            if stopper.done():  # a source that never waits (sim at speed=max) has its next item ready too
                break
            next_item = asyncio.ensure_future(items.__anext__())
            while True:
                timeout_s = None
                if args.duration is not None and lost_at is not None:
                    lost_t, lost_wall = lost_at
                    elapsed_s = lost_t - (first_t if first_t is not None else lost_t) + loop.time() - lost_wall
                    timeout_s = max(0.0, args.duration - elapsed_s)
                # While the link is lost, why it does not come back is looked at now and then.
                poll_s = LINK_POLL_S if lost_at is not None else None
                wait_s = min((x for x in (timeout_s, poll_s) if x is not None), default=None)
                await asyncio.wait({next_item, stopper}, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
                if next_item.done() or stopper.done() or (timeout_s is not None and wait_s == timeout_s):
                    break
                refusal = _refusal_news(source, refusal, lost_at[0])
            if not next_item.done():
                next_item.cancel()
                if not stopper.done():
                    _print(f"--duration {args.duration:g} s reached while the link was lost")
                break
            try:
                item = next_item.result()
            except StopAsyncIteration:
                break
            if isinstance(item, Marker) and item.kind == "seek":
                # A replay started part way: the file begins there, under what was in force there.
                for m in carried_over(item):
                    writer.mark(m)
                    kept.mark(m)
                    printed += _announce(pipeline.mark(m) if pipeline else (), kept)
                continue
            if isinstance(item, Marker):
                if item.kind == "disconnected" and live_link and lost_at is None:
                    lost_at = (item.t_s, loop.time())  # the first drop: a link that flaps does not restart it
                writer.mark(item)
                kept.mark(item)
                _print(_marker_line(item))
                printed += _announce(pipeline.mark(item) if pipeline else (), kept)
                continue
            assert isinstance(item, SampleBlock)
            if len(item):
                lost_at = None  # samples again: stream time goes on (including the time away)
            reached_end = False
            if args.duration is not None and len(item):
                first_t = float(item.t_s[0]) if first_t is None else first_t
                keep = int(np.searchsorted(item.t_s, first_t + args.duration, side="left"))
                reached_end = keep < len(item)
                item = item.slice(0, keep)
            writer.append(item)
            kept.samples(item)
            printed += _announce(pipeline.feed(item).events if pipeline else (), kept)
            if reached_end:
                break
        if pipeline is not None:
            result = pipeline.finish()
            # What finish() closes (a hold still open when the stream stopped) is an event too.
            _announce(result.events[printed:], kept)
            _print(_summary_line(result.summary))
            warnings += result.warnings
        if losses := source.stats.losses():
            _print(f"link: {losses}")
        if link_warning := source.stats.summary_warning():
            warnings.append(link_warning)
    finally:
        if stopper is not None:
            stopper.cancel()
        await source.close()
        if writer is not None:
            writer.close()
            if writer.failed is None:  # else the error names what was kept
                _print(f"saved {counted(writer.samples, 'sample')} to {args.out}")
            if analysing:  # else the session never started: the error says why, and no summary has a figure
                _save_summary(kept, args, info, settings, warnings, measured=pipeline is not None)
    return 0


def _save_summary(kept, args, info, settings, warnings: list[str], *, measured: bool) -> None:
    """The trainer's summary beside the recording, as the dashboard saves it; a summary that cannot
    be saved (a full disk) is said, and costs nothing recorded."""
    from smr_sense.tui.outcome import not_measured_reason

    out = Path(args.out)
    not_measured = None if measured else not_measured_reason(
        None, uncalibrated=True, device_id=info.device_id, counts_in=out
    )
    try:
        saved = kept.save(
            out, info, hold_cap_s=settings.hold_cap_s, warnings=warnings,
            not_measured=not_measured,
        )
    except SmrError as err:
        warn(str(err))
        return
    if saved is not None:
        _print(f"saved the summary to {saved[0]} and {saved[1]}")
