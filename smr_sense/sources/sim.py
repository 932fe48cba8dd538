"""``sim`` / ``sim:?seed=7&build=imu&rate=100&speed=1&duration=600&hard=1``: the simulated roller.

``routines=N`` ends the stream when the simulated person has been through the bottom-up routine N
times, as a real session ends (``demo`` shows one); otherwise they go round it for as long as it is read.

The default source: it makes the app useful with no hardware. Samples come from the pure
simulator in ``core.sim``; this edge only paces them against the wall clock and stamps host time.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import numpy as np

from smr_sense.core.calibration import G_N_PER_KG
from smr_sense.core.samples import Marker, StreamInfo, interleave
from smr_sense.core.settings import BODY_MASS_RANGE_KG
from smr_sense.core.sim import BUILDS, SimConfig, SimRoller
from smr_sense.routine import ROUTINE, group_by_key
from smr_sense.sources.base import Source, SourceError, SourceItem
from smr_sense.sources.pacing import MAX_BLOCK_AS_FAST, Pacer
from smr_sense.sources.spec import SourceSpec

# Each seed is a roller of its own (its cells' gains and offsets, its device id sim-BUILD-SEED). The
# default is the one ``demo`` shows, so that ``calibrate --source sim`` calibrates the roller the
# demo then measures with.
DEFAULT_SEED = 7
FIRST_GROUP = ROUTINE[0].key  # the routine starts at the bottom
OPTIONS = {"seed", "build", "rate", "speed", "duration", "hard", "channels", "mass", "drop", "routines"}


class GroupAnnouncer:
    """The simulated person follows the bottom-up routine and says when they move on, as a user
    would press a key: ``muscle_group`` markers at the start of each group's first segment."""

    def __init__(self, roller: SimRoller, routines: int | None = None) -> None:
        self.roller = roller
        self.routines = routines
        self.over_s: float | None = None  # when the person began the routine once more than ``routines``
        self._rounds = 0
        self._group: str | None = None
        self._next_segment = 0  # first truth segment not yet checked for a group change

    def between(self, from_s: float, to_s: float) -> list[Marker]:
        out = []
        truth = self.roller.truth
        # Only segments not yet looked at: the truth grows for as long as the roller is read.
        while self._next_segment < len(truth) and truth[self._next_segment].start_s < to_s:
            seg = truth[self._next_segment]
            if seg.group == FIRST_GROUP and seg.group != self._group:
                self._rounds += 1
                if self.routines is not None and self._rounds > self.routines and self.over_s is None:
                    self.over_s = seg.start_s  # lifted off after the last group: the session is over
            if seg.start_s >= from_s and seg.group != self._group and (self.over_s is None or seg.start_s < self.over_s):
                self._group = seg.group
                label = group_by_key(seg.group).label  # as the dashboard's own group changes carry it
                out.append(Marker(seg.start_s, "muscle_group", {"group": seg.group, "label": label}))
            self._next_segment += 1
        return out


class SimSource(Source):
    def __init__(
        self, spec: str, config: SimConfig, speed: float = 1.0, duration_s: float | None = None, routines: int | None = None
    ) -> None:
        super().__init__(spec)
        self.config = config
        self.speed = speed
        self.duration_s = duration_s
        self.routines = routines
        self.roller: SimRoller | None = None
        # Calibration bench: None while the simulated person rolls; per-cell load (N) once
        # ``remove_weights`` or ``place_weight`` has been sent (as ``smr-sense calibrate`` does).
        self._bench_n: np.ndarray | None = None
        self._groups: GroupAnnouncer | None = None

    async def _open(self) -> StreamInfo:
        self.roller = SimRoller(self.config, source=self.spec)
        self._groups = GroupAnnouncer(self.roller, self.routines)
        self.stats.connected = True
        self.stats.state = "streaming"
        return self.roller.info

    async def _items(self) -> AsyncIterator[SourceItem]:
        assert self.roller is not None, "open the source first"
        pacer = Pacer(0.0, self.speed)
        position_s = 0.0
        end_s = self.duration_s if self.duration_s is not None else float("inf")
        while position_s < end_s:
            await pacer.wait()
            if pacer.as_fast_as_possible:
                target = position_s + MAX_BLOCK_AS_FAST / self.config.rate_hz
            else:
                target = pacer.target_s()
            target = min(target, end_s)
            if target <= position_s:
                continue
            block = self.roller.read_until(target)
            assert self._groups is not None
            markers = self._groups.between(position_s, target)
            if self._groups.over_s is not None and self._groups.over_s < end_s:
                end_s = self._groups.over_s
                block = block.slice(0, int(np.searchsorted(block.t_s, end_s, "left")))
            position_s = target
            if len(block):
                block = block.with_host_time(np.full(len(block), time.time()))
                if self._bench_n is not None:
                    block = self.roller.on_bench(block, self._bench_n)
                self.stats.count(len(block))
            for item in interleave(block, markers):
                yield item


    async def command(self, name: str, **args: object) -> None:
        """``tare`` (accepted: the zero lives in the host's calibration, as on the reference
        firmware), and the simulated bench: ``remove_weights``, ``place_weight(kg=, channel=)``,
        and ``resume`` when the calibration is over."""
        if self.roller is None:
            raise SourceError("open the sim source before sending it commands")
        cells = self.roller.info.n_channels
        if name == "tare":
            return
        if name == "remove_weights":
            self._bench_n = np.zeros(cells)
            return
        if name == "resume":
            self._bench_n = None  # the weights come off and the person gets back on the roller
            return
        if name == "place_weight":
            kg = float(args.get("kg") or 0.0)  # type: ignore[arg-type]
            if not kg > 0:
                raise SourceError("place_weight needs a weight above 0 kg")
            load = np.zeros(cells)
            channel = args.get("channel")
            if channel is None:
                load[:] = kg * G_N_PER_KG / cells  # placed in the middle of the plate
            else:
                names = [c.name for c in self.roller.info.channels]
                index = names.index(channel) if channel in names else int(channel)  # type: ignore[arg-type]
                load[index] = kg * G_N_PER_KG
            self._bench_n = load
            return
        raise SourceError(f"the sim source does not accept the command '{name}'")


def make_source(spec: SourceSpec) -> SimSource:
    spec.check_options(OPTIONS)
    if spec.target:
        raise SourceError(f"the sim source takes options after '?', not '{spec.target}' (try sim:?seed=7&build=imu)")
    build = spec.option("build", "imu") or "imu"
    if build not in BUILDS:
        raise SourceError(f"unknown sensor build '{build}' for the sim source: use {', '.join(BUILDS)}")
    if "channels" in spec.options and build != "channels":
        raise SourceError(f"sim source: channels is for build=channels; the {build} build has one load cell")
    seed = spec.int_option("seed", DEFAULT_SEED)
    if seed < 0:
        raise SourceError("sim source: seed must be zero or more")
    mass = spec.float_option("mass", 0.0) if "mass" in spec.options else None
    low, high = BODY_MASS_RANGE_KG
    if mass is not None and not low <= mass <= high:
        raise SourceError(f"sim source: a body mass of {mass:g} kg is outside {low:g}-{high:g} kg")
    drop = spec.float_option("drop", 0.002)
    if not 0.0 <= drop < 0.5:  # checked here too, so the sentence names the option the user typed
        raise SourceError(f"sim source: drop is the share of samples lost, at least 0 and under 0.5; {drop:g} is not")
    try:
        config = SimConfig(
            seed=seed,
            build=build,
            rate_hz=spec.float_option("rate", 100.0),
            hard=spec.bool_option("hard"),
            channels=spec.int_option("channels", 4),
            body_mass_kg=mass,
            drop_rate=drop,
        )
    except ValueError as err:
        raise SourceError(f"sim source: {err}") from None
    speed = spec.speed_option()
    duration = spec.float_option("duration", 0.0) if "duration" in spec.options else None
    if duration is not None and not duration > 0:
        raise SourceError("sim source: duration must be above zero seconds")
    routines = spec.int_option("routines", 1) if "routines" in spec.options else None
    if routines is not None and routines < 1:
        raise SourceError("sim source: routines is how many times the person goes through the routine, 1 or more")
    return SimSource(spec.text, config, speed=speed, duration_s=duration, routines=routines)
