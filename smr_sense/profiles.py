"""Device profiles: each roller's calibration, kept per device in the user's config directory.

    ~/.config/smr-sense/profiles/<device id>.json      (platformdirs; SMR_SENSE_CONFIG_DIR overrides)
    {"version": 1, "device_id": "sim-imu-7", "device_name": "...", "saved_at": "2026-...Z",
     "calibration": {...core.calibration JSON...}, "residuals_n": [...], "noise_n": [...]}

A source's stream is given its profile's calibration on opening (:func:`with_profile`), so the
calibration in effect is written into every recording's header; ``analyze --calibration`` and
``replay`` can swap in another one (recalibrating an old session). Edge code: file I/O and the wall
clock (for ``saved_at``) live here, never in the core.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from smr_sense.core.calibration import Calibration, CalibrationError
from smr_sense.core.samples import StreamInfo
from smr_sense.errors import FileFormatError, SmrError

CONFIG_ENV = "SMR_SENSE_CONFIG_DIR"
PROFILE_VERSION = 1


def config_dir() -> Path:
    """The user's smr-sense config directory (``SMR_SENSE_CONFIG_DIR`` wins, for tests and portable use)."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("smr-sense"))


def _safe_name(device_id: str) -> str:
    # A BLE address (AA:BB:...) or a serial port path must become one portable file name.
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", device_id).strip("._")
    return name or "device"


def profile_path(device_id: str) -> Path:
    return config_dir() / "profiles" / f"{_safe_name(device_id)}.json"


@dataclass(frozen=True)
class Profile:
    device_id: str
    device_name: str
    calibration: dict[str, Any]
    saved_at: str = ""
    residuals_n: tuple[float, ...] = ()
    noise_n: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": PROFILE_VERSION,
            "device_id": self.device_id,
            "device_name": self.device_name,
            "saved_at": self.saved_at,
            "calibration": self.calibration,
            "residuals_n": list(self.residuals_n),
            "noise_n": list(self.noise_n),
        }


def load_profile(device_id: str) -> Profile | None:
    """The saved profile for ``device_id``, or None when there is none."""
    path = profile_path(device_id)
    if not path.exists():
        return None
    return read_profile_file(path)


def read_profile_file(path: str | os.PathLike[str]) -> Profile:
    path = Path(path)
    try:
        obj = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileFormatError(f"{path} does not exist") from None
    except json.JSONDecodeError as err:
        raise FileFormatError(f"{path} is not a calibration profile: not valid JSON (line {err.lineno})") from None
    except UnicodeDecodeError:
        raise FileFormatError(f"{path} is not a calibration profile: it is not text") from None
    except OSError as err:
        raise FileFormatError(f"{path} cannot be read: {err.strerror or err}") from None
    if not isinstance(obj, dict):
        raise FileFormatError(f"{path} is not a calibration profile")
    cal = obj.get("calibration", obj if "channels" in obj else None)
    if cal is None:
        raise FileFormatError(f"{path} holds no calibration")
    try:
        Calibration.from_json(cal)
    except CalibrationError as err:
        raise FileFormatError(f"{path}: {err}") from None
    try:
        if int(obj.get("version", 1)) > PROFILE_VERSION:
            raise FileFormatError(f"{path} is a profile of a newer smr-sense (version {obj.get('version')})")
        return Profile(
            device_id=str(obj.get("device_id", cal.get("device_id", ""))),
            device_name=str(obj.get("device_name", "")),
            calibration=cal,
            saved_at=str(obj.get("saved_at", "")),
            residuals_n=tuple(float(x) for x in obj.get("residuals_n", []) or []),
            noise_n=tuple(float(x) for x in obj.get("noise_n", []) or [] if x is not None),
        )
    except (TypeError, ValueError):
        raise FileFormatError(f"{path} is a damaged calibration profile: a version or residual is not a number") from None


def save_profile(profile: Profile) -> Path:
    """Write the profile atomically; returns its path."""
    path = profile_path(profile.device_id)
    stamped = profile if profile.saved_at else Profile(
        profile.device_id, profile.device_name, profile.calibration,
        datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), profile.residuals_n, profile.noise_n,
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(stamped.to_json(), indent=2) + "\n")
        os.replace(tmp, path)
    except OSError as err:
        raise _cannot_save(path, err) from None
    return path


def _cannot_save(path: Path, err: OSError) -> SmrError:
    return SmrError(f"could not save the calibration profile to {path}: {err.strerror or err}")


def check_can_save(device_id: str) -> None:
    """Refuse, before anyone puts a weight on the roller, a profile that could not be saved (a
    config folder that cannot be made or written): the same sentence the save would end with."""
    path = profile_path(device_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A real write, not os.access: root passes access checks that a read-only mount still refuses.
        probe = path.with_name(f".{path.name}.probe")
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise _cannot_save(path, err) from None


def with_profile(info: StreamInfo) -> StreamInfo:
    """The stream with its device's saved calibration in effect (unchanged when there is none).
    Raises on a damaged profile: what a session opens with is :func:`with_usable_profile`."""
    profile = load_profile(info.device_id)
    if profile is None:
        return info
    return info.with_calibration(profile.calibration)


def with_usable_profile(info: StreamInfo) -> tuple[StreamInfo, str | None]:
    """The stream under its device's saved calibration, as :func:`with_profile`, and the sentence to
    warn with when that profile is damaged. A damaged profile is then ignored, never a reason to
    stop: the stream keeps its own calibration (or none, and its raw counts are recorded as those of
    a roller never calibrated), since refusing would lose the session to a file the user never asked
    for by name. (``--calibration FILE`` is asked for by name, and may be refused.)"""
    try:
        return with_profile(info), None
    except FileFormatError as err:
        return info, damaged_profile_warning(info.device_id, err)


def damaged_profile_warning(device_id: str, err: SmrError) -> str:
    """One sentence: the saved profile is ignored, and what to do about it."""
    from smr_sense.emulator.roller import is_emulated

    if is_emulated(device_id):  # calibrate refuses emulated rollers: deleting is the one way out
        fix = "delete that file"
    else:
        fix = "recalibrate the roller (smr-sense calibrate), which replaces that file, or delete it"
    return f"{err}; going on without that saved calibration: {fix}"


def calibration_from_option(value: str, device_id: str) -> dict[str, Any] | None:
    """``--calibration`` on replay/analyze: a profile or calibration JSON file, ``profile`` (the
    device's saved profile) or ``none`` (keep the recording's own)."""
    if value in ("", "none", "recorded"):
        return None
    if value == "profile":
        profile = load_profile(device_id)
        if profile is None:
            raise SmrError(f"there is no saved calibration profile for device '{device_id}' (see smr-sense calibrate)")
        return profile.calibration
    profile = read_profile_file(value)
    if profile.device_id and not profile.calibration.get("device_id"):
        # A profile names its device once, outside the calibration: keep it with the calibration.
        return {**profile.calibration, "device_id": profile.device_id}
    return profile.calibration


def other_device_warning(calibration: dict[str, Any] | None, device_id: str) -> str | None:
    """A sentence when ``calibration`` was made on another device than the recording's, else None.
    Swapping one in is how an old session is recalibrated, so it is allowed; but forces measured
    with another roller's numbers are only as right as the two rollers are alike."""
    from smr_sense.recording.csvio import UNDESCRIBED_DEVICE

    other = str((calibration or {}).get("device_id") or "")
    # A logger's CSV that names no device (it is named after its file) has none to differ from.
    if not other or not device_id or other == device_id or device_id.startswith(UNDESCRIBED_DEVICE):
        return None
    return (
        f"the calibration given was made on device '{other}', and this recording comes from '{device_id}': "
        "its forces are only right if the two are the same roller"
    )
