"""Fixtures of the ecosystem tests: a Node-RED installed once per run (and cached across runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ecosystem.node_red import ensure_node_red


@pytest.fixture(scope="session")
def node_red_js() -> Path:
    """``red.js`` of a Node-RED 4 installed from npm into ``.run/node-red-cache``."""
    return ensure_node_red()
