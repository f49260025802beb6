#!/usr/bin/env bash
# pigw — add (or reset) one account of the production broker, with a fresh random password.
#
#   deploy/mqtt-account.sh PASSWD_FILE NAME CLIENT_PASSWORD_FILE
#
# NAME is a device id (the agent's --device-id, e.g. kitchen-pi) or a service account starting with
# "_" (_gateway, _homeassistant): mosquitto/acl.example grants rights by these names.
# Writes the new password, one line, to CLIENT_PASSWORD_FILE (mode 0600; the client reads it with
# --mqtt-password-file) and its salted PBKDF2-SHA512 hash to PASSWD_FILE (created if missing) with
# mosquitto_passwd. The password goes to mosquitto_passwd on stdin, never on a command line that
# `ps` would show. Afterwards: `systemctl reload mosquitto` (SIGHUP re-reads passwords and the ACL).
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $(sed -n '4p' "$0" | sed 's/^#  *//')" >&2
  exit 2
fi
passwd_file=$1
name=$2
client_file=$3

# Mosquitto substitutes the user name into the ACL's `pattern` lines: "+", "#" or "/" in it would
# widen what the account may touch, so only the contract's id alphabet is accepted.
if ! [[ $name =~ ^_?[a-z0-9][a-z0-9_-]{0,63}$ ]]; then
  echo "mqtt-account: '$name' is not a device id ([a-z0-9][a-z0-9_-]{0,63}) or a _service account" >&2
  exit 2
fi
command -v mosquitto_passwd >/dev/null 2>&1 || { echo "mqtt-account: mosquitto_passwd is needed (apt-get install mosquitto)" >&2; exit 1; }

umask 077
# 192 random bits, URL-safe so it survives copy and paste into any client's settings.
password=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
# Folders are made as needed (the client's private: mode 0700 under this umask). The client's copy
# is written first, next to its final place, and moved there only once the broker's file has the
# hash: a failure on either side never leaves a hash whose password is lost.
mkdir -p "$(dirname "$passwd_file")" "$(dirname "$client_file")"
pending=$(mktemp "$client_file.XXXXXX")
trap 'rm -f "$pending"' EXIT
printf '%s\n' "$password" >"$pending"
create=()
[ -f "$passwd_file" ] || create=(-c)
printf '%s\n%s\n' "$password" "$password" | mosquitto_passwd "${create[@]}" "$passwd_file" "$name" >/dev/null
mv "$pending" "$client_file"
echo "mqtt-account: $name added to $passwd_file; its password is in $client_file"
