/*
 * smr_frame: the smr_sense reference wire protocol, firmware side.
 *
 * Plain C99, no allocation, no Arduino dependency: the same file is compiled by the Arduino
 * toolchains and, in the project's test suite, by the host C compiler against shared test vectors
 * (firmware_notes/test_vectors.txt). Specification: firmware_notes/protocol.md.
 *
 * Every multi-byte field is little-endian. A frame is
 *   A5 5A | version u8 | type u8 | length u16 | payload[length] | crc u16
 * with crc = CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, xorout 0) over
 * version..payload.
 */
#ifndef SMR_FRAME_H
#define SMR_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMR_SYNC0 0xA5u
#define SMR_SYNC1 0x5Au
#define SMR_PROTOCOL_VERSION 1u
#define SMR_HEADER_LEN 6u
#define SMR_CRC_LEN 2u
#define SMR_FRAME_OVERHEAD 8u
#define SMR_MAX_PAYLOAD 1024u
#define SMR_MAX_CHANNELS 32u

#define SMR_TYPE_SAMPLES 0x01u
#define SMR_TYPE_DEVICE_INFO 0x02u
#define SMR_TYPE_COMMAND 0x03u
#define SMR_TYPE_REPLY 0x04u

#define SMR_FLAG_GYRO 0x01u
#define SMR_FLAG_ACCEL 0x02u
#define SMR_FLAG_FLOAT_VALUES 0x04u

#define SMR_SENSOR_LOAD_CELL 0u
#define SMR_SENSOR_FSR 1u
#define SMR_UNIT_COUNT 0u
#define SMR_UNIT_NEWTON 1u
#define SMR_UNIT_KG 2u

#define SMR_CMD_START 0x01u
#define SMR_CMD_STOP 0x02u
#define SMR_CMD_TARE 0x03u
#define SMR_CMD_SET_RATE 0x04u
#define SMR_CMD_GET_INFO 0x05u

#define SMR_STATUS_OK 0u
#define SMR_STATUS_UNKNOWN_COMMAND 1u
#define SMR_STATUS_BAD_ARGUMENT 2u
#define SMR_STATUS_FAILED 3u

/* Gyro travels as int16 in 1/16 deg/s (+-2048 deg/s), accel as int16 in 1/4096 g (+-8 g). */
#define SMR_GYRO_LSB_PER_DPS 16.0
#define SMR_ACCEL_LSB_PER_G 4096.0

/* BLE GATT (our own service). The same frame bytes may instead travel over the Nordic UART Service. */
#define SMR_BLE_SERVICE_UUID "a01f0001-318b-42c0-b8be-4f9e631788de"
#define SMR_BLE_DATA_UUID "a01f0002-318b-42c0-b8be-4f9e631788de"    /* notify */
#define SMR_BLE_COMMAND_UUID "a01f0003-318b-42c0-b8be-4f9e631788de" /* write, write without response */
#define SMR_BLE_INFO_UUID "a01f0004-318b-42c0-b8be-4f9e631788de"    /* read: one device-info frame */

uint16_t smr_crc16_update(uint16_t crc, uint8_t byte);
uint16_t smr_crc16(const uint8_t *data, size_t len);

/* One sample. Exactly one of counts (int32, e.g. HX711 counts) or values (float32, e.g. newtons)
 * is used, chosen by float_values. gyro_dps / accel_g point to 3 floats, or are NULL. */
typedef struct {
    uint16_t seq;
    uint32_t t_us;
    uint8_t n_channels;
    uint8_t float_values;
    const int32_t *counts;
    const float *values;
    const float *gyro_dps;
    const float *accel_g;
} smr_sample_t;

typedef struct {
    const char *name;
    uint8_t sensor; /* SMR_SENSOR_* */
    uint8_t unit;   /* SMR_UNIT_* */
    float x_m;      /* position on the plate / roller; NAN when unknown */
    float y_m;
} smr_channel_t;

typedef struct {
    uint8_t fw_major, fw_minor, fw_patch;
    uint8_t has_gyro, has_accel;
    float rate_hz;
    float roller_radius_m; /* NAN when unknown */
    const char *device_id;
    const char *device_name;
    uint8_t n_channels;
    const smr_channel_t *channels;
} smr_device_info_t;

/* Encoders write one whole frame into out[0..cap) and return its length, or 0 if it does not fit
 * or the input breaks a rule (no channels, too many channels, a name over 255 bytes). */
size_t smr_sample_frame_len(uint8_t n_channels, int has_gyro, int has_accel);
size_t smr_encode_samples(uint8_t *out, size_t cap, const smr_sample_t *sample);
size_t smr_encode_device_info(uint8_t *out, size_t cap, const smr_device_info_t *info);
size_t smr_encode_reply(uint8_t *out, size_t cap, uint8_t command, uint8_t token, uint8_t status, int has_value,
                        float value);
size_t smr_encode_command(uint8_t *out, size_t cap, uint8_t command, uint8_t token, int has_rate, float rate_hz);

/* Streaming parser: feed it every byte received; it calls on_frame for each valid frame and
 * resynchronises after garbage exactly as the host decoder does. Compile with
 * -DSMR_PARSER_MAX_PAYLOAD=n to bound its RAM (a device only needs to read commands: 64 is plenty). */
#ifndef SMR_PARSER_MAX_PAYLOAD
#define SMR_PARSER_MAX_PAYLOAD 64u
#endif

typedef struct {
    uint8_t version;
    uint8_t type;
    uint16_t length;
    const uint8_t *payload;
} smr_frame_view_t;

typedef void (*smr_frame_cb)(const smr_frame_view_t *frame, void *ctx);

typedef struct {
    uint8_t buf[SMR_PARSER_MAX_PAYLOAD + SMR_FRAME_OVERHEAD];
    size_t len;
    uint32_t frames;          /* valid frames of any version and type */
    uint32_t corrupt;         /* checksum failures */
    uint32_t bytes_discarded; /* bytes skipped hunting for a frame */
} smr_parser_t;

void smr_parser_init(smr_parser_t *parser);
void smr_parser_feed(smr_parser_t *parser, const uint8_t *data, size_t len, smr_frame_cb on_frame, void *ctx);

typedef struct {
    uint8_t command; /* SMR_CMD_* (or a code this firmware does not know: reply UNKNOWN_COMMAND) */
    uint8_t token;   /* echo it in the reply */
    float rate_hz;   /* SMR_CMD_SET_RATE only */
} smr_command_t;

/* 1 if the frame is a well-formed version-1 command, filling cmd; 0 otherwise. */
int smr_parse_command(const smr_frame_view_t *frame, smr_command_t *cmd);

#ifdef __cplusplus
}
#endif

#endif /* SMR_FRAME_H */
