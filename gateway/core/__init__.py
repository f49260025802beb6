"""The gateway's core services, between the edges (``mqtt/``, ``server.py``, ``api/``,
``streams/``) and the domain state (``hub/``, ``state/``, ``recorder/``, ``alerts/``): the intake
that turns broker messages into state and events, commands and their acks, readiness, the
housekeeping tick, Home Assistant discovery from validated meta, and the refusal counters. No
module here opens a socket; each talks to the broker only through the bridge it is handed."""
