"""crc_repair: the one damaged byte a CRC-32 mismatch points to, and when that is a proof."""

import json
import random
import zlib

from smr_sense.recording import crc_repair


def test_byte_fixes_finds_every_single_byte_change_and_proves_only_single_bits():
    body = json.dumps({"schema": "x", "n": [1.5, 2.25], "s": "load"}).encode()
    crc = zlib.crc32(body)
    assert crc_repair.byte_fixes(body, crc) == []
    for i in range(len(body)):
        for x in range(1, 256):
            d = bytearray(body)
            d[i] ^= x
            assert crc_repair.byte_fixes(bytes(d), crc) == [(i, x)]  # this one alone, at this length
    for k in range(4):  # the stored checksum's own bytes
        assert crc_repair.byte_fixes(body, crc ^ (0x81 << 8 * k)) == [(len(body) + k, 0x81)]
    rng = random.Random(3)
    for _ in range(2000):  # two flipped bits never pass for one (Hamming distance 4)
        i, j = rng.sample(range(8 * len(body)), 2)
        d = bytearray(body)
        d[i // 8] ^= 1 << (i % 8)
        d[j // 8] ^= 1 << (j % 8)
        assert not any(crc_repair.is_one_bit(f) for f in crc_repair.byte_fixes(bytes(d), crc))


def test_a_header_too_long_for_the_proof_is_not_repaired():
    body = bytes(crc_repair.MAX_REPAIR_BYTES + 1)
    d = bytearray(body)
    d[5] ^= 0x10
    assert crc_repair.byte_fixes(bytes(d), zlib.crc32(body)) == []
