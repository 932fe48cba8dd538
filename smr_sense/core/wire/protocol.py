"""Constants of the reference wire protocol (firmware_notes/protocol.md is the specification).

Every number the decoder, the encoder, the C code in ``firmware_notes/common`` and the BLE profiles
must agree on lives here, once.

Frame (all multi-byte fields little-endian)::

    0  2  sync        0xA5 0x5A
    2  1  version     1
    3  1  type        1 samples, 2 device info, 3 command, 4 reply
    4  2  length L    payload bytes, 0..MAX_PAYLOAD
    6  L  payload
    6+L 2 crc         CRC-16/CCITT-FALSE over bytes 2 .. 6+L-1 (version, type, length, payload)
"""

from __future__ import annotations

import binascii

from smr_sense.errors import SmrError

SYNC = b"\xa5\x5a"
PROTOCOL_VERSION = 1
HEADER_LEN = 6
CRC_LEN = 2
FRAME_OVERHEAD = HEADER_LEN + CRC_LEN
MAX_PAYLOAD = 1024  # bounds the decoder's buffer; a longer length field is treated as garbage

TYPE_SAMPLES = 0x01
TYPE_DEVICE_INFO = 0x02
TYPE_COMMAND = 0x03
TYPE_REPLY = 0x04

# Sample payload: seq u16, t_us u32, flags u8, n_channels u8, values, [gyro], [accel], [future blocks]
SAMPLE_HEADER_LEN = 8
FLAG_GYRO = 0x01
FLAG_ACCEL = 0x02
FLAG_FLOAT_VALUES = 0x04
KNOWN_SAMPLE_FLAGS = FLAG_GYRO | FLAG_ACCEL | FLAG_FLOAT_VALUES
MAX_CHANNELS = 32
GYRO_LSB_DPS = 1.0 / 16.0  # int16 -> +-2048 deg/s in 0.0625 deg/s steps
ACCEL_LSB_G = 1.0 / 4096.0  # int16 -> +-8 g in 0.244 mg steps
IMU_BLOCK_LEN = 6

SEQ_MODULO = 1 << 16
TIME_MODULO = 1 << 32  # device micros() wraps every 2^32 us = 71.58 minutes

SENSOR_CODES = {"load_cell": 0, "fsr": 1}
SENSOR_NAMES = {v: k for k, v in SENSOR_CODES.items()}
UNIT_CODES = {"count": 0, "N": 1, "kg": 2}
UNIT_NAMES = {v: k for k, v in UNIT_CODES.items()}

COMMAND_CODES = {"start": 0x01, "stop": 0x02, "tare": 0x03, "set_rate": 0x04, "get_info": 0x05}
COMMAND_NAMES = {v: k for k, v in COMMAND_CODES.items()}
STATUS_CODES = {"ok": 0, "unknown_command": 1, "bad_argument": 2, "failed": 3}
STATUS_NAMES = {v: k for k, v in STATUS_CODES.items()}

# BLE GATT: our own service; the same frame bytes also travel over the Nordic UART Service.
BLE_SERVICE_UUID = "a01f0001-318b-42c0-b8be-4f9e631788de"
BLE_DATA_UUID = "a01f0002-318b-42c0-b8be-4f9e631788de"  # notify: sample/info/reply frames
BLE_COMMAND_UUID = "a01f0003-318b-42c0-b8be-4f9e631788de"  # write / write without response: command frames
BLE_INFO_UUID = "a01f0004-318b-42c0-b8be-4f9e631788de"  # read: one device-info frame
NUS_SERVICE_UUID = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
NUS_RX_UUID = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"  # host writes
NUS_TX_UUID = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"  # device notifies
DEFAULT_BAUD = 115200


class WireError(SmrError):
    """Something cannot be encoded in the wire format (too many channels, a name too long ...)."""


def crc16_ccitt_false(data: bytes | bytearray | memoryview, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, xorout 0; check("123456789") = 0x29B1.

    ``binascii.crc_hqx`` is exactly this CRC computed in C, which keeps decoding fast.
    """
    return binascii.crc_hqx(data, crc)


def sample_payload_len(n_channels: int, flags: int) -> int:
    """Payload bytes a sample frame needs for its known blocks (later versions may append more)."""
    return (
        SAMPLE_HEADER_LEN
        + 4 * n_channels
        + (IMU_BLOCK_LEN if flags & FLAG_GYRO else 0)
        + (IMU_BLOCK_LEN if flags & FLAG_ACCEL else 0)
    )
