"""The core is pure: importable without I/O frameworks, and blind to the wall clock."""

import ast
import json
import pathlib
import subprocess
import sys

import smr_sense.core

CORE_DIR = pathlib.Path(smr_sense.core.__file__).parent
BANNED_MODULES = ("asyncio", "bleak", "serial", "textual", "dbus_fast")
WALL_CLOCK_CALLS = {("time", "time"), ("time", "monotonic"), ("time", "perf_counter"), ("datetime", "now"),
                    ("datetime", "utcnow"), ("time", "sleep")}


def test_core_imports_no_io_frameworks():
    code = f"""
import json, pkgutil, importlib, sys
import smr_sense.core as core
for m in pkgutil.walk_packages(core.__path__, "smr_sense.core."):
    importlib.import_module(m.name)
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {BANNED_MODULES!r})))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_core_never_reads_the_wall_clock():
    offenders = []
    for path in CORE_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if (node.value.id, node.attr) in WALL_CLOCK_CALLS:
                    offenders.append(f"{path.relative_to(CORE_DIR)}:{node.lineno} {node.value.id}.{node.attr}")
    assert offenders == []


def test_the_purity_check_would_catch_an_offender(tmp_path):
    # Guard against a check that cannot fail: the same AST walk flags a wall-clock read.
    tree = ast.parse("import time\nx = time.monotonic()\n")
    hits = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and (n.value.id, n.attr) in WALL_CLOCK_CALLS]
    assert len(hits) == 1
