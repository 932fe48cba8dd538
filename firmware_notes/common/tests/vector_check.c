/*
 * vector_check: runs the firmware C code over firmware_notes/test_vectors.txt.
 *
 *   cc -std=c99 -I../SmrFrame/src -DSMR_PARSER_MAX_PAYLOAD=1024 vector_check.c ../SmrFrame/src/smr_frame.c -lm
 *   ./a.out ../../test_vectors.txt
 *
 * For each vector it encodes the fields with the C encoder and prints the bytes as hex
 * ("encoded NAME HEX"), and feeds the vector's hex through the C parser ("parsed NAME valid=..
 * corrupt=.. discarded=.."; commands also "command NAME command=.. token=.. rate_hz=.."). The
 * project's pytest (tests/test_firmware_c.py) compares this output with the file and decodes the C
 * bytes with the Python decoder. Built with the host parser size (1024) so it resyncs like the host.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smr_frame.h"

#define MAX_FIELDS 32
#define MAX_BYTES 4096

typedef struct {
    char *key[MAX_FIELDS];
    char *value[MAX_FIELDS];
    int n;
} fields_t;

static const char *get(const fields_t *f, const char *key) {
    int i;
    for (i = 0; i < f->n; i++)
        if (strcmp(f->key[i], key) == 0) return f->value[i];
    return NULL;
}

static int split_fields(char *line, char **kind, fields_t *f) {
    char *tok = strtok(line, " \t\r\n");
    if (!tok) return 0;
    *kind = tok;
    f->n = 0;
    while ((tok = strtok(NULL, " \t\r\n")) != NULL && f->n < MAX_FIELDS) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = '\0';
        f->key[f->n] = tok;
        f->value[f->n] = eq + 1;
        f->n++;
    }
    return 1;
}

static size_t parse_hex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = 0;
    while (hex[0] && hex[1] && n < cap) {
        unsigned int byte;
        if (sscanf(hex, "%2x", &byte) != 1) break;
        out[n++] = (uint8_t)byte;
        hex += 2;
    }
    return n;
}

/* Comma-separated floats; returns how many. */
static int parse_floats(const char *text, float *out, int cap) {
    int n = 0;
    char *end;
    while (text && *text && n < cap) {
        out[n++] = strtof(text, &end);
        if (*end != ',') break;
        text = end + 1;
    }
    return n;
}

static int parse_counts(const char *text, int32_t *out, int cap) {
    int n = 0;
    char *end;
    while (text && *text && n < cap) {
        out[n++] = (int32_t)strtol(text, &end, 10);
        if (*end != ',') break;
        text = end + 1;
    }
    return n;
}

static void print_hex(const char *name, const uint8_t *buf, size_t len) {
    size_t i;
    printf("encoded %s ", name);
    for (i = 0; i < len; i++) printf("%02x", buf[i]);
    printf("\n");
}

static uint8_t code_of(const char *name, const char *const *names, int count) {
    int i;
    for (i = 0; i < count; i++)
        if (strcmp(name, names[i]) == 0) return (uint8_t)i;
    return 0xFF;
}

static const char *const COMMANDS[] = {"", "start", "stop", "tare", "set_rate", "get_info"};
static const char *const STATUSES[] = {"ok", "unknown_command", "bad_argument", "failed"};
static const char *const SENSORS[] = {"load_cell", "fsr"};
static const char *const UNITS[] = {"count", "N", "kg"};

static size_t encode_samples(const fields_t *f, uint8_t *out) {
    int32_t counts[SMR_MAX_CHANNELS];
    float values[SMR_MAX_CHANNELS], gyro[3], accel[3];
    smr_sample_t s;
    const char *format = get(f, "format");
    memset(&s, 0, sizeof s);
    s.seq = (uint16_t)strtoul(get(f, "seq"), NULL, 10);
    s.t_us = (uint32_t)strtoul(get(f, "t_us"), NULL, 10);
    s.float_values = (uint8_t)(strcmp(format, "float32") == 0);
    if (s.float_values) {
        s.n_channels = (uint8_t)parse_floats(get(f, "values"), values, SMR_MAX_CHANNELS);
        s.values = values;
    } else {
        s.n_channels = (uint8_t)parse_counts(get(f, "values"), counts, SMR_MAX_CHANNELS);
        s.counts = counts;
    }
    if (get(f, "gyro") && parse_floats(get(f, "gyro"), gyro, 3) == 3) s.gyro_dps = gyro;
    if (get(f, "accel") && parse_floats(get(f, "accel"), accel, 3) == 3) s.accel_g = accel;
    return smr_encode_samples(out, MAX_BYTES, &s);
}

static size_t encode_info(const fields_t *f, uint8_t *out) {
    static char chan_text[2048];
    static char names[SMR_MAX_CHANNELS][64];
    smr_channel_t channels[SMR_MAX_CHANNELS];
    smr_device_info_t info;
    unsigned int major = 0, minor = 0, patch = 0;
    char *chan, *save_chan = NULL;
    int n = 0;
    memset(&info, 0, sizeof info);
    sscanf(get(f, "firmware"), "%u.%u.%u", &major, &minor, &patch);
    info.fw_major = (uint8_t)major;
    info.fw_minor = (uint8_t)minor;
    info.fw_patch = (uint8_t)patch;
    info.has_gyro = (uint8_t)atoi(get(f, "gyro"));
    info.has_accel = (uint8_t)atoi(get(f, "accel"));
    info.rate_hz = strtof(get(f, "rate_hz"), NULL);
    info.roller_radius_m = strtof(get(f, "radius_m"), NULL); /* strtof reads "nan" */
    info.device_id = get(f, "id");
    info.device_name = get(f, "devname");
    strncpy(chan_text, get(f, "channels"), sizeof chan_text - 1);
    /* name:sensor:unit:x:y separated by '|' (strtok cannot nest, so walk by hand) */
    chan = chan_text;
    while (chan && *chan && n < (int)SMR_MAX_CHANNELS) {
        char *parts[5];
        int p;
        save_chan = strchr(chan, '|');
        if (save_chan) *save_chan++ = '\0';
        parts[0] = chan;
        for (p = 1; p < 5; p++) {
            parts[p] = strchr(parts[p - 1], ':');
            if (!parts[p]) return 0;
            *parts[p]++ = '\0';
        }
        strncpy(names[n], parts[0], sizeof names[n] - 1);
        channels[n].name = names[n];
        channels[n].sensor = code_of(parts[1], SENSORS, 2);
        channels[n].unit = code_of(parts[2], UNITS, 3);
        channels[n].x_m = strtof(parts[3], NULL);
        channels[n].y_m = strtof(parts[4], NULL);
        n++;
        chan = save_chan;
    }
    info.n_channels = (uint8_t)n;
    info.channels = channels;
    return smr_encode_device_info(out, MAX_BYTES, &info);
}

static void on_command(const smr_frame_view_t *frame, void *ctx) {
    smr_command_t cmd;
    const char *name = (const char *)ctx;
    if (smr_parse_command(frame, &cmd)) {
        printf("command %s command=%s token=%u rate_hz=%.9g\n", name,
               cmd.command < 6 ? COMMANDS[cmd.command] : "unknown", (unsigned)cmd.token, (double)cmd.rate_hz);
    }
}

int main(int argc, char **argv) {
    static char line[16384];
    static uint8_t out[MAX_BYTES], bytes[MAX_BYTES];
    FILE *file;
    if (argc != 2) {
        fprintf(stderr, "usage: vector_check test_vectors.txt\n");
        return 2;
    }
    file = fopen(argv[1], "r");
    if (!file) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    while (fgets(line, sizeof line, file)) {
        char *kind;
        fields_t f;
        const char *name, *hex;
        size_t len = 0;
        if (line[0] == '#' || !split_fields(line, &kind, &f)) continue;
        name = get(&f, "name");
        if (strcmp(kind, "crc") == 0) {
            const char *ascii = get(&f, "ascii");
            printf("crc %s %04x\n", name, (unsigned)smr_crc16((const uint8_t *)ascii, strlen(ascii)));
            continue;
        }
        if (strcmp(kind, "samples") == 0) {
            len = encode_samples(&f, out);
        } else if (strcmp(kind, "info") == 0) {
            len = encode_info(&f, out);
        } else if (strcmp(kind, "reply") == 0) {
            const char *value = get(&f, "value");
            len = smr_encode_reply(out, MAX_BYTES, code_of(get(&f, "command"), COMMANDS, 6),
                                   (uint8_t)atoi(get(&f, "token")), code_of(get(&f, "status"), STATUSES, 4),
                                   value != NULL, value ? strtof(value, NULL) : 0.0f);
        } else if (strcmp(kind, "command") == 0) {
            const char *rate = get(&f, "rate_hz");
            len = smr_encode_command(out, MAX_BYTES, code_of(get(&f, "command"), COMMANDS, 6),
                                     (uint8_t)atoi(get(&f, "token")), rate != NULL, rate ? strtof(rate, NULL) : 0.0f);
        } else if (strcmp(kind, "corrupt") != 0) {
            continue;
        }
        if (strcmp(kind, "corrupt") != 0) print_hex(name, out, len);
        hex = get(&f, "hex");
        if (hex) {
            smr_parser_t parser;
            size_t n = parse_hex(hex, bytes, sizeof bytes);
            smr_parser_init(&parser);
            smr_parser_feed(&parser, bytes, n, strcmp(kind, "command") == 0 ? on_command : NULL, (void *)name);
            printf("parsed %s valid=%lu corrupt=%lu discarded=%lu\n", name, (unsigned long)parser.frames,
                   (unsigned long)parser.corrupt, (unsigned long)parser.bytes_discarded);
        }
    }
    fclose(file);
    return 0;
}
