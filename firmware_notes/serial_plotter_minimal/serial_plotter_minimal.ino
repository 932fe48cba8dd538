/*
 * smr_sense: the smallest roller sketch. Any Arduino board, any sensor on an analog pin, text lines.
 *
 * It prints Arduino Serial Plotter lines, "load:512", at 50 Hz, which is smr-sense's default rate
 * for text. The same lines draw a live graph in the Arduino IDE's Serial Plotter. Record them with
 *   smr-sense record --source "serial:/dev/ttyACM0?format=text" --out first.smr
 * With PRINT_TIME 1 each line starts with the device time, "t_ms:1234,load:512". The host then
 * reads the real timing instead of counting lines, which is better if the loop can stall.
 * For the wiring, parts and power, see README.md in this folder.
 */
#define SENSOR_PIN A0
#define PERIOD_MS 20 // 50 Hz
#define PRINT_TIME 0

unsigned long next_ms = 0;

void setup() {
  Serial.begin(115200);
  next_ms = millis();
}

void loop() {
  unsigned long now = millis();
  if ((long)(now - next_ms) < 0) return; // wrap-safe: millis() wraps after 49.7 days
  next_ms += PERIOD_MS;
#if PRINT_TIME
  Serial.print("t_ms:");
  Serial.print(now);
  Serial.print(',');
#endif
  Serial.print("load:");
  Serial.println(analogRead(SENSOR_PIN));
}
