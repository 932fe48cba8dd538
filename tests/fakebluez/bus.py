"""A private D-Bus daemon configured like the system bus, so bleak's real BlueZ backend can run in tests.

bleak connects to the *system* bus; ``DBUS_SYSTEM_BUS_ADDRESS`` points it at this daemon instead of
the machine's, where no Bluetooth exists in CI. The policy lets every local user own any name and
call anything, which the real system bus does not, so the fake BlueZ can claim ``org.bluez``.
"""

import os
import select
import shutil
import subprocess
import tempfile
from pathlib import Path

DBUS_DAEMON = shutil.which("dbus-daemon") or "/usr/bin/dbus-daemon"

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""


def dbus_daemon_available() -> bool:
    return os.access(DBUS_DAEMON, os.X_OK)


class PrivateSystemBus:
    """Start with ``start()`` (returns the bus address), stop with ``stop()``; or use ``with``."""

    def __init__(self) -> None:
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.address = ""

    def start(self, timeout_s: float = 10.0) -> str:
        self._dir = tempfile.TemporaryDirectory(prefix="smr-dbus-")
        socket_path = Path(self._dir.name) / "system_bus_socket"
        config = Path(self._dir.name) / "system.conf"
        config.write_text(CONFIG.format(socket=socket_path))
        self._proc = subprocess.Popen(
            [DBUS_DAEMON, f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # it warns that it may not raise its fd limit; harmless
        )
        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout_s)
        line = self._proc.stdout.readline().decode().strip() if ready else ""
        if not line:
            self.stop()
            raise RuntimeError(f"{DBUS_DAEMON} did not print its address within {timeout_s} s")
        self.address = line
        return line

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> "PrivateSystemBus":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
