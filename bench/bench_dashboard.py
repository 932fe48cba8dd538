"""What the dashboard costs: CPU of the whole app at 200 Hz input, screen lag at 1 kHz input.

    python bench/bench_dashboard.py                 # both, in a real terminal (tmux), 120x40
    python bench/bench_dashboard.py --seconds 30 --size 80x24
    python bench/bench_dashboard.py --headless      # no tmux: Textual's headless driver

Each scenario runs the real app (``make_app`` on a simulated roller at real-time speed, recording
on, as ``smr-sense demo`` does) as a child process inside a tmux pane, so the terminal driver's
work counts too. The child measures its own CPU time (user + system, all threads) over the
measured stretch, and the screen lag at every frame it writes: how far the stream time on screen
is behind the newest sample the simulator has handed out by then, in wall-clock milliseconds.
Targets: CPU under 15 % of one core at 200 Hz; lag under 100 ms at 1 kHz.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
SCENARIOS = {"cpu-200hz": 200.0, "lag-1khz": 1000.0}


def child(rate_hz: float, seconds: float, warmup_s: float, out: Path, headless: bool, size: tuple[int, int]) -> None:
    """Run the dashboard for ``warmup_s + seconds`` and write the figures to ``out``."""
    import asyncio

    from smr_sense.core.pipeline import SessionSettings
    from smr_sense.sources import make_source
    from smr_sense.tui.app import make_app

    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    source = make_source(f"sim:?seed=7&build=imu&rate={rate_hz:g}")
    app = make_app(source, SessionSettings(), record_path=tmp / "bench.smr")
    session = app.session
    lags_ms: list[float] = []
    state = {"measuring": False, "cpu0": 0.0, "wall0": 0.0, "frames": 0}
    # At speed 1 the simulator hands out sample t at wall time (offset + t); the smallest
    # (arrival - newest t) seen is that offset, so the newest sample out by now is (now - offset).
    first = {"wall": None}
    original_feed = session.feed

    def feed(block):
        if len(block):
            offset = time.monotonic() - float(block.t_s[-1])
            first["wall"] = offset if first["wall"] is None else min(first["wall"], offset)
        return original_feed(block)

    session.feed = feed  # type: ignore[method-assign]
    original_display = app._display

    def display(screen, renderable):  # every frame the app writes to the terminal
        original_display(screen, renderable)
        if state["measuring"] and renderable is not None and first["wall"] is not None:
            newest_s = time.monotonic() - first["wall"]
            lags_ms.append((newest_s - session.now_s) * 1000.0)
            state["frames"] += 1

    app._display = display  # type: ignore[method-assign]

    def start() -> None:
        state.update(measuring=True, cpu0=time.process_time(), wall0=time.monotonic())

    def stop() -> None:
        cpu = time.process_time() - state["cpu0"]
        wall = time.monotonic() - state["wall0"]
        lags = sorted(lags_ms)
        result = {
            "rate_hz": rate_hz,
            "seconds": wall,
            "cpu_pct_of_one_core": 100.0 * cpu / wall,
            "frames_per_s": state["frames"] / wall,
            "lag_ms_median": lags[len(lags) // 2] if lags else None,
            "lag_ms_p99": lags[int(len(lags) * 0.99)] if lags else None,
            "lag_ms_max": lags[-1] if lags else None,
            "samples": session.samples,
            "driver": "headless" if headless else "terminal",
            "size": list(size),
        }
        out.write_text(json.dumps(result))
        app.exit()

    def on_ready() -> None:
        app.set_timer(warmup_s, start)
        app.set_timer(warmup_s + seconds, stop)

    app.call_later(on_ready)
    if headless:

        async def run() -> None:
            async with app.run_test(size=size, headless=True) as pilot:
                while app.is_running:
                    await pilot.pause(0.2)

        # Headless: the compositor still draws every frame, only the terminal write is skipped.
        app._display = display  # type: ignore[method-assign]
        asyncio.run(run())
    else:
        app.run()
    session.finish()
    shutil.rmtree(tmp, ignore_errors=True)


def run_in_tmux(name: str, rate_hz: float, args: argparse.Namespace) -> dict:
    out = Path(tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".json")[1])
    out.write_text("")
    w, h = args.size
    cmd = (
        f"{sys.executable} {HERE} --child --rate {rate_hz:g} --seconds {args.seconds:g} "
        f"--warmup {args.warmup:g} --out {out} --size {w}x{h}"
    )
    session = f"bench-dashboard-{os.getpid()}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(w), "-y", str(h), cmd], check=True)
    try:
        deadline = time.monotonic() + args.warmup + args.seconds + 30
        while time.monotonic() < deadline and not out.read_text():
            time.sleep(0.5)
        if not out.read_text():
            raise SystemExit(f"the {name} run gave no figures (is tmux working?)")
        return json.loads(out.read_text())
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        out.unlink(missing_ok=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0, help="measured stretch per scenario (default 20)")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring (default 5)")
    p.add_argument("--size", default="120x40", help="terminal size WxH (default 120x40)")
    p.add_argument("--headless", action="store_true", help="no terminal: Textual's headless driver, in process")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    w, _, h = args.size.partition("x")
    args.size = (int(w), int(h))
    if args.child:
        child(args.rate, args.seconds, args.warmup, args.out, False, args.size)
        return
    results = {}
    for name, rate in SCENARIOS.items():
        if args.headless or not shutil.which("tmux"):
            out = Path(tempfile.mkstemp(suffix=".json")[1])
            child(rate, args.seconds, args.warmup, out, True, args.size)
            results[name] = json.loads(out.read_text())
            out.unlink()
        else:
            results[name] = run_in_tmux(name, rate, args)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    cpu, lag = results["cpu-200hz"], results["lag-1khz"]
    print(f"dashboard, {cpu['driver']} {args.size[0]}x{args.size[1]}, simulated roller at real time, recording on")
    print(
        f"  200 Hz input: CPU {cpu['cpu_pct_of_one_core']:.1f} % of one core over {cpu['seconds']:.0f} s "
        f"({cpu['frames_per_s']:.1f} frames/s)   target < 15 %"
    )
    print(
        f"  1 kHz input:  screen lag median {lag['lag_ms_median']:.0f} ms, p99 {lag['lag_ms_p99']:.0f} ms, "
        f"max {lag['lag_ms_max']:.0f} ms   target < 100 ms   (CPU {lag['cpu_pct_of_one_core']:.1f} %)"
    )


if __name__ == "__main__":
    main()
