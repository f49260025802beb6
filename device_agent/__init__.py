"""pigw device agent: reads GPIO sensors and drives outputs on a Raspberry Pi, publishes over MQTT."""
