"""Fixtures of the ecosystem tests: a Node-RED installed from npm once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ecosystem.node_red import install_node_red


@pytest.fixture(scope="session")
def node_red_js(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``red.js`` of a Node-RED 4 installed from npm into a temporary folder of this run."""
    return install_node_red(tmp_path_factory.mktemp("node-red"))
