"""Shared by the serial and BLE source tests: read a live source until a condition holds."""

import asyncio
import os
import signal
import subprocess
import sys
from contextlib import contextmanager

from smr_sense.core.samples import SampleBlock
from smr_sense.emulator import PtyLink

WAIT_S = 20.0  # generous: only reached when something is broken


async def take(source, until):
    """Items from ``source`` until ``until(items)`` is true."""
    items = []
    async with asyncio.timeout(WAIT_S):
        async for item in source:
            items.append(item)
            if until(items):
                return items
    raise AssertionError(f"the stream ended early after {len(items)} items")


def samples(items):
    return SampleBlock.concat([i for i in items if isinstance(i, SampleBlock)])


def n_samples(items):
    return sum(len(i) for i in items if isinstance(i, SampleBlock))


@contextmanager
def running_emulator(link, *options, env=None):
    """``smr-sense emulate --pty --link LINK OPTIONS`` in its own process, until the block ends
    (Ctrl-C, as a user stops it). Yields once the emulator has printed its pty."""
    cmd = [sys.executable, "-m", "smr_sense", "emulate", "--pty", "--link", str(link), "--duration", "60", *options]
    emulator = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert emulator.stdout.readline().startswith("/dev/pts/")
        yield emulator
    finally:
        emulator.send_signal(signal.SIGINT)
        emulator.wait(timeout=30)


async def read_sketch(line_of, options="", until_samples=5):
    """Open ``serial:PTY{options}`` on a sketch printing ``line_of(i)``, read until ``until_samples``
    samples came, close both. Returns the (closed) source, its stream info, the samples and the pty."""
    from smr_sense.sources import make_source

    sketch = PrintingSketch(line_of)
    try:
        source = make_source(f"serial:{sketch.link.slave_path}{options}")
        info = await source.open()
        got = samples(await take(source, lambda items: n_samples(items) >= until_samples))
        await source.close()
    finally:
        sketch.close()
    return source, info, got, sketch.link.slave_path


class PrintingSketch:
    """A device on a pty that prints a line every few milliseconds, as an Arduino sketch does."""

    def __init__(self, line_of):
        self.link = PtyLink()
        self.link.plug()
        self.line_of = line_of
        self.printed = 0
        self._task = asyncio.ensure_future(self._print())

    async def _print(self):
        while True:
            os.write(self.link.master, self.line_of(self.printed))
            self.printed += 1
            await asyncio.sleep(0.005)  # the sketch's loop() delay: a device's pace, not a synchronisation

    def close(self):
        self._task.cancel()
        self.link.unplug()
