"""pigw gateway: MQTT to a resumable live stream for browsers, plus REST, commands and metrics."""
