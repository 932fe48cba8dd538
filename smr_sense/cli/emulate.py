"""``smr-sense emulate --pty``: a virtual roller on a pseudo-terminal, to try the real serial path.

It speaks the reference firmware's protocol, answers commands (get_info, start, stop, tare,
set_rate) and streams the physical simulator's samples in real time once started. Faults make the
link as bad as a real one: ``--faults garbage,checksum,drop,vanish`` (rates per frame, e.g.
``drop=0.05``; ``vanish=10`` unplugs it every 10 s for 2 s). Because an unplugged pty comes back
as a new one, whose /dev/pts number may differ, the emulator also keeps a stable link (``/tmp/smr-roller0``) that a
source can reopen, like ``/dev/ttyACM0``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from smr_sense.cli.common import non_negative_int, positive_float, stream_rate_hz
from smr_sense.errors import UsageError
from smr_sense.sources.sim import DEFAULT_SEED

BUILDS = ("imu", "force", "channels")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "emulate",
        help="run a virtual roller on a pseudo-terminal (try the serial path with no hardware)",
        description="Run a virtual roller speaking the reference protocol on a pseudo-terminal and print its path.",
    )
    p.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal (the only link for now)")
    p.add_argument("--build", choices=BUILDS, default="imu", help="sensor build to simulate (default imu)")
    p.add_argument(
        "--seed", type=non_negative_int, default=DEFAULT_SEED,
        help=f"simulator and fault seed (default {DEFAULT_SEED}, as sim and demo: the same simulated person)",
    )
    p.add_argument("--rate", type=stream_rate_hz, default=100.0, metavar="HZ", help="sample rate, 5-2000 (default 100)")
    p.add_argument(
        "--faults",
        default="",
        metavar="LIST",
        help="comma list of garbage, checksum, drop, vanish (each optionally =rate, vanish=every_s)",
    )
    p.add_argument("--link", metavar="PATH", help="stable symlink to the pty (default /tmp/smr-rollerN)")
    p.add_argument(
        "--units",
        choices=("N", "count"),
        default="N",
        help="send newtons (calibrated on the device, the default) or raw ADC counts, as a bare HX711 does "
        "(the emulated person keeps rolling: to try calibrate, use --source sim)",
    )
    p.add_argument("--autostart", action="store_true", help="stream from the start instead of waiting for 'start'")
    p.add_argument("--duration", type=positive_float, metavar="S", help="stop after S seconds (default: Ctrl-C)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.pty:
        raise UsageError("emulate needs --pty (a pseudo-terminal is the only link it can serve)")
    if not hasattr(__import__("os"), "openpty"):
        raise UsageError("this system has no pseudo-terminals, so the emulator cannot run here")
    from smr_sense.emulator import FaultPlan

    plan = FaultPlan.parse(args.faults)
    return asyncio.run(_emulate(args, plan))


async def _emulate(args: argparse.Namespace, plan: object) -> int:
    from smr_sense.emulator import PtyLink, PtyRoller, default_link_path, sim_virtual_roller
    from smr_sense.emulator.pty import announce_link

    roller = sim_virtual_roller(args.build, args.seed, args.rate, plan, autostart=args.autostart, units=args.units)  # type: ignore[arg-type]
    link_path = args.link or default_link_path()
    emulator = PtyRoller(roller, PtyLink(link_path))
    try:
        slave = emulator.start()
    except OSError as err:
        raise UsageError(
            f"could not create the pseudo-terminal or its link {link_path}: {err.strerror or err}"
        ) from None
    try:
        note = announce_link(link_path)  # for `smr-sense scan`, wherever --link put the link
    except OSError:
        note = None  # scan will not list it; the roller works all the same
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # A closed terminal (SIGHUP) or a kill (SIGTERM) stops it like Ctrl-C: the link must not outlive it.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    out = sys.stdout
    out.write(f"{slave}\n")
    out.write(
        f"Virtual roller ({args.build}, {args.rate:g} Hz, seed {args.seed}"
        + (f", faults {args.faults}" if args.faults else "")
        + f") on {slave}, also reachable as {link_path}.\n"
        f"  try: smr-sense record --source serial:{link_path} --out session.smr\n"
    )
    every_s, gone_s = plan.vanish_every_s, plan.vanish_for_s  # type: ignore[attr-defined]
    if every_s:  # the kernel gives the lowest free number: often the same one, not always
        out.write(
            f"  it will vanish every {every_s:g} s for {gone_s:g} s and come back on a new pseudo-terminal, "
            f"whose number may differ: keep to serial:{link_path}\n"
        )
    out.write("Ctrl-C to stop.\n")
    out.flush()
    if args.duration:
        loop.call_later(args.duration, stop.set)
    try:
        await emulator.run(stop)
    finally:
        emulator.close()
        if note is not None:
            note.unlink(missing_ok=True)
        faults = roller.faults.counts
        sent = sum(len(s) for s in roller.sent.seq)
        summary = ", ".join(f"{k} {v}" for k, v in faults.items() if v)
        try:
            out.write(f"Stopped after {sent} samples" + (f" ({summary})" if summary else "") + ".\n")
            out.flush()
        except OSError:
            pass  # the terminal is gone (SIGHUP): the link is removed, there is nobody to tell
    return 0
