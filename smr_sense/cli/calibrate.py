"""``smr-sense calibrate --source SRC [--weights 5,10]``: zero and span a roller, save its profile.

A plain question-and-answer flow on the terminal, driven by the pure
:class:`~smr_sense.core.calibrate_steps.CalibrationProcedure` (the dashboard's wizard drives the same one).
Each step prints one prompt ending in "press Enter" and reads one line from stdin, so a script or a
test can drive it: an empty line goes on, ``q`` quits, the end of input cancels. A step the core
refuses (loaded, unsteady, too light, out of order) is explained in one sentence and asked again.

Sources that can place weights themselves (a simulated bench) are sent ``place_weight`` and
``remove_weights`` commands after each prompt; real rollers refuse those commands and the user
does it by hand. The profile is saved per device id in the config directory (``--no-save`` to skip).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import threading

from smr_sense.cli.common import warn, within_range
from smr_sense.core.words import rounded
from smr_sense.errors import SmrError, UsageError

NO_SAMPLES_TIMEOUT_S = 10.0


class CalibrationCancelled(SmrError):
    exit_code = 1


def _weights(text: str) -> list[float]:
    from smr_sense.core.calibrate import CalibrationFitError, parse_known_weights  # here: the CLI starts without numpy

    try:
        return parse_known_weights(text)
    except CalibrationFitError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _tare_s(text: str) -> float:
    from smr_sense.core.calibrate import TARE_MAX_S, TARE_MIN_S

    return within_range(TARE_MIN_S, TARE_MAX_S, "s", "a time to zero over")(text)


def _point_s(text: str) -> float:
    from smr_sense.core.calibrate import POINT_MAX_S, POINT_MIN_S

    return within_range(POINT_MIN_S, POINT_MAX_S, "s", "a time per weight")(text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate",
        help="zero and span a roller with known weights; saves its profile",
        description="Calibrate a roller: zero it unloaded, then put known weights on it. The result is "
        "saved as the device's profile and used from then on (and written into every recording).",
    )
    p.add_argument("--source", default="sim", metavar="SRC", help="sim, serial:PORT, ble:NAME ... (default sim)")
    p.add_argument("--weights", type=_weights, metavar="KG,KG", help="known weights (default 5,10)")
    p.add_argument("--tare-s", type=_tare_s, default=2.0, metavar="S", help="seconds to zero over, 1-5 (default 2)")
    p.add_argument("--point-s", type=_point_s, default=2.0, metavar="S", help="seconds per weight, 1-10 (default 2)")
    p.add_argument(
        "--zero", action="store_true",
        help="re-zero only, keeping the saved span (load cells drift: do it at the start of a session)",
    )
    p.add_argument("--no-save", action="store_true", help="show the result without saving the profile")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_calibrate(args))


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class _Answers:
    """Lines from stdin, read by a daemon thread. In asyncio's default executor a read blocked at a
    prompt held Ctrl-C off: the program said "interrupted" and still waited for Enter, taking
    what was typed meanwhile as an answer; a daemon thread is not waited for on the way out."""

    def __init__(self) -> None:
        self._lines: asyncio.Queue[str] | None = None

    async def get(self) -> str:
        if self._lines is None:
            self._lines = asyncio.Queue()
            args = (sys.stdin, asyncio.get_running_loop(), self._lines)
            threading.Thread(target=self._read, args=args, daemon=True).start()
        return await self._lines.get()

    @staticmethod
    def _read(stream, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue) -> None:
        while True:
            try:
                line = stream.readline()
            except (OSError, ValueError):  # closed or unreadable: as the end of input
                line = ""
            try:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            except RuntimeError:  # the program is ending: nobody asks any more
                return
            if line == "":
                return


async def _ask(prompt: str, answers: _Answers) -> str:
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = await answers.get()
    if line == "":
        raise CalibrationCancelled("calibration cancelled: the input ended before the last step")
    if line.strip().lower() in ("q", "quit"):
        raise CalibrationCancelled("calibration cancelled; nothing was saved")
    return line


async def _try_command(source, name: str, **kw) -> None:
    from smr_sense.sources import SourceError

    try:
        await source.command(name, **kw)
    except SourceError:
        pass  # a real roller: the user places the weight


def _as_known(info):
    """The stream under the device's saved calibration, if any, so the zero can tell a loaded
    roller (a raw-count roller otherwise cannot). A damaged profile is what this run replaces."""
    from smr_sense.profiles import profile_path, with_profile

    try:
        return with_profile(info)
    except SmrError as err:
        warn(f"{err}; calibrating replaces {profile_path(info.device_id)}")
        return info


async def _calibrate(args: argparse.Namespace) -> int:
    from smr_sense.core.calibrate import CalibrationFitError, RollerLoaded, TooLight
    from smr_sense.core.calibrate_steps import CalibrationProcedure
    from smr_sense.core.samples import SampleBlock
    from smr_sense.emulator import NO_WEIGHTS_ADVICE, is_emulated
    from smr_sense.profiles import Profile, check_can_save, save_profile
    from smr_sense.sources import make_source

    if args.zero and args.weights is not None:
        # Re-zeroing keeps the saved span, so weights given with it would be silently unused.
        raise UsageError("--zero keeps the saved span and takes no known weights; leave out --weights, or "
                         "calibrate without --zero to measure a new span")
    weights = [] if args.zero else (args.weights or [5.0, 10.0])
    source = make_source(args.source)
    if source.playback is not None:
        # A recording cannot be weighed or zeroed now, and what is saved is the live roller's profile.
        raise UsageError(
            f"calibrate measures the roller in front of you, not a recording ({args.source}); to calibrate from "
            "a recorded bench, replay it and press c in the dashboard, whose wizard can seek in it"
        )
    # Bounded: a source faster than real time (a simulated bench) waits instead of piling up.
    queue: asyncio.Queue = asyncio.Queue(maxsize=256)
    pump: asyncio.Task | None = None
    try:
        info = _as_known(await source.open())
        in_newtons = not info.sends_counts
        if is_emulated(info.device_id) and not args.zero:
            # Its simulated person keeps rolling and nobody can put a weight on it: the first
            # weight could only be refused, again and again. A zero needs no weight: it is taken
            # when the person is off the roller, between muscle groups.
            if in_newtons:
                instead = "it sends newtons already and needs none; to try calibrating, use the simulated bench"
            else:
                instead = "run the emulator with --units N, or try calibrating on the simulated bench"
            raise UsageError(
                f"{info.device_name} on {args.source} is an emulated roller, which cannot take known weights: "
                f"{instead} (smr-sense calibrate --source sim)"
            )
        if args.zero and info.calibration is None and not in_newtons:
            first = (
                NO_WEIGHTS_ADVICE
                if is_emulated(info.device_id)
                else f"calibrate it with known weights first (smr-sense calibrate --source {shlex.quote(args.source)})"
            )
            raise UsageError(f"{info.device_name} has no saved calibration to re-zero; {first}")
        proc = CalibrationProcedure(
            info, weights, tare_s=args.tare_s, point_s=args.point_s, zero_only=args.zero
        )
        if not args.no_save and not in_newtons:  # a roller in newtons keeps its zero itself
            check_can_save(info.device_id)
        doing = "re-zeroing" if args.zero else "calibrating"
        _say(f"{doing} {info.device_name} ({info.device_id}), channels: {', '.join(c.name for c in info.channels)}")

        async def pump_items() -> None:
            async for item in source:
                if isinstance(item, SampleBlock) and len(item):
                    await queue.put(item)
            await queue.put(None)

        pump = asyncio.create_task(pump_items())
        last_t: float | None = None

        async def next_block() -> SampleBlock:
            nonlocal last_t
            try:
                block = await asyncio.wait_for(queue.get(), NO_SAMPLES_TIMEOUT_S)
            except asyncio.TimeoutError:
                raise SmrError(f"no samples from {args.source} for {NO_SAMPLES_TIMEOUT_S:g} s; is the roller on?") from None
            if block is None:
                raise SmrError(f"{args.source} stopped streaming before the calibration finished")
            last_t = float(block.t_s[-1])
            return block

        answers = _Answers()
        loaded = False  # the last zero was refused as loaded: the person may say it is empty
        while (step := proc.current) is not None:
            answer = await _ask(f"{step.prompt}, then press Enter ({'e: it is empty; ' if loaded else ''}q to quit): ", answers)
            if loaded and answer.strip().lower() == "e":
                proc.assume_empty = True
            if step.kind == "tare":
                await _try_command(source, "remove_weights")
            else:
                await _try_command(source, "place_weight", kg=step.load_kg, channel=step.channel)
            for _ in range(queue.qsize()):  # what arrived while the user was busy is not part of the step
                await next_block()
            if last_t is None:
                await next_block()
            proc.start(float(last_t))
            while not proc.feed(await next_block()):
                pass
            try:
                result = proc.complete()
            except CalibrationFitError as err:
                _say(f"  {err}")
                loaded = isinstance(err, RollerLoaded)
                if loaded:
                    # Read through the old zero: a load cell remounted or an amplifier swapped reads
                    # tens of newtons unloaded, and refusing every zero left no way to recalibrate.
                    _say("  if nothing is on it, its zero has moved since it was calibrated: answer e to zero it as it is")
                elif isinstance(err, TooLight):
                    _say("  q quits; then calibrate again with heavier --weights")
                continue
            loaded = False
            _say(f"  {result.describe()}")
        if args.zero and in_newtons:
            return await _device_tare(source, info, proc.tare, args.no_save)
        if args.zero:
            return _save_rezero(args, info, proc.tare)
        calibration, report = proc.result()
        _say("fit (known vs fitted force):")
        for line in report.describe(calibration):
            _say(f"  {line}")
        if args.no_save:
            _say("not saved (--no-save)")
            return 0
        path = save_profile(
            Profile(
                info.device_id, info.device_name, calibration.to_json(),
                residuals_n=tuple(r.residual_n for r in report.residuals), noise_n=tuple(report.noise_n),
            )
        )
        _say(f"saved the profile for {info.device_id} to {path}")
        return 0
    finally:
        try:
            await _try_command(source, "resume")  # a simulated bench lets its person back on
        except Exception:  # noqa: BLE001 - closing must go on whatever the link says
            pass
        if pump is not None:
            pump.cancel()
            try:
                await pump
            except (asyncio.CancelledError, Exception):
                pass
        await source.close()


def _save_rezero(args: argparse.Namespace, info, tare) -> int:
    """The saved span on the new zero: say how far each zero moved, then save (the fit's residuals
    and noise stay those of the weights that made the span)."""
    from smr_sense.core.calibrate import rezero
    from smr_sense.core.calibration import Calibration
    from smr_sense.profiles import Profile, load_profile, save_profile

    before = Calibration.from_json(info.calibration)
    calibration, moved_n = rezero(before, tare)
    for old, new in zip(before.channels, calibration.channels):
        if old.name in moved_n:
            _say(f"  {old.name}: the zero moved {rounded(moved_n[old.name], 1):+.1f} N ({old.offset_counts:.0f} -> {new.offset_counts:.0f} counts)")
    if args.no_save:
        _say("not saved (--no-save)")
        return 0
    try:
        old = load_profile(info.device_id)
    except SmrError:  # damaged: what this run replaces (said when the roller was opened)
        old = None
    path = save_profile(
        Profile(
            info.device_id, info.device_name, calibration.to_json(),
            residuals_n=old.residuals_n if old else (), noise_n=old.noise_n if old else (),
        )
    )
    _say(f"saved the new zero for {info.device_id} to {path}")
    return 0


async def _device_tare(source, info, tare, no_save: bool) -> int:
    """A roller that sends N or kg keeps its zero itself: once the host has seen it unloaded and
    still, it is told to re-zero (the reference firmware's and the Progressor's ``tare``)."""
    from smr_sense.sources import SourceError

    # What it read unloaded is on the line above (``TareResult.describe``): not said twice.
    if no_save:
        _say(f"  {info.device_name} was not told to zero itself (--no-save)")
        return 0
    try:
        await source.command("tare")
    except SourceError as err:
        raise SmrError(f"{info.device_name} could not be told to zero itself: {err}") from None
    _say(f"  told {info.device_name} to zero itself (it keeps its zero, not the host)")
    return 0
