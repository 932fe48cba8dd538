"""Which one damaged byte makes a CRC-32 (zlib's) fail: how a recording's header is set right.

A CRC is linear: changing byte ``i`` of a message by ``x`` (XOR) changes its CRC by a value that
depends only on ``x`` and on how many bytes follow ``i``. So the difference between the stored CRC
and the computed one can be walked back, one byte at a time, to every single-byte change that
explains it. A single flipped bit is found for certain: CRC-32 (IEEE 802.3) has a Hamming distance
of 4 for messages up to 91,607 bits (P. Koopman, "32-Bit Cyclic Redundancy Codes for Internet
Applications", DSN 2002), so no two bits share a difference and no two flipped bits pass for one.
A whole byte has no such guarantee: damage to more than one byte gives a random difference, which
some single-byte change explains about once in 2**32 / (255 * length) (once in 17,000 for a 1 kB
header), so such a fix is a lead, not a proof.
"""

from __future__ import annotations

import zlib

MAX_REPAIR_BYTES = 11_000  # 88,000 bits, within the 91,607 where the Hamming distance is 4
_ALL = 0xFFFFFFFF
# What one byte x does to the CRC's register (its linear part: no initial or final XOR).
_TABLE = [zlib.crc32(bytes([x]), _ALL) ^ _ALL for x in range(256)]
_BYTE_OF = {t: x for x, t in enumerate(_TABLE) if x}  # the change x makes as the message's last byte
_BY_TOP = {t >> 24: x for x, t in enumerate(_TABLE)}  # the table's top bytes are all different


def _before_zero_byte(register: int) -> int:
    """The register one zero byte earlier (a step of the CRC, run backwards)."""
    x = _BY_TOP[register >> 24]
    return ((register ^ _TABLE[x]) << 8 | x) & _ALL


def byte_fixes(body: bytes, stored_crc: int) -> list[tuple[int, int]]:
    """Every change of one byte, ``(index, xor)``, that makes ``stored_crc`` the CRC-32 of ``body``.

    ``index`` counts through ``body`` and then the four bytes of the stored CRC (little-endian):
    ``len(body) + k`` is its byte ``k``. Empty when the two already match or ``body`` is longer
    than MAX_REPAIR_BYTES. One fix that flips a single bit is the damage itself (see the module
    docstring); any other is a lead."""
    n = len(body)
    diff = zlib.crc32(body) ^ stored_crc
    if diff == 0 or n > MAX_REPAIR_BYTES:
        return []
    fixes = [(n + k, diff >> 8 * k) for k in range(4) if diff & ~(0xFF << 8 * k) & _ALL == 0]
    register = diff
    for i in range(n - 1, -1, -1):  # byte i is followed by n - 1 - i bytes: walk the difference back
        x = _BYTE_OF.get(register)
        if x is not None:
            fixes.append((i, x))
        register = _before_zero_byte(register)
    return fixes


def is_one_bit(fix: tuple[int, int]) -> bool:
    return fix[1] & (fix[1] - 1) == 0
