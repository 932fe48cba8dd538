/* smr_frame.c: see smr_frame.h and firmware_notes/protocol.md. Plain C99, no allocation. */
#include "smr_frame.h"

#include <math.h>
#include <string.h>

uint16_t smr_crc16_update(uint16_t crc, uint8_t byte) {
    int bit;
    crc ^= (uint16_t)((uint16_t)byte << 8);
    for (bit = 0; bit < 8; bit++) {
        crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

uint16_t smr_crc16(const uint8_t *data, size_t len) {
    uint16_t crc = 0xFFFFu;
    size_t i;
    for (i = 0; i < len; i++) crc = smr_crc16_update(crc, data[i]);
    return crc;
}

/* Little-endian writers: byte by byte, so the code is right on any CPU endianness. */
static uint8_t *put_u8(uint8_t *p, uint8_t v) {
    *p++ = v;
    return p;
}
static uint8_t *put_u16(uint8_t *p, uint16_t v) {
    *p++ = (uint8_t)(v & 0xFFu);
    *p++ = (uint8_t)(v >> 8);
    return p;
}
static uint8_t *put_u32(uint8_t *p, uint32_t v) {
    *p++ = (uint8_t)(v & 0xFFu);
    *p++ = (uint8_t)((v >> 8) & 0xFFu);
    *p++ = (uint8_t)((v >> 16) & 0xFFu);
    *p++ = (uint8_t)(v >> 24);
    return p;
}
static uint8_t *put_f32(uint8_t *p, float v) {
    uint32_t bits;
    if (isnan(v)) {
        bits = 0x7FC00000u; /* one canonical quiet NaN, whatever the compiler's NAN is */
    } else {
        memcpy(&bits, &v, sizeof bits);
    }
    return put_u32(p, bits);
}

/* Round half away from zero and saturate to int16, as the host's encoder does. */
static int16_t quantize(float value, double lsb_per_unit) {
    double x = (double)value * lsb_per_unit;
    double r;
    if (isnan(x)) return 0;
    r = x < 0 ? -floor(-x + 0.5) : floor(x + 0.5);
    if (r > 32767.0) return 32767;
    if (r < -32768.0) return -32768;
    return (int16_t)r;
}

/* Header before the payload, CRC after it; returns the full frame length. */
static size_t finish_frame(uint8_t *out, uint8_t type, size_t payload_len) {
    uint16_t crc;
    out[0] = SMR_SYNC0;
    out[1] = SMR_SYNC1;
    out[2] = SMR_PROTOCOL_VERSION;
    out[3] = type;
    out[4] = (uint8_t)(payload_len & 0xFFu);
    out[5] = (uint8_t)(payload_len >> 8);
    crc = smr_crc16(out + 2, 4 + payload_len);
    put_u16(out + SMR_HEADER_LEN + payload_len, crc);
    return SMR_FRAME_OVERHEAD + payload_len;
}

size_t smr_sample_frame_len(uint8_t n_channels, int has_gyro, int has_accel) {
    return SMR_FRAME_OVERHEAD + 8u + 4u * n_channels + (has_gyro ? 6u : 0u) + (has_accel ? 6u : 0u);
}

size_t smr_encode_samples(uint8_t *out, size_t cap, const smr_sample_t *s) {
    size_t len = smr_sample_frame_len(s->n_channels, s->gyro_dps != NULL, s->accel_g != NULL);
    uint8_t flags = 0;
    uint8_t *p;
    int i;
    if (s->n_channels == 0 || s->n_channels > SMR_MAX_CHANNELS || len > cap) return 0;
    if (s->float_values ? s->values == NULL : s->counts == NULL) return 0;
    if (s->gyro_dps) flags |= SMR_FLAG_GYRO;
    if (s->accel_g) flags |= SMR_FLAG_ACCEL;
    if (s->float_values) flags |= SMR_FLAG_FLOAT_VALUES;
    p = out + SMR_HEADER_LEN;
    p = put_u16(p, s->seq);
    p = put_u32(p, s->t_us);
    p = put_u8(p, flags);
    p = put_u8(p, s->n_channels);
    for (i = 0; i < s->n_channels; i++) {
        p = s->float_values ? put_f32(p, s->values[i]) : put_u32(p, (uint32_t)s->counts[i]);
    }
    if (s->gyro_dps) {
        for (i = 0; i < 3; i++) p = put_u16(p, (uint16_t)quantize(s->gyro_dps[i], SMR_GYRO_LSB_PER_DPS));
    }
    if (s->accel_g) {
        for (i = 0; i < 3; i++) p = put_u16(p, (uint16_t)quantize(s->accel_g[i], SMR_ACCEL_LSB_PER_G));
    }
    return finish_frame(out, SMR_TYPE_SAMPLES, (size_t)(p - out) - SMR_HEADER_LEN);
}

/* A length-prefixed UTF-8 string; NULL if it does not fit. */
static uint8_t *put_text(uint8_t *p, const uint8_t *end, const char *text) {
    size_t n = text ? strlen(text) : 0;
    if (n > 255 || p + 1 + n > end) return NULL;
    *p++ = (uint8_t)n;
    if (n) memcpy(p, text, n);
    return p + n;
}

size_t smr_encode_device_info(uint8_t *out, size_t cap, const smr_device_info_t *info) {
    const uint8_t *end;
    uint8_t *p;
    int i;
    if (info->n_channels == 0 || info->n_channels > SMR_MAX_CHANNELS || cap < SMR_FRAME_OVERHEAD + 13) return 0;
    if (cap > SMR_FRAME_OVERHEAD + SMR_MAX_PAYLOAD) cap = SMR_FRAME_OVERHEAD + SMR_MAX_PAYLOAD;
    end = out + cap - SMR_CRC_LEN;
    p = out + SMR_HEADER_LEN;
    p = put_u8(p, info->fw_major);
    p = put_u8(p, info->fw_minor);
    p = put_u8(p, info->fw_patch);
    p = put_u8(p, (uint8_t)((info->has_gyro ? 1u : 0u) | (info->has_accel ? 2u : 0u)));
    p = put_f32(p, info->rate_hz);
    p = put_f32(p, info->roller_radius_m);
    p = put_u8(p, info->n_channels);
    if (!(p = put_text(p, end, info->device_id))) return 0;
    if (!(p = put_text(p, end, info->device_name))) return 0;
    for (i = 0; i < info->n_channels; i++) {
        const smr_channel_t *ch = &info->channels[i];
        if (p + 10 > end) return 0;
        p = put_u8(p, ch->sensor);
        p = put_u8(p, ch->unit);
        p = put_f32(p, ch->x_m);
        p = put_f32(p, ch->y_m);
        if (!(p = put_text(p, end, ch->name))) return 0;
    }
    return finish_frame(out, SMR_TYPE_DEVICE_INFO, (size_t)(p - out) - SMR_HEADER_LEN);
}

size_t smr_encode_reply(uint8_t *out, size_t cap, uint8_t command, uint8_t token, uint8_t status, int has_value,
                        float value) {
    size_t payload = has_value ? 7u : 3u;
    uint8_t *p = out + SMR_HEADER_LEN;
    if (cap < SMR_FRAME_OVERHEAD + payload) return 0;
    p = put_u8(p, command);
    p = put_u8(p, token);
    p = put_u8(p, status);
    if (has_value) put_f32(p, value);
    return finish_frame(out, SMR_TYPE_REPLY, payload);
}

size_t smr_encode_command(uint8_t *out, size_t cap, uint8_t command, uint8_t token, int has_rate, float rate_hz) {
    size_t payload = has_rate ? 6u : 2u;
    uint8_t *p = out + SMR_HEADER_LEN;
    if (cap < SMR_FRAME_OVERHEAD + payload) return 0;
    p = put_u8(p, command);
    p = put_u8(p, token);
    if (has_rate) put_f32(p, rate_hz);
    return finish_frame(out, SMR_TYPE_COMMAND, payload);
}

void smr_parser_init(smr_parser_t *parser) { memset(parser, 0, sizeof *parser); }

static void drop(smr_parser_t *ps, size_t n) {
    memmove(ps->buf, ps->buf + n, ps->len - n);
    ps->len -= n;
}

/* Look for frames in what is buffered. After a failure only the first byte is dropped and the rest
 * rescanned, so a frame hiding behind garbage or a bogus header is still found. */
static void scan(smr_parser_t *ps, smr_frame_cb on_frame, void *ctx) {
    for (;;) {
        size_t length, total;
        uint16_t crc;
        if (ps->len == 0) return;
        if (ps->buf[0] != SMR_SYNC0) {
            ps->bytes_discarded++;
            drop(ps, 1);
            continue;
        }
        if (ps->len < 2) return;
        if (ps->buf[1] != SMR_SYNC1) {
            ps->bytes_discarded++;
            drop(ps, 1);
            continue;
        }
        if (ps->len < SMR_HEADER_LEN) return;
        length = (size_t)ps->buf[4] | ((size_t)ps->buf[5] << 8);
        if (length > SMR_PARSER_MAX_PAYLOAD) {
            ps->bytes_discarded++;
            drop(ps, 1);
            continue;
        }
        total = SMR_FRAME_OVERHEAD + length;
        if (ps->len < total) return;
        crc = (uint16_t)(ps->buf[total - 2] | (ps->buf[total - 1] << 8));
        if (smr_crc16(ps->buf + 2, 4 + length) != crc) {
            ps->corrupt++;
            ps->bytes_discarded++;
            drop(ps, 1);
            continue;
        }
        ps->frames++;
        if (on_frame) {
            smr_frame_view_t view;
            view.version = ps->buf[2];
            view.type = ps->buf[3];
            view.length = (uint16_t)length;
            view.payload = ps->buf + SMR_HEADER_LEN;
            on_frame(&view, ctx);
        }
        drop(ps, total);
    }
}

void smr_parser_feed(smr_parser_t *parser, const uint8_t *data, size_t len, smr_frame_cb on_frame, void *ctx) {
    size_t i;
    for (i = 0; i < len; i++) {
        /* the buffer never overflows: scan() leaves at most one incomplete frame of bounded size */
        parser->buf[parser->len++] = data[i];
        scan(parser, on_frame, ctx);
    }
}

int smr_parse_command(const smr_frame_view_t *frame, smr_command_t *cmd) {
    uint32_t bits;
    if (frame->version != SMR_PROTOCOL_VERSION || frame->type != SMR_TYPE_COMMAND || frame->length < 2) return 0;
    cmd->command = frame->payload[0];
    cmd->token = frame->payload[1];
    cmd->rate_hz = 0.0f;
    if (cmd->command == SMR_CMD_SET_RATE) {
        if (frame->length < 6) return 0;
        bits = (uint32_t)frame->payload[2] | ((uint32_t)frame->payload[3] << 8) | ((uint32_t)frame->payload[4] << 16) |
               ((uint32_t)frame->payload[5] << 24);
        memcpy(&cmd->rate_hz, &bits, sizeof bits);
    }
    return 1;
}
