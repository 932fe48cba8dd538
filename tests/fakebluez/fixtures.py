"""pytest fixtures: a private system bus per test module, a fake BlueZ per test.

Import them into a test module: ``from fakebluez.fixtures import fake_bluez, system_bus  # noqa: F401``.
Tests skip, saying why, only when ``dbus-daemon`` is not installed.
"""

import pytest

from .bluez import FakeBlueZ
from .bus import DBUS_DAEMON, PrivateSystemBus, dbus_daemon_available


@pytest.fixture(scope="module")
def system_bus():
    if not dbus_daemon_available():
        pytest.skip(f"BLE tests need dbus-daemon ({DBUS_DAEMON}); install the dbus-daemon package")
    bus = PrivateSystemBus()
    bus.start()
    yield bus
    bus.stop()


@pytest.fixture
async def fake_bluez(system_bus, monkeypatch):
    """BlueZ with no adapter yet: call ``add_adapter()`` (or not, to test 'no adapter')."""
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", system_bus.address)
    bluez = await FakeBlueZ(system_bus.address).start()
    yield bluez
    await bluez.stop()
