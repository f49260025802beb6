"""Simulated waveforms are deterministic and stay in their range."""

from __future__ import annotations

from device_agent.schema import Simulation
from device_agent.waveforms import Waveform


def test_square_toggles_every_half_period() -> None:
    signal = Waveform(Simulation(signal="square", period=2.0))
    assert [signal.level(t) for t in (0.0, 0.9, 1.0, 1.9, 2.0)] == [True, True, False, False, True]


def test_pulse_is_high_for_its_duty_cycle() -> None:
    signal = Waveform(Simulation(signal="pulse", period=10.0, duty=0.2))
    assert signal.level(1.0) and not signal.level(3.0) and signal.level(10.5)


def test_sine_spans_low_to_high() -> None:
    signal = Waveform(Simulation(signal="sine", period=4.0, low=10.0, high=20.0))
    assert signal.value(0.0) == 10.0
    assert signal.value(2.0) == 20.0


def test_drift_stays_in_range_and_repeats_with_the_seed() -> None:
    spec = Simulation(signal="drift", period=60.0, low=19.0, high=23.0, noise=0.0)
    walk_a, walk_b = Waveform(spec, seed=3), Waveform(spec, seed=3)
    values_a = [walk_a.value(float(t)) for t in range(500)]
    values_b = [walk_b.value(float(t)) for t in range(500)]
    assert values_a == values_b
    assert all(19.0 <= v <= 23.0 for v in values_a)
    assert len(set(values_a)) > 100
