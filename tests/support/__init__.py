"""Helpers the test tiers share: a real Mosquitto, our own processes, waiting with a deadline."""
