#!/usr/bin/env bash
# Install the system packages pigw needs, only where they are missing (Debian / Raspberry Pi OS).
#   scripts/ensure-system-deps.sh demo   -> mosquitto, Python venv support, Node.js for the dashboard
#   scripts/ensure-system-deps.sh test   -> the same plus Chromium for the browser tests and the
#                                           Mosquitto command-line clients (docs/consumers.md)
set -euo pipefail
purpose=${1:-demo}

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "$purpose" = test ]; then
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
  # tests/ecosystem runs the mosquitto_pub / mosquitto_rr lines of docs/consumers.md.
  command -v mosquitto_rr >/dev/null 2>&1 || need+=(mosquitto-clients)
  # Broker and deployment tests: mosquitto_passwd (ships with mosquitto), openssl for
  # deploy/tls/make-certs.sh, nginx to run deploy/nginx/pigw.conf in front of a streaming server.
  command -v mosquitto_passwd >/dev/null 2>&1 || need+=(mosquitto)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
  # systemd-analyze checks the units in deploy/systemd offline (no running systemd needed).
  command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
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
fi

# Vite 7 needs Node >= 20.19; Debian bookworm ships 18. Say so plainly rather than fail mid-build.
node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)' 2>/dev/null || echo 0)
if [ "$node_ok" != 1 ]; then
  echo "pigw: Node.js >= 20.19 is needed to build the dashboard (found $(node --version 2>/dev/null || echo none))." >&2
  echo "      Install a current Node.js (e.g. from nodesource.com or 'nvm'), then run make again." >&2
  exit 1
fi
