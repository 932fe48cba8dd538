"""A virtual roller: the reference firmware's protocol on a pseudo-terminal, fed by the simulator.

roller = sim_virtual_roller(build="imu", seed=1, rate_hz=100.0, faults=FaultPlan.parse("drop"))
pty = PtyRoller(roller, PtyLink(link_path="/tmp/smr-roller0"))
pty.start()          # prints nothing; pty.link.slave_path is /dev/pts/N
await pty.run()      # real time; or pty.emit(n) to send n samples now
"""

from __future__ import annotations

from smr_sense.emulator.faults import FAULT_KINDS, FaultInjector, FaultPlan
from smr_sense.emulator.pty import PtyLink, PtyRoller, default_link_path
from smr_sense.emulator.roller import (
    BOOT_US,
    EMULATED_ID_PREFIX,
    NO_WEIGHTS_ADVICE,
    SampleSupply,
    VirtualRoller,
    is_emulated,
)


def sim_virtual_roller(
    build: str = "imu",
    seed: int = 1,
    rate_hz: float = 100.0,
    faults: FaultPlan | None = None,
    autostart: bool = False,
    units: str = "N",
    boot_us: int = BOOT_US,
) -> VirtualRoller:
    """A virtual roller whose samples come from the physical simulator (``core.sim``).

    ``units="N"`` sends newtons (firmware calibrated on the device: works with no host
    calibration); ``"count"`` sends raw ADC counts, as a bare HX711 does (the emulated person keeps
    rolling and no weights can be put on it, so ``smr-sense calibrate`` refuses it: see ``is_emulated``).
    ``boot_us``: how long the device has been up at its first sample (its clock counts from boot).
    """
    from smr_sense.core.sim import SimConfig, SimRoller

    def supply(rate: float) -> SampleSupply:
        # transport losses are the fault injector's job here, not the simulator's
        return SimRoller(SimConfig(seed=seed, build=build, rate_hz=rate, drop_rate=0.0, burst_per_min=0.0))

    return VirtualRoller(
        supply,
        rate_hz,
        faults=FaultInjector(faults, seed=seed),
        autostart=autostart,
        device_id=f"{EMULATED_ID_PREFIX}{build}-{seed}",
        device_name=f"Virtual roller ({build})",
        units=units,
        boot_us=boot_us,
    )


__all__ = [
    "EMULATED_ID_PREFIX",
    "FAULT_KINDS",
    "FaultInjector",
    "FaultPlan",
    "NO_WEIGHTS_ADVICE",
    "PtyLink",
    "PtyRoller",
    "SampleSupply",
    "VirtualRoller",
    "default_link_path",
    "is_emulated",
    "sim_virtual_roller",
]
