"""``smr-sense analyze FILE... [--json]``: holds, caps and rolling in recordings and CSVs, offline.

The same pipeline as the live dashboard, fed the whole file as one block (split only at its
markers), so every hold, warning and cap lands at the stream time the dashboard announced it.
Times are in the file's own time base. Problems with a file are one sentence on stderr; the other
files are still analysed, and the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from smr_sense.cli.common import (
    add_session_options, calibration_choice, check_session_options, hold_cap_of, non_negative_float, pinned_by, require, warn,
)
from smr_sense.errors import SmrError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="find holds, caps and rolling in recordings or CSV files",
        description="Analyse recordings (.smr) or interchange CSVs offline, exactly as the live dashboard would.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="recording or interchange CSV")
    p.add_argument("--json", action="store_true", help="one JSON object per file (an array for several files)")
    add_session_options(p, body_mass_help="body mass, for a ceiling in %% of body weight")
    p.add_argument(
        "--warning", type=non_negative_float, metavar="S",
        help="warn S seconds before the cap, less than the cap (default 5, or half a cap under 10 s; 0: no warning)",
    )
    p.add_argument(
        "--calibration", metavar="WHICH", default="recorded", type=calibration_choice,
        help="'recorded' (the default: the recording's own), 'profile' (the device's saved profile), "
        "or a profile or calibration JSON file",
    )
    p.add_argument(
        "--events", action="store_true", help="also list every event in the table output (--json always has them)"
    )
    p.set_defaults(run=run)


def _settings(args: argparse.Namespace):
    from smr_sense.core.pipeline import SessionSettings

    warning_s = check_session_options(args)
    return SessionSettings(
        hold_cap_s=hold_cap_of(args),
        warning_before_cap_s=warning_s,
        body_mass_kg=args.body_mass,
        ceiling_n=args.ceiling,
        ceiling_pct_bw=args.ceiling_pct,
        pinned=pinned_by(args),
    )


class UnmeasuredFile(SmrError):
    """A file that was read but cannot be measured, with what its reading found wrong with it: a
    damaged header whose calibration was left out is often the reason, so it is said first."""

    def __init__(self, why: SmrError, file_warnings: list[str]) -> None:
        super().__init__(str(why))
        self.file_warnings = tuple(file_warnings)


def analyze_file(path: str, settings: Any, calibration: str = "recorded") -> dict[str, Any]:
    """The ``--json`` object for one file (raises SmrError with one sentence)."""
    from smr_sense.recording import load_any

    rec = load_any(path)
    try:
        return _analyze_recording(rec, path, settings, calibration)
    except SmrError as err:
        raise UnmeasuredFile(err, rec.warnings) from err


def _analyze_recording(rec: Any, path: str, settings: Any, calibration: str) -> dict[str, Any]:
    from smr_sense.core.analysis import result_to_json
    from smr_sense.core.calibration import CalibrationError, UnnamedChannelError, is_calibrated
    from smr_sense.core.pipeline import analyze_block
    from smr_sense.profiles import calibration_from_option, other_device_warning
    from smr_sense.recording.csv_export import unmeasured_until
    from smr_sense.recording.csv_sensor import stream_path

    cal = calibration_from_option(calibration, rec.info.device_id)
    foreign = other_device_warning(cal, rec.info.device_id)
    if cal is not None:
        rec = rec.recalibrated(cal)
    elif not is_calibrated(rec.info):
        rec = _from_first_calibration(rec) or _with_saved_profile(rec, path)
    elif (first := unmeasured_until(rec)) is not None:
        # The export of such a recording: its force columns are empty until that calibration.
        rec = _starting_at(rec, first)
    if len(rec.block) == 0:
        raise SmrError(f"{path} holds no samples")
    # Body weight and ceiling as the session had them live (options given now win), then as the
    # calibration wizard changed them, on its markers: the same events the dashboard announced. With
    # none of those, a stream that notes its person's weight (the simulator) gives it, as in a replay.
    settings = settings.as_recorded(rec.header.get("extra") or {}).with_stream_body_mass(rec.info.extra)
    if not settings.warning_s < settings.hold_cap_s:  # --warning given, the cap the file's own
        raise SmrError(f"--warning {settings.warning_s:g} s must be shorter than {path}'s {settings.hold_cap_s:g} s hold cap")
    if settings.ceiling_pct_bw is not None and settings.body_mass_kg is None:
        raise SmrError(f"{path} notes no body weight: give --body-mass for a ceiling in % of body weight")
    try:
        result = analyze_block(rec.info, rec.block, rec.markers, settings)
    except UnnamedChannelError as err:
        hint = ""
        if rec.from_csv and err.calibrated:
            # A logger's CSV names its columns raw_0..k; its description can give them the
            # calibration's names (README: Interchange CSV).
            named = json.dumps({"channels": [{"column": err.channel, "name": err.calibrated[0]}]})
            hint = f"; say which it is in {stream_path(Path(path))}, as {named}"
        raise SmrError(f"{path}: {err}{hint}") from None
    except CalibrationError as err:
        raise SmrError(f"{path}: {err}") from None
    out = _no_negative_zero(result_to_json(result))
    out["warnings"] = list(rec.warnings) + ([foreign] if foreign else []) + out["warnings"]
    out["summary"]["warnings"] = len(out["warnings"])  # the file's own too, not only the pipeline's
    return out


def _with_saved_profile(rec: Any, path: str) -> Any:
    """An uncalibrated recording under the device's saved profile, if there is one."""
    from smr_sense.errors import FileFormatError
    from smr_sense.profiles import load_profile

    device_id = rec.info.device_id
    try:
        profile = load_profile(device_id)
    except FileFormatError as err:
        # Said as record and the dashboard say it; here there is nothing to measure without it.
        raise SmrError(
            f"{path} holds raw counts without a calibration, and the device's saved profile is damaged ({err}): "
            f"{_how_to_measure(device_id, again=True)}"
        ) from None
    if profile is None:
        raise SmrError(f"{path} holds raw counts without a calibration; {_how_to_measure(device_id)}")
    return rec.with_calibration(profile.calibration)


def _how_to_measure(device_id: str, again: bool = False) -> str:
    """What measures a recording of raw counts. An emulated roller cannot be calibrated (calibrate
    and the wizard refuse it: nobody can put a weight on it), so it is never sent there."""
    from smr_sense.emulator.roller import NO_WEIGHTS_ADVICE, is_emulated

    if is_emulated(device_id):
        return f"{NO_WEIGHTS_ADVICE} in a new recording, or pass --calibration FILE to measure this one"
    if again:
        return "calibrate the device again (smr-sense calibrate), which replaces that profile, or pass --calibration FILE"
    return "calibrate the device (smr-sense calibrate) or pass --calibration FILE"


def _from_first_calibration(rec: Any) -> Any:
    """A recording that began uncalibrated and was calibrated in the dashboard's wizard: from that
    marker on, under that calibration, as the live session analysed it (it had no force before).
    None when the recording holds no such marker."""
    from smr_sense.core.pipeline import first_saved_calibration, saved_calibration

    first = first_saved_calibration(rec.markers)
    if first is None:
        return None
    return _starting_at(rec.with_calibration(saved_calibration(first)), first)


def _starting_at(rec: Any, first: Any) -> Any:
    """``rec`` from the wizard's first calibration on, saying so."""
    from dataclasses import replace

    return replace(
        rec,
        block=rec.block.slice(rec.first_after(first), len(rec.block)),
        markers=[m for m in rec.markers if m.t_s >= first.t_s],
        warnings=[
            *rec.warnings,
            f"the roller was first calibrated at {first.t_s:.2f} s, in the dashboard's wizard; "
            "the analysis starts there, as it did live",
        ],
    )


def _no_negative_zero(obj: Any) -> Any:
    """A time rounded from a hair below zero reads ``-0.0``: print it as the 0.0 it is."""
    if isinstance(obj, float):
        return obj + 0.0  # -0.0 + 0.0 == +0.0; every other value is unchanged
    if isinstance(obj, dict):
        return {k: _no_negative_zero(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_no_negative_zero(v) for v in obj]
    return obj


def run(args: argparse.Namespace) -> int:
    # --events adds the events to the table; --json carries them already ("events"), so the pair
    # would ask for something it cannot change.
    require(
        not (args.json and args.events), '--events is for the table: --json already lists every event under "events"'
    )
    settings = _settings(args)
    results: list[dict[str, Any]] = []
    failed = 0
    for path in args.files:
        try:
            obj = analyze_file(path, settings, args.calibration)
        except SmrError as err:
            failed += 1
            for w in err.file_warnings if isinstance(err, UnmeasuredFile) else ():
                warn(w)
            sys.stderr.write(f"smr-sense: error: {err}\n")
            continue
        for w in obj.get("warnings", []):
            warn(f"{path}: {w}" if not w.startswith(str(path)) else w)
        results.append({"file": path, **obj})
    if args.json:
        if len(args.files) == 1:
            if results:
                single = dict(results[0])
                single.pop("file", None)
                sys.stdout.write(json.dumps(single) + "\n")
        else:
            sys.stdout.write(json.dumps(results) + "\n")
    else:
        for obj in results:
            sys.stdout.write(format_table(obj, events=args.events))
    return 2 if failed else 0


def _f(x: float | None, nd: int = 2, unit: str = "") -> str:
    return "-" if x is None else f"{x:.{nd}f}{unit}"


def format_table(obj: dict[str, Any], events: bool = False) -> str:
    from smr_sense.core.events import text_of
    from smr_sense.core.words import caps_reached, counted, without_samples

    s = obj["summary"]
    holds = f"{s['holds']}{caps_reached(s['holds'], s['holds_capped'], 'the {:g} s cap'.format(s['hold_cap_s']))}"
    if s["holds"]:  # "holds: 0", not "0 (0 reached the 20 s cap), 0.0 s in total, longest 0.0 s"
        holds += f", {_f(s['hold_time_s'], 1)} s in total, longest {_f(s['longest_hold_s'], 1)} s"
    lines = [
        f"{obj['file']}: {obj['device_id']}, {_f(obj['duration_s'], 1)} s at {_f(obj['sample_rate_hz'], 1)} Hz, "
        f"motion from {s['motion_cue'].replace('_', ' ')}",
        f"  holds: {holds}; "
        f"rolling: {s['rolling_stretches']} stretch{'es' if s['rolling_stretches'] != 1 else ''}, {_f(s['rolling_time_s'], 1)} s; peak force {_f(s['peak_force_n'], 0)} N",
    ]
    # Times are in the file's own time base: a Unix-epoch clock needs 13 characters, not 9.
    times = [h[k] for h in obj["holds"] for k in ("start_s", "end_s", "cap_at_s") if h[k] is not None]
    times += [r[k] for r in obj["rolling"] for k in ("start_s", "end_s")]
    times += [e["t_s"] for e in obj["events"]] if events else []
    w = max([9] + [len(f"{x:.2f}") for x in times])
    if obj["holds"]:
        lines.append(
            f"  {'hold':>7} {'start s':>{w}} {'end s':>{w}} {'length s':>9} {'mean N':>7} {'peak N':>7}  "
            f"{'cap at s':>{w}} {'over s':>7}"
        )
        for i, h in enumerate(obj["holds"], 1):
            cap = _f(h["cap_at_s"]) if h["cap_at_s"] is not None else "-"
            lines.append(
                f"  {i:>7} {h['start_s']:>{w}.2f} {h['end_s']:>{w}.2f} {h['duration_s']:>9.2f} {h['mean_force_n']:>7.0f} "
                f"{h['peak_force_n']:>7.0f}  {cap:>{w}} {h['over_cap_s']:>7.2f}"
            )
    if obj["rolling"]:
        lines.append(f"  {'rolling':>7} {'start s':>{w}} {'end s':>{w}} {'length s':>9}")
        for i, r in enumerate(obj["rolling"], 1):
            lines.append(f"  {i:>7} {r['start_s']:>{w}.2f} {r['end_s']:>{w}.2f} {r['end_s'] - r['start_s']:>9.2f}")
    if s.get("ceiling_n") is not None:
        pct = s.get("ceiling_pct_bw")
        of = f" ({pct:g} % of {s['body_mass_kg']:g} kg body weight)" if pct and s.get("body_mass_kg") else ""
        lines.append(f"  ceiling {s['ceiling_n']:.0f} N{of} exceeded {counted(s['ceiling_exceeded'], 'time')}")
    if s.get("signal_lost"):
        lost = without_samples(s.get("signal_lost_s") or 0.0)
        lines.append(f"  signal lost {counted(s['signal_lost'], 'time')}{lost}")
    if events:
        for e in obj["events"]:
            lines.append(f"  {e['t_s']:{w}.2f} s  {e['kind']:<18}  {text_of(e)}")
    return "\n".join(lines) + "\n\n"
