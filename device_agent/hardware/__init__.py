"""The gpiozero edge: one adapter per kind of sensor or output, all behind gpiozero's pin factory
(lgpio / RPi.GPIO on a Pi, a mock factory under ``--simulate`` and in tests).

Adapters only translate: digital inputs report levels through a callback (called on gpiozero's
threads, so the callback must hand over to the agent's loop), analog inputs have a blocking
``read()`` (the agent calls it in a worker thread), outputs have ``apply()``. No policy lives here.
"""
