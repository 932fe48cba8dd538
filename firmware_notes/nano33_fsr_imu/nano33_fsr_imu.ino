/*
 * smr_sense reference firmware: Arduino Nano 33 BLE (Sense), FSR array around the roller + on-board IMU.
 *
 * The Nano rides inside the roller. Six force-sensing resistors around its circumference report
 * where and how hard the body presses. The gyro's rate about the roller's axis is the most direct
 * rolling signal. Every IMU sample (119 Hz on the LSM9DS1 of rev 1 boards) sends one reference frame
 * (firmware_notes/protocol.md) with the FSR conductances, the gyro and the accelerometer.
 *
 * Libraries: ArduinoBLE; Arduino_LSM9DS1 (Nano 33 BLE / Sense rev 1) or Arduino_BMI270_BMM150
 * (rev 2: compile with -DSMR_IMU_BMI270); SmrFrame from firmware_notes/common/SmrFrame:
 *   arduino-cli compile --fqbn arduino:mbed_nano:nano33ble --library ../common/SmrFrame nano33_fsr_imu
 *
 * See README.md in this folder for the wiring table, parts list, rate and power notes.
 */
#include <Arduino.h>
#include <ArduinoBLE.h>
#include <math.h>
#include <smr_frame.h>
#ifdef SMR_IMU_BMI270
#include <Arduino_BMI270_BMM150.h>
static const float RATE_HZ = 100.0f; // BMI270 gyro data rate in the Arduino library
#else
#include <Arduino_LSM9DS1.h>
static const float RATE_HZ = 119.0f; // LSM9DS1 gyro/accel data rate in the Arduino library
#endif

// ---- build configuration -------------------------------------------------------------------
#define N_FSR 6
#define FW_MAJOR 2
#define FW_MINOR 1
#define FW_PATCH 0
static const float ROLLER_RADIUS_M = 0.075f; // 15 cm diameter foam roller
static const float R_MEASURE_OHM = 10000.0f; // divider resistor from each analog pin to GND
static const uint8_t FSR_PINS[N_FSR] = {A0, A1, A2, A3, A6, A7}; // A4/A5 stay free for I2C
static const smr_channel_t CHANNELS[N_FSR] = {
    // around the circumference: positions are unknown in plate coordinates, so NaN
    {"fsr0", SMR_SENSOR_FSR, SMR_UNIT_COUNT, NAN, NAN}, {"fsr1", SMR_SENSOR_FSR, SMR_UNIT_COUNT, NAN, NAN},
    {"fsr2", SMR_SENSOR_FSR, SMR_UNIT_COUNT, NAN, NAN}, {"fsr3", SMR_SENSOR_FSR, SMR_UNIT_COUNT, NAN, NAN},
    {"fsr4", SMR_SENSOR_FSR, SMR_UNIT_COUNT, NAN, NAN}, {"fsr5", SMR_SENSOR_FSR, SMR_UNIT_COUNT, NAN, NAN},
};
// ArduinoBLE cuts notifications at the negotiated MTU without telling the sketch, so every
// notification stays within the default 20 bytes (protocol.md section 8).
#define NOTIFY_BYTES 20

// ---- BLE ---------------------------------------------------------------------------------
BLEService smr_service(SMR_BLE_SERVICE_UUID);
BLECharacteristic data_char(SMR_BLE_DATA_UUID, BLENotify, NOTIFY_BYTES);
BLECharacteristic cmd_char(SMR_BLE_COMMAND_UUID, BLEWrite | BLEWriteWithoutResponse, 64);
BLECharacteristic info_char(SMR_BLE_INFO_UUID, BLERead, 200);

static char device_id[24];
static bool streaming = true;
static uint16_t seq_serial = 0, seq_ble = 0;
static smr_parser_t serial_parser, ble_parser;

static size_t build_info(uint8_t *out, size_t cap) {
  smr_device_info_t info;
  info.fw_major = FW_MAJOR;
  info.fw_minor = FW_MINOR;
  info.fw_patch = FW_PATCH;
  info.has_gyro = 1;
  info.has_accel = 1;
  info.rate_hz = RATE_HZ;
  info.roller_radius_m = ROLLER_RADIUS_M;
  info.device_id = device_id;
  info.device_name = "SMR-roller";
  info.n_channels = N_FSR;
  info.channels = CHANNELS;
  return smr_encode_device_info(out, cap, &info);
}

static void ble_send(const uint8_t *frame, size_t len) {
  if (!data_char.subscribed()) return;
  while (len > 0) { // the host joins the pieces: notifications are one byte stream
    size_t n = len < NOTIFY_BYTES ? len : NOTIFY_BYTES;
    data_char.writeValue(frame, n);
    frame += n;
    len -= n;
  }
}

static void handle_frame(const smr_frame_view_t *frame, void *ctx) {
  bool ble = ctx != nullptr;
  smr_command_t cmd;
  uint8_t out[200];
  size_t n;
  if (!smr_parse_command(frame, &cmd)) return;
  switch (cmd.command) {
  case SMR_CMD_START:
  case SMR_CMD_STOP:
    streaming = cmd.command == SMR_CMD_START;
    n = smr_encode_reply(out, sizeof out, cmd.command, cmd.token, SMR_STATUS_OK, 0, 0.0f);
    break;
  case SMR_CMD_TARE: // FSR conductance has no offset to re-zero on the device: the host calibrates
    n = smr_encode_reply(out, sizeof out, cmd.command, cmd.token, SMR_STATUS_OK, 1, 0.0f);
    break;
  case SMR_CMD_SET_RATE: // the IMU's rate is fixed by its library: report it
    n = smr_encode_reply(out, sizeof out, cmd.command, cmd.token, SMR_STATUS_OK, 1, RATE_HZ);
    break;
  case SMR_CMD_GET_INFO:
    n = smr_encode_reply(out, sizeof out, cmd.command, cmd.token, SMR_STATUS_OK, 0, 0.0f);
    if (ble) ble_send(out, n); else Serial.write(out, n);
    n = build_info(out, sizeof out);
    break;
  default:
    n = smr_encode_reply(out, sizeof out, cmd.command, cmd.token, SMR_STATUS_UNKNOWN_COMMAND, 0, 0.0f);
  }
  if (ble) ble_send(out, n); else Serial.write(out, n);
}

// FSR conductance in microsiemens from the divider voltage: roughly proportional to force, which
// is what the host's power-law calibration F = k * G^n expects (DOMAIN: FSR402, +-6 % part to part).
static float fsr_conductance_us(int adc) {
  if (adc <= 0) return 0.0f;
  if (adc >= 4095) adc = 4094;
  float r_fsr = R_MEASURE_OHM * (4095.0f - (float)adc) / (float)adc;
  return 1e6f / r_fsr;
}

void setup() {
  Serial.begin(115200); // USB CDC: the baud rate is ignored
  analogReadResolution(12);
  if (!IMU.begin()) {
    while (true) { // no IMU means a wiring or board problem: blink instead of sending bad data
      digitalWrite(LED_BUILTIN, !digitalRead(LED_BUILTIN));
      delay(200);
    }
  }
  if (!BLE.begin()) {
    while (true) delay(1000);
  }
  String addr = BLE.address(); // "aa:bb:cc:dd:ee:ff": the last three bytes identify the board
  addr.replace(":", "");
  snprintf(device_id, sizeof device_id, "nano33-%s", addr.substring(6).c_str());
  BLE.setLocalName("SMR-roller");
  BLE.setAdvertisedService(smr_service);
  smr_service.addCharacteristic(data_char);
  smr_service.addCharacteristic(cmd_char);
  smr_service.addCharacteristic(info_char);
  BLE.addService(smr_service);
  uint8_t info[200];
  size_t n = build_info(info, sizeof info);
  info_char.writeValue(info, n);
  BLE.advertise();
  smr_parser_init(&serial_parser);
  smr_parser_init(&ble_parser);
  Serial.write(info, n);
}

void loop() {
  BLE.poll();
  while (Serial.available() > 0) {
    uint8_t byte = (uint8_t)Serial.read();
    smr_parser_feed(&serial_parser, &byte, 1, handle_frame, nullptr);
  }
  if (cmd_char.written()) {
    smr_parser_feed(&ble_parser, cmd_char.value(), cmd_char.valueLength(), handle_frame, (void *)1);
  }
  // the gyro paces the loop: one frame per IMU sample
  if (!IMU.gyroscopeAvailable()) return;
  float gyro[3], accel[3] = {0.0f, 0.0f, 0.0f}, g[N_FSR];
  uint32_t t_us = micros();
  IMU.readGyroscope(gyro[0], gyro[1], gyro[2]); // deg/s
  if (IMU.accelerationAvailable()) IMU.readAcceleration(accel[0], accel[1], accel[2]); // g
  for (int i = 0; i < N_FSR; i++) g[i] = fsr_conductance_us(analogRead(FSR_PINS[i]));
  if (!streaming) return;
  smr_sample_t sample = {};
  sample.t_us = t_us;
  sample.n_channels = N_FSR;
  sample.float_values = 1;
  sample.values = g;
  sample.gyro_dps = gyro;
  sample.accel_g = accel;
  uint8_t frame[64];
  sample.seq = seq_serial++;
  size_t n = smr_encode_samples(frame, sizeof frame, &sample);
  if (Serial && Serial.availableForWrite() >= (int)n) Serial.write(frame, n);
  if (BLE.connected() && data_char.subscribed()) {
    sample.seq = seq_ble++;
    ble_send(frame, smr_encode_samples(frame, sizeof frame, &sample));
  }
}
