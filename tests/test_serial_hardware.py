"""A real roller on a real port or radio. Off by default: ``pytest -m hardware`` with
``SMR_SENSE_SERIAL=/dev/ttyACM0`` and/or ``SMR_SENSE_BLE=SMR-Roller`` (a name or address)."""

import asyncio
import os

import pytest

from smr_sense.core.samples import SampleBlock
from smr_sense.sources import make_source

pytestmark = pytest.mark.hardware


@pytest.mark.parametrize("scheme, variable", [("serial", "SMR_SENSE_SERIAL"), ("ble", "SMR_SENSE_BLE")])
async def test_a_real_roller_streams_two_seconds(scheme, variable):
    target = os.environ.get(variable)
    if not target:
        pytest.skip(f"set {variable} to the roller to test")
    source = make_source(f"{scheme}:{target}")
    info = await source.open()
    n = 0
    try:
        async with asyncio.timeout(10):
            async for item in source:
                if isinstance(item, SampleBlock):
                    n += len(item)
                    if n >= 2 * info.rate_hz:
                        break
    finally:
        await source.close()
    assert source.stats.samples >= 2 * info.rate_hz and source.stats.corrupt == 0
