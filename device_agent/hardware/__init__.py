"""The gpiozero edge: the adapters every sensor kind and output runs on, all behind gpiozero's pin
factory (lgpio / RPi.GPIO on a Pi, a mock factory under ``--simulate`` and in tests). Which gpiozero
device a sensor kind opens is that kind's business (:mod:`device_agent.kinds`).

Adapters only translate: digital inputs report levels through a callback (called on gpiozero's
threads, so the callback must hand over to the agent's loop), analog inputs have a blocking
``read()`` (the agent calls it in a worker thread), outputs have ``apply()``. No policy lives here.
"""
