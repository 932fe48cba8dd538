"""Shared by the serial and BLE source tests: read a live source until a condition holds."""

import asyncio

from smr_sense.core.samples import SampleBlock

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
