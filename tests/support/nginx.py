"""A real nginx for tests, run in the foreground from a folder of the test's own: the main
configuration around a test's ``http {}`` content, the config check, and the process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.processes import ManagedProcess

NGINX = "/usr/sbin/nginx"


def main_config(workdir: Path, http: str) -> str:
    """A main ``nginx.conf`` that keeps everything in ``workdir``, with ``http`` (server blocks or
    an ``include``) inside its ``http {}``."""
    temp = workdir / "nginx-temp"
    temp.mkdir()
    # Started as root, nginx runs its workers as `nobody`, who cannot enter pytest's private folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}daemon off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{http}
}}
"""


def start_nginx(workdir: Path, http: str) -> ManagedProcess:
    """Write the configuration, have ``nginx -t`` accept it, and start nginx (the caller waits for
    its port and stops it)."""
    conf = workdir / "nginx.conf"
    conf.write_text(main_config(workdir, http), encoding="utf-8")
    command = [NGINX, "-e", "stderr", "-p", str(workdir), "-c", str(conf)]
    tested = subprocess.run(
        [*command, "-t"], capture_output=True, text=True, check=False, timeout=30
    )
    assert tested.returncode == 0, tested.stderr
    return ManagedProcess(command, workdir / "nginx.log").start()
