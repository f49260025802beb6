"""``scripts/ensure_node.py``: which Node.js will do. (Fetching one is exercised by hand: tests
reach no network beyond loopback.)"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure_node.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ensure_node", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ensure_node = load()


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("v20.19.2\n", (20, 19)),
        ("v18.19.0", (18, 19)),
        ("22.23.3", (22, 23)),
        ("", None),
        ("vX", None),
    ],
)
def test_versions_are_read_from_node_s_own_output(
    text: str, version: tuple[int, int] | None
) -> None:
    assert ensure_node.parse_version(text) == version


def fake_node(folder: Path, says: str) -> str:
    node = folder / "node"
    node.write_text(f"#!/bin/sh\necho {says}\n", encoding="utf-8")
    node.chmod(0o755)
    return str(node)


@pytest.mark.parametrize(
    ("version", "ok"),
    [((18, 19), False), ((20, 18), False), ((20, 19), True), ((21, 7), False), ((22, 11), False),
     ((22, 12), True), ((24, 0), True)],
)  # fmt: skip
def test_the_versions_vite_accepts(version: tuple[int, int], ok: bool) -> None:
    assert ensure_node.accepted(version) is ok


def test_bookworm_s_node_18_is_too_old_and_20_19_will_do(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    assert not ensure_node.good_enough(fake_node(tmp_path / "old", "v18.19.0"))
    assert ensure_node.good_enough(fake_node(tmp_path / "new", "v20.19.0"))
    assert not ensure_node.good_enough(str(tmp_path / "missing"))
    assert not ensure_node.good_enough(None)


def test_builds_are_fetched_for_64_bit_pcs_and_pis_only() -> None:
    # The registry's builds: 64-bit PCs and Pis. 32-bit ARM gets the message instead.
    assert ensure_node.ARCHES["x86_64"] == "x64"
    assert ensure_node.ARCHES["aarch64"] == "arm64"
    assert "armv7l" not in ensure_node.ARCHES
