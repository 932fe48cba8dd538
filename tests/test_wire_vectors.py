"""The shared test vectors, Python side: the file matches the encoder, and the decoder reads every
vector back to its fields (the C side is tests/test_firmware_c.py)."""

from __future__ import annotations

import importlib.util

import pytest

from smr_sense.core.wire import ReferenceDecoder, crc16_ccitt_false
from tests.wire_helpers import VECTORS_PATH, check_decodes_to_fields, check_streams, read_vectors

VECTORS = read_vectors()
ENCODED = [(k, f) for k, f in VECTORS if k in ("samples", "info", "command", "reply")]


def test_vector_file_is_what_the_python_encoder_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS_PATH.parent / "make_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render() == VECTORS_PATH.read_text(), "run python firmware_notes/make_vectors.py"


def test_vectors_cover_every_kind_and_optional_block() -> None:
    kinds = {k for k, _ in VECTORS}
    assert {"crc", "samples", "stream", "info", "command", "reply", "corrupt"} <= kinds
    samples = [f for k, f in VECTORS if k == "samples"]
    assert any("gyro" in f and "accel" in f for f in samples)
    assert {f["format"] for f in samples} == {"int32", "float32"}
    assert any(int(f["t_us"]) > 2**32 - 100_000 for f in samples)  # the wrap


@pytest.mark.parametrize("kind,fields", ENCODED, ids=[f["name"] for _, f in ENCODED])
def test_python_decodes_each_vector_to_its_fields(kind: str, fields: dict[str, str]) -> None:
    check_decodes_to_fields(kind, fields, bytes.fromhex(fields["hex"]))


def test_streams_unwrap_time_and_count_losses() -> None:
    frames = {f["name"]: bytes.fromhex(f["hex"]) for k, f in VECTORS if k == "samples"}
    assert check_streams(VECTORS, frames) == 3


@pytest.mark.parametrize("fields", [f for k, f in VECTORS if k == "corrupt"], ids=lambda f: f["name"])
def test_corrupt_vectors_give_the_counted_outcome(fields: dict[str, str]) -> None:
    dec = ReferenceDecoder()
    dec.feed(bytes.fromhex(fields["hex"]))
    assert dec.stats.frames + dec.stats.unsupported == int(fields["valid"])
    assert dec.stats.corrupt == int(fields["corrupt"])
    assert dec.stats.bytes_discarded == int(fields["discarded"])


def test_crc_vector() -> None:
    (fields,) = [f for k, f in VECTORS if k == "crc"]
    assert crc16_ccitt_false(fields["ascii"].encode()) == int(fields["crc"], 16)
