"""``deploy/docker-compose.yml``, its Dockerfile and ``deploy/docker/setup.sh``, checked without
Docker (there is none where pigw's tests run): every command parses with our real settings classes
against the files setup.sh makes, every mounted file exists, and the broker files work with
``production.conf`` on a real Mosquitto."""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from device_agent.settings import AgentSettings
from gateway.settings import GatewaySettings
from pigw.broker_access import parse_mqtt_url
from pigw.contract import Topics
from tests.broker.accounts import Account
from tests.support.broker import Mosquitto
from tests.support.ports import free_port
from tests.support.processes import REPO
from tests.support.settings import SettingsClass, load_command_settings

DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
SETUP = DEPLOY / "docker" / "setup.sh"
COMMANDS: dict[str, SettingsClass] = {
    "pigw-gateway": GatewaySettings,
    "pigw-agent": AgentSettings,
}
TOPICS = Topics()
pytestmark = pytest.mark.integration  # runs setup.sh (openssl, mosquitto_passwd) and Mosquitto


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """What setup.sh made (in a temporary folder instead of deploy/docker/local) and its output."""
    out = tmp_path_factory.mktemp("compose") / "local"
    done = subprocess.run([SETUP, out], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def bind_mounts(service: dict[str, Any], local: Path) -> dict[str, Path]:
    """Container folder -> host folder of a service's bind mounts, with ./docker/local/ -> local."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            assert source.startswith("./docker/local/"), (
                f"{source}: only setup.sh's output is mounted"
            )
            mounts[target] = local / source.removeprefix("./docker/local/")
    return mounts


def test_the_stack_is_a_broker_a_gateway_and_a_simulated_agent(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"mosquitto", "gateway", "agent"}
    assert services["gateway"]["command"][0] == "pigw-gateway"
    assert services["agent"]["command"][:2] == ["pigw-agent", "--simulate"]
    # The dashboard is published on this host only; the broker's TLS listener for real Pis.
    assert services["gateway"]["ports"] == ["127.0.0.1:8000:8000"]
    assert services["mosquitto"]["ports"] == ["8883:8883"]


@pytest.mark.parametrize("name", ["gateway", "agent"])
def test_every_command_parses_with_our_real_settings(
    name: str,
    compose: dict[str, Any],
    prepared: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = compose["services"][name]
    program, *args = service["command"]
    mounts = bind_mounts(service, prepared[0])

    def on_host(arg: str) -> str:
        flag, _, value = arg.partition("=")
        for target, source in mounts.items():
            if value.startswith(target + "/"):
                return f"{flag}={source / value.removeprefix(target + '/')}"
        return arg

    for variable in [v for v in os.environ if v.startswith("PIGW_")]:
        monkeypatch.delenv(variable)
    # File settings must exist: this fails if a mounted file is missing or misnamed.
    settings = load_command_settings(COMMANDS[program], [on_host(arg) for arg in args])
    (broker,) = (parse_mqtt_url(url) for url in settings.mqtt_url)
    assert (broker.host, broker.port, broker.tls) == ("mosquitto", 8883, True)


def test_the_gateway_health_check_asks_the_gateways_own_port(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["gateway"]
    port = next(a.partition("=")[2] for a in gateway["command"] if a.startswith("--port="))
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(gateway["healthcheck"]["test"])


def test_the_broker_gets_every_file_production_conf_names(
    compose: dict[str, Any], prepared: tuple[Path, str]
) -> None:
    mounts = bind_mounts(compose["services"]["mosquitto"], prepared[0])
    config = (REPO / "mosquitto" / "production.conf").read_text(encoding="utf-8")
    named = re.findall(r"^\w+ (/etc/mosquitto/pigw/\S+)$", config, flags=re.M)
    assert len(named) == 5  # passwd, acl, server.crt, server.key, ca.crt
    for path in named:
        host = mounts["/etc/mosquitto/pigw"] / Path(path).name
        assert host.is_file(), path
        # The container's mosquitto user is not you: it reads through the "other" bits.
        assert host.stat().st_mode & 0o004, f"{host} is not readable inside the container"
    assert (prepared[0].stat().st_mode & 0o777) == 0o700  # ...while the folder stays yours


def test_setup_makes_an_operator_token_in_the_contract_format(prepared: tuple[Path, str]) -> None:
    local, output = prepared
    (token,) = re.findall(r"operator token .*: (\S+)$", output, flags=re.M)
    line = (local / "gateway" / "tokens").read_text(encoding="utf-8").strip()
    assert line == f"admin operator {hashlib.sha256(token.encode()).hexdigest()}"


def test_setup_refuses_to_overwrite_an_installation(prepared: tuple[Path, str]) -> None:
    done = subprocess.run(
        [SETUP, prepared[0]], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 1
    assert "exists" in done.stderr


def test_the_accounts_setup_makes_work_with_the_production_broker(
    prepared: tuple[Path, str], tmp_path: Path
) -> None:
    local = prepared[0]
    broker = Mosquitto(
        tmp_path,
        template=REPO / "mosquitto" / "production.conf",
        tls_port=free_port(),
        replacements={
            "/etc/mosquitto/pigw/": f"{local}/broker/",
            "/var/lib/mosquitto/": f"{tmp_path}/",
        },
        extra_config="user root\n",
    ).start()
    try:
        assert broker.tls_port is not None

        def login(folder: str, user: str) -> Account:
            context = ssl.create_default_context(cafile=str(local / folder / "ca.crt"))
            password = (local / folder / "mqtt-password").read_text(encoding="utf-8").strip()
            # "localhost" stands in for the compose name "mosquitto": both are in the certificate.
            assert broker.tls_port is not None
            return Account(broker.tls_port, user, password, tls=context, host="localhost")

        gateway = login("gateway", "_gateway")
        agent = login("agent", "demo-pi")
        gateway.subscribe(TOPICS.all_filter())
        assert not agent.publish(TOPICS.status("demo-pi"), b"online").is_failure
        assert gateway.wait_for(TOPICS.status("demo-pi"))[0].payload == b"online"
    finally:
        broker.process.stop()


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, rest = line.strip().partition(" ")
            found.append((instruction.upper(), rest.strip()))
    return found


def test_the_dockerfile_builds_what_compose_asks_for(compose: dict[str, Any]) -> None:
    stages = [rest.split()[-1] for kind, rest in dockerfile_instructions() if kind == "FROM"]
    for service in compose["services"].values():
        assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert service["build"]["context"] == ".."
        assert service["build"]["target"] in stages
    for kind, rest in dockerfile_instructions():
        if kind != "COPY" or rest.startswith("--from="):
            continue
        *sources, _target = rest.split()
        for source in sources:
            # The dashboard's sources arrive with the dashboard change (gateway/web).
            if not source.startswith("gateway/web/"):
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    copies = [rest for kind, rest in dockerfile_instructions() if kind == "COPY"]
    assert "mosquitto/production.conf /etc/mosquitto/mosquitto.conf" in copies
    ignored = (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert {".venv", "deploy/docker/local", ".git"} <= set(ignored.split())
