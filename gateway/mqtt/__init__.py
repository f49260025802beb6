"""The gateway's one MQTT module (:mod:`gateway.mqtt.bridge`)."""
