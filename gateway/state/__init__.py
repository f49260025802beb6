"""What the gateway knows about devices: pure state, no I/O.

:mod:`gateway.state.registry` holds each device's meta, availability and latest values;
:mod:`gateway.state.history` the bounded recent readings per sensor; :mod:`gateway.state.gaps`
the per-device seq tracking that drops duplicates and plans replay requests for gaps.
"""

from gateway.state.gaps import GapTracker, Seen
from gateway.state.history import ReadingHistory
from gateway.state.registry import DeviceState, PointState, Registry

__all__ = ["DeviceState", "GapTracker", "PointState", "ReadingHistory", "Registry", "Seen"]
