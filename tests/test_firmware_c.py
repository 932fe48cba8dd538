"""The firmware's C code (firmware_notes/common/SmrFrame), compiled with the host C compiler and run
over the shared vectors: its bytes must equal the vectors' and decode in Python to the same values;
its parser must resynchronise exactly like the Python decoder."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.wire_helpers import VECTORS_PATH, check_decodes_to_fields, check_streams, read_vectors

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "firmware_notes" / "common" / "SmrFrame" / "src"
CHECK = ROOT / "firmware_notes" / "common" / "tests" / "vector_check.c"
CC = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
FLAGS = ["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-pedantic"]

pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler (cc, gcc or clang) on PATH to build the firmware code")

VECTORS = read_vectors()


@pytest.fixture(scope="module")
def c_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    exe = tmp_path_factory.mktemp("c") / "vector_check"
    build = [CC, *FLAGS, f"-I{LIB}", "-DSMR_PARSER_MAX_PAYLOAD=1024", str(CHECK), str(LIB / "smr_frame.c"), "-lm", "-o", str(exe)]
    result = subprocess.run(build, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    run = subprocess.run([str(exe), str(VECTORS_PATH)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    out: dict[str, dict[str, str]] = {"crc": {}, "encoded": {}, "parsed": {}, "command": {}}
    for line in run.stdout.splitlines():
        what, name, rest = line.split(" ", 2)
        out[what][name] = rest
    return out


ENCODED = [(k, f) for k, f in VECTORS if k in ("samples", "info", "command", "reply")]


@pytest.mark.parametrize("kind,fields", ENCODED, ids=[f["name"] for _, f in ENCODED])
def test_c_encoder_bytes_decode_in_python_to_the_vector(kind: str, fields: dict[str, str], c_output) -> None:
    c_hex = c_output["encoded"][fields["name"]]
    check_decodes_to_fields(kind, fields, bytes.fromhex(c_hex))
    assert c_hex == fields["hex"]


def test_c_frames_decoded_as_streams_unwrap_time_and_count_losses(c_output) -> None:
    frames = {f["name"]: bytes.fromhex(c_output["encoded"][f["name"]]) for k, f in VECTORS if k == "samples"}
    assert check_streams(VECTORS, frames) == 3


def test_c_crc_check_value(c_output) -> None:
    (fields,) = [f for k, f in VECTORS if k == "crc"]
    assert c_output["crc"][fields["name"]] == fields["crc"]


@pytest.mark.parametrize("kind,fields", [(k, f) for k, f in VECTORS if "hex" in f], ids=lambda x: x if isinstance(x, str) else x["name"])
def test_c_parser_resyncs_like_the_host(kind: str, fields: dict[str, str], c_output) -> None:
    parsed = dict(p.split("=") for p in c_output["parsed"][fields["name"]].split())
    if kind == "corrupt":
        want = {"valid": fields["valid"], "corrupt": fields["corrupt"], "discarded": fields["discarded"]}
    else:
        want = {"valid": "1", "corrupt": "0", "discarded": "0"}
    assert parsed == want


def test_c_parser_reads_every_command(c_output) -> None:
    commands = [f for k, f in VECTORS if k == "command"]
    assert len(commands) == 5
    for fields in commands:
        parsed = dict(p.split("=") for p in c_output["command"][fields["name"]].split())
        assert parsed["command"] == fields["command"] and parsed["token"] == fields["token"]
        if "rate_hz" in fields:
            assert float(parsed["rate_hz"]) == float(fields["rate_hz"])


def test_header_compiles_as_cpp_for_the_sketches(tmp_path: Path) -> None:
    cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx is None:
        pytest.skip("no C++ compiler on PATH to check the header from C++")
    src = tmp_path / "use.cpp"
    src.write_text('#include "smr_frame.h"\nint main() { uint8_t b[64]; return (int)smr_encode_reply(b, 64, 1, 0, 0, 0, 0.0f); }\n')
    result = subprocess.run([cxx, "-std=c++11", "-Wall", "-Werror", f"-I{LIB}", "-fsyntax-only", str(src)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
