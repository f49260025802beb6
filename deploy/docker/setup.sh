#!/usr/bin/env bash
# pigw — prepare what deploy/docker-compose.yml mounts: certificates, accounts, an operator token.
#
#   deploy/docker/setup.sh [DIR]        (DIR defaults to deploy/docker/local)
#
# DIR/broker   passwd, acl, ca.crt, server.crt, server.key  -> mosquitto:/etc/mosquitto/pigw
# DIR/gateway  mqtt-password, ca.crt, tokens                -> gateway:/run/pigw
# DIR/agent    mqtt-password, ca.crt                        -> agent:/run/pigw
# DIR/pki      the CA's key and the originals (never mounted)
# Needs openssl and mosquitto_passwd (apt-get install openssl mosquitto) on this machine.
# The containers run as their own users, so the mounted files are world-readable; DIR itself is
# private to you (mode 0700), which keeps other users of this machine out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(dirname "$here")
repo=$(dirname "$deploy")
out=${1:-$here/local}

if [ -e "$out" ]; then
  echo "setup: $out exists; remove it to start over (this makes new passwords and a new CA)" >&2
  exit 1
fi
umask 077
mkdir -p "$out"/broker "$out"/gateway "$out"/agent
chmod 0700 "$out"

# The broker's name on the compose network is "mosquitto"; localhost for tools on the host.
"$deploy/tls/make-certs.sh" "$out/pki" --server mosquitto --server localhost --server 127.0.0.1 >/dev/null
cp "$out/pki/ca.crt" "$out/pki/server.crt" "$out/pki/server.key" "$out/broker/"
cp "$repo/mosquitto/acl.example" "$out/broker/acl"
"$deploy/mqtt-account.sh" "$out/broker/passwd" _gateway "$out/gateway/mqtt-password" >/dev/null
"$deploy/mqtt-account.sh" "$out/broker/passwd" demo-pi "$out/agent/mqtt-password" >/dev/null
cp "$out/pki/ca.crt" "$out/gateway/"
cp "$out/pki/ca.crt" "$out/agent/"

# An operator token in the gateway's tokens file format (<name> <role> <sha256 hex of the token>),
# shaped like the ones `pigw-gateway token create` makes: pigw_ + 256 random bits, URL-safe.
token=pigw_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
printf 'admin operator %s\n' "$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)" >"$out/gateway/tokens"

chmod 0755 "$out"/broker "$out"/gateway "$out"/agent
chmod 0644 "$out"/broker/* "$out"/gateway/* "$out"/agent/*
echo "setup: done in $out"
echo "setup: operator token (shown once; log in to the dashboard with it): $token"
