/*
 * smr_sense reference firmware: ESP32 + HX711, one to four load cells, BLE and USB serial.
 *
 * Build: a plate on 1-4 load cells that the roller rolls on (a small force plate), or load cells
 * inside the roller's core. Each load cell has its own HX711. Every sample instant sends one
 * reference frame (firmware_notes/protocol.md) with raw 24-bit counts: smr-sense calibrates them.
 *
 * Libraries (Arduino Library Manager): "HX711" by Bogdan Necula (bogde/HX711), the ESP32 core's BLE
 * (Arduino core for ESP32 2.x or 3.x), and SmrFrame from firmware_notes/common/SmrFrame. Copy or
 * symlink that folder into ~/Arduino/libraries/, or:
 *   arduino-cli compile --fqbn esp32:esp32:esp32 --library ../common/SmrFrame esp32_hx711
 *
 * See README.md in this folder for the wiring table, parts list, rate and power notes.
 */
#include <Arduino.h>
#include <BLEDevice.h>
#include <BLEServer.h>
#include <BLEUtils.h>
#if defined(CONFIG_BLUEDROID_ENABLED)
#include <BLE2902.h>
#endif
#include <HX711.h>
#include <math.h>
#include <smr_frame.h>

// ---- build configuration -------------------------------------------------------------------
#define N_CELLS 4          // 1 to 4 load cells, each with its own HX711
#define SERIAL_BAUD 115200 // see protocol.md section 7 before raising the rate
#define FW_MAJOR 1
#define FW_MINOR 0
#define FW_PATCH 0
static const float RATE_HZ = 80.0f;           // HX711 RATE pin tied high: 80 samples/s
static const float ROLLER_RADIUS_M = NAN;     // the plate build does not know the roller
static const uint8_t DOUT_PINS[4] = {16, 18, 21, 23};
static const uint8_t SCK_PINS[4] = {17, 19, 22, 25};
// Load cell positions on the plate, metres from its centre (x along the rolling direction).
static const smr_channel_t CHANNELS[4] = {
    {"fl", SMR_SENSOR_LOAD_CELL, SMR_UNIT_COUNT, 0.15f, 0.05f},
    {"fr", SMR_SENSOR_LOAD_CELL, SMR_UNIT_COUNT, 0.15f, -0.05f},
    {"bl", SMR_SENSOR_LOAD_CELL, SMR_UNIT_COUNT, -0.15f, 0.05f},
    {"br", SMR_SENSOR_LOAD_CELL, SMR_UNIT_COUNT, -0.15f, -0.05f},
};

// ---- state -------------------------------------------------------------------------------
static HX711 cells[N_CELLS];
static char device_id[20];
static bool streaming_serial = true; // over serial: stream from boot (protocol.md section 5)
static bool streaming_ble = true;    // over BLE: while subscribed, unless stopped
static uint16_t seq_serial = 0; // one sequence per link: each link is its own stream
static uint16_t seq_ble = 0;
// A command written over BLE arrives in the BLE task; it is handed to loop() through this buffer.
static uint8_t ble_cmd[64];
static volatile size_t ble_cmd_len = 0;
static smr_parser_t serial_parser;
static smr_parser_t ble_parser;

static BLEServer *server = nullptr;
static BLECharacteristic *data_char = nullptr;
static BLECharacteristic *info_char = nullptr;
static volatile bool ble_connected = false;

// Frames waiting to go out in one notification (protocol.md section 8: pack whole frames).
static uint8_t ble_pending[244];
static size_t ble_pending_len = 0;
static uint32_t ble_pending_since_ms = 0;

static size_t build_info(uint8_t *out, size_t cap) {
  smr_device_info_t info;
  info.fw_major = FW_MAJOR;
  info.fw_minor = FW_MINOR;
  info.fw_patch = FW_PATCH;
  info.has_gyro = 0;
  info.has_accel = 0;
  info.rate_hz = RATE_HZ;
  info.roller_radius_m = ROLLER_RADIUS_M;
  info.device_id = device_id;
  info.device_name = "SMR-plate";
  info.n_channels = N_CELLS;
  info.channels = CHANNELS;
  return smr_encode_device_info(out, cap, &info);
}

// ---- BLE ---------------------------------------------------------------------------------
static size_t ble_payload_size() {
  // The negotiated ATT MTU minus 3; 20 bytes when nothing was negotiated (the safe default).
  uint16_t mtu = server ? server->getPeerMTU(server->getConnId()) : 23;
  if (mtu < 23) mtu = 23;
  size_t n = (size_t)mtu - 3;
  return n > sizeof ble_pending ? sizeof ble_pending : n;
}

static void ble_flush() {
  if (ble_pending_len == 0 || !ble_connected) {
    ble_pending_len = 0;
    return;
  }
  data_char->setValue(ble_pending, ble_pending_len);
  data_char->notify();
  ble_pending_len = 0;
}

// Queue a frame for BLE: whole frames are packed; a frame larger than one notification is split.
static void ble_send(const uint8_t *frame, size_t len) {
  if (!ble_connected) return;
  size_t room = ble_payload_size();
  if (ble_pending_len + len > room) ble_flush();
  while (len > room) { // only with a small MTU: the host reassembles the byte stream
    data_char->setValue((uint8_t *)frame, room);
    data_char->notify();
    frame += room;
    len -= room;
  }
  if (ble_pending_len == 0) ble_pending_since_ms = millis();
  memcpy(ble_pending + ble_pending_len, frame, len);
  ble_pending_len += len;
}

class ServerEvents : public BLEServerCallbacks {
  void onConnect(BLEServer *) override { ble_connected = true; }
  void onDisconnect(BLEServer *s) override {
    ble_connected = false;
    streaming_ble = true;
    s->startAdvertising(); // be findable again for the host's reconnect
  }
};

static void handle_frame(const smr_frame_view_t *frame, void *ctx);

class CommandEvents : public BLECharacteristicCallbacks {
  void onWrite(BLECharacteristic *c) override {
    // getValue() is std::string on core 2.x and String on 3.x: both have c_str() and length()
    auto value = c->getValue();
    size_t n = value.length();
    if (ble_cmd_len != 0 || n > sizeof ble_cmd) return; // the host waits for each reply
    memcpy(ble_cmd, value.c_str(), n);
    ble_cmd_len = n;
  }
};

static void setup_ble() {
  BLEDevice::init("SMR-plate");
  BLEDevice::setMTU(247);
  server = BLEDevice::createServer();
  server->setCallbacks(new ServerEvents());
  BLEService *service = server->createService(SMR_BLE_SERVICE_UUID);
  data_char = service->createCharacteristic(SMR_BLE_DATA_UUID, BLECharacteristic::PROPERTY_NOTIFY);
#if defined(CONFIG_BLUEDROID_ENABLED)
  data_char->addDescriptor(new BLE2902());
#endif
  BLECharacteristic *cmd = service->createCharacteristic(
      SMR_BLE_COMMAND_UUID, BLECharacteristic::PROPERTY_WRITE | BLECharacteristic::PROPERTY_WRITE_NR);
  cmd->setCallbacks(new CommandEvents());
  info_char = service->createCharacteristic(SMR_BLE_INFO_UUID, BLECharacteristic::PROPERTY_READ);
  uint8_t info[256];
  size_t n = build_info(info, sizeof info);
  info_char->setValue(info, n);
  service->start();
  BLEAdvertising *adv = BLEDevice::getAdvertising();
  adv->addServiceUUID(SMR_BLE_SERVICE_UUID);
  adv->setScanResponse(true);
  BLEDevice::startAdvertising();
}

// ---- commands (from serial or BLE) --------------------------------------------------------
static void send_to(bool ble, const uint8_t *frame, size_t len) {
  if (ble) {
    ble_send(frame, len);
    ble_flush(); // replies should not wait for packing
  } else {
    Serial.write(frame, len);
  }
}

static void handle_frame(const smr_frame_view_t *frame, void *ctx) {
  bool ble = ctx != nullptr;
  smr_command_t cmd;
  uint8_t out[256];
  size_t n;
  if (!smr_parse_command(frame, &cmd)) return; // not a command: ignore (protocol.md section 5)
  switch (cmd.command) {
  case SMR_CMD_START:
  case SMR_CMD_STOP:
    if (ble) streaming_ble = cmd.command == SMR_CMD_START;
    else streaming_serial = cmd.command == SMR_CMD_START;
    n = smr_encode_reply(out, sizeof out, cmd.command, cmd.token, SMR_STATUS_OK, 0, 0.0f);
    break;
  case SMR_CMD_TARE:
    // raw counts: the zero belongs to the host's calibration, so nothing is re-zeroed here
    n = smr_encode_reply(out, sizeof out, cmd.command, cmd.token, SMR_STATUS_OK, 1, 0.0f);
    break;
  case SMR_CMD_SET_RATE:
    // The HX711 rate is a hardware pin (10 or 80 Hz): report the rate in effect.
    n = smr_encode_reply(out, sizeof out, cmd.command, cmd.token, SMR_STATUS_OK, 1, RATE_HZ);
    break;
  case SMR_CMD_GET_INFO:
    n = smr_encode_reply(out, sizeof out, cmd.command, cmd.token, SMR_STATUS_OK, 0, 0.0f);
    send_to(ble, out, n);
    n = build_info(out, sizeof out);
    break;
  default:
    n = smr_encode_reply(out, sizeof out, cmd.command, cmd.token, SMR_STATUS_UNKNOWN_COMMAND, 0, 0.0f);
  }
  send_to(ble, out, n);
}

// ---- main loop -----------------------------------------------------------------------------
void setup() {
  Serial.begin(SERIAL_BAUD);
  uint64_t mac = ESP.getEfuseMac();
  snprintf(device_id, sizeof device_id, "esp32-%02x%02x%02x", (unsigned)((mac >> 24) & 0xFF),
           (unsigned)((mac >> 32) & 0xFF), (unsigned)((mac >> 40) & 0xFF));
  for (int i = 0; i < N_CELLS; i++) cells[i].begin(DOUT_PINS[i], SCK_PINS[i]); // gain 128, channel A
  smr_parser_init(&serial_parser);
  smr_parser_init(&ble_parser);
  setup_ble();
  uint8_t info[256];
  size_t n = build_info(info, sizeof info);
  Serial.write(info, n); // the host may be listening already
}

static bool all_ready() {
  for (int i = 0; i < N_CELLS; i++)
    if (!cells[i].is_ready()) return false;
  return true;
}

void loop() {
  // commands from the serial port
  while (Serial.available() > 0) {
    uint8_t byte = (uint8_t)Serial.read();
    smr_parser_feed(&serial_parser, &byte, 1, handle_frame, nullptr);
  }
  // commands written over BLE
  if (ble_cmd_len != 0) {
    smr_parser_feed(&ble_parser, ble_cmd, ble_cmd_len, handle_frame, (void *)1);
    ble_cmd_len = 0;
  }
  // one sample instant when every HX711 has a conversion ready (80 Hz with RATE high)
  if (all_ready()) {
    int32_t counts[N_CELLS];
    uint32_t t_us = micros();
    for (int i = 0; i < N_CELLS; i++) counts[i] = (int32_t)cells[i].read();
    smr_sample_t sample = {};
    sample.t_us = t_us;
    sample.n_channels = N_CELLS;
    sample.counts = counts;
    uint8_t frame[64];
    if (streaming_serial) {
      sample.seq = seq_serial++;
      size_t n = smr_encode_samples(frame, sizeof frame, &sample);
      // a full buffer drops the frame but seq has advanced: the host counts it as lost
      if (Serial.availableForWrite() >= (int)n) Serial.write(frame, n);
    }
    if (streaming_ble && ble_connected) {
      sample.seq = seq_ble++;
      ble_send(frame, smr_encode_samples(frame, sizeof frame, &sample));
    }
  }
  // never hold a packed notification more than 20 ms
  if (ble_pending_len && millis() - ble_pending_since_ms >= 20) ble_flush();
}
