"""Make sure a Node.js that can build the dashboard is on hand (stdlib only; run by
``scripts/ensure-system-deps.sh`` before the venv exists).

The dashboard's toolchain (Vite) needs Node 20.19+ or 22.12+, and Debian bookworm / Raspberry Pi OS
bookworm ship Node 18. When the ``node`` on ``PATH`` is missing or older, this fetches Node's own
Linux build (``bin/node``) and npm from the npm registry — the packages ``node-linux-<arch>`` and
``npm``, checked against the registry's sha512 — into ``.run/node``, which the Makefile puts first
on ``PATH``. Nothing outside the repository is touched; ``make clean`` removes it.

    python3 scripts/ensure_node.py          # prints the node it settled on
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from pathlib import Path

#: What Vite's ``engines`` accepts: ``^20.19.0 || >=22.12.0``.
ACCEPTED = "20.19+ or 22.12+"
#: What is fetched when the system's node will not do: an LTS line with builds for both Pi 64-bit
#: and PCs on the registry (the registry's 32-bit ARM builds stop at 20.11, too old for Vite).
NODE_VERSION = "22.23.3"
NPM_VERSION = "10.9.9"
ARCHES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
ROOT = Path(__file__).resolve().parents[1]
PREFIX = ROOT / ".run" / "node"


def parse_version(text: str) -> tuple[int, int] | None:
    """``v20.19.2`` -> ``(20, 19)``; None for anything else."""
    parts = text.strip().lstrip("v").split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def node_version(node: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    return parse_version(done.stdout) if done.returncode == 0 else None


def accepted(version: tuple[int, int]) -> bool:
    return (version[0] == 20 and version[1] >= 19) or version >= (22, 12)


def good_enough(node: str | None) -> bool:
    version = node_version(node) if node else None
    return version is not None and accepted(version)


def registry() -> str:
    return os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")


def get(url: str, timeout: float) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise SystemExit(f"pigw: not an HTTP(S) registry URL: {url!r}")
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - scheme checked
        data: bytes = answer.read()
    return data


def fetch_package(name: str, version: str) -> tarfile.TarFile:
    """The package's tarball from the registry, checked against the registry's sha512."""
    dist = json.loads(get(f"{registry()}/{name}/{version}", 60))["dist"]
    algorithm, _, expected = dist["integrity"].partition("-")
    if algorithm != "sha512":
        raise SystemExit(f"pigw: unexpected integrity {dist['integrity']!r} for {name}@{version}")
    data = get(dist["tarball"], 600)
    if base64.b64encode(hashlib.sha512(data).digest()).decode() != expected:
        raise SystemExit(f"pigw: {name}@{version} from {registry()} fails its sha512 check")
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def unpack(archive: tarfile.TarFile, target: Path) -> None:
    """The tarball's ``package/`` folder as ``target``."""
    for member in archive.getmembers():
        if member.name == "package" or member.name.startswith("package/"):
            member.name = member.name.removeprefix("package").lstrip("/") or "."
    if hasattr(tarfile, "data_filter"):  # Python 3.11.4+; bookworm's 3.11.2 has no filters
        archive.extractall(target, filter="data")
    else:
        archive.extractall(target)  # noqa: S202 - its sha512 was checked against the registry


def install(arch: str) -> None:
    staging = PREFIX.with_name("node.partial")
    shutil.rmtree(staging, ignore_errors=True)
    print(f"pigw: fetching Node.js {NODE_VERSION} ({arch}) and npm {NPM_VERSION} from {registry()}")
    unpack(fetch_package(f"node-linux-{arch}", NODE_VERSION), staging)
    unpack(fetch_package("npm", NPM_VERSION), staging / "lib" / "node_modules" / "npm")
    for tool in ("npm", "npx"):
        wrapper = staging / "bin" / tool
        wrapper.write_text(
            '#!/bin/sh\nhere=$(dirname "$(readlink -f "$0")")\n'
            f'exec "$here/node" "$here/../lib/node_modules/npm/bin/{tool}-cli.js" "$@"\n',
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
    shutil.rmtree(PREFIX, ignore_errors=True)
    staging.rename(PREFIX)


def main() -> int:
    local = PREFIX / "bin" / "node"
    for node in (str(local) if local.exists() else None, shutil.which("node")):
        if good_enough(node):
            print(f"pigw: Node.js at {node} will do")
            return 0
    arch = ARCHES.get(platform.machine())
    found = shutil.which("node")
    version = node_version(found) if found else None
    shown = f"v{version[0]}.{version[1]}" if version else "not working"
    have = f"{found} is {shown}" if found else "no node"
    if arch is None:
        print(
            f"pigw: Node.js {ACCEPTED} is needed to build the dashboard ({have}),"
            f" and the npm registry has no such build for {platform.machine()}: install one"
            " (nodesource.com, nvm) and run make again.",
            file=sys.stderr,
        )
        return 1
    print(f"pigw: Node.js {ACCEPTED} is needed for the dashboard ({have}).")
    install(arch)
    if not good_enough(str(local)):
        print(f"pigw: the Node.js fetched into {PREFIX} does not run", file=sys.stderr)
        return 1
    print(f"pigw: Node.js {NODE_VERSION} installed in {PREFIX} (the Makefile puts it on PATH)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
