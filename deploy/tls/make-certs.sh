#!/usr/bin/env bash
# pigw — a private certificate authority for the broker's TLS listener, with the openssl CLI.
#
#   deploy/tls/make-certs.sh DIR --server NAME [--server NAME]... [--client NAME]... [--days N]
#
# Creates in DIR (keys readable by the owner only):
#   ca.key, ca.crt                 the CA (made once; kept and reused when DIR already has one)
#   server.key, server.crt         for Mosquitto; every --server NAME is a subjectAltName
#                                  (an IPv4/IPv6 address becomes IP:, anything else DNS:)
#   client-NAME.key/.crt           for mutual TLS (CN=NAME: the device id, or _gateway, ...). With
#                                  use_identity_as_username (production.conf) the CN IS the MQTT
#                                  account, so NAME must be exactly the account's name; optional
#
# Give every name clients use to reach the broker, e.g.
#   deploy/tls/make-certs.sh ./pki --server broker.lan --server 192.168.1.10 --client kitchen-pi
# Clients verify the broker with ca.crt (--mqtt-ca-file). Keep ca.key offline once the certificates
# you need are made: whoever holds it can impersonate the broker. docs/security.md has the details.
# EC P-256 keys: fast on a Pi, accepted by Mosquitto, OpenSSL 1.1.1+ and every current client.
set -euo pipefail

usage() { echo "usage: $(sed -n '4p' "$0" | sed 's/^#  *//')" >&2; exit 2; }

[ $# -ge 1 ] || usage
dir=$1
shift
servers=()
clients=()
days=825 # the longest validity Apple and browsers still accept for a server certificate
while [ $# -gt 0 ]; do
  case $1 in
    --server) [ $# -ge 2 ] || usage; servers+=("$2"); shift 2 ;;
    --client) [ $# -ge 2 ] || usage; clients+=("$2"); shift 2 ;;
    --days) [ $# -ge 2 ] || usage; days=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ ${#servers[@]} -gt 0 ] || [ ${#clients[@]} -gt 0 ] || usage

command -v openssl >/dev/null 2>&1 || { echo "make-certs: the openssl command is needed (apt-get install openssl)" >&2; exit 1; }
umask 077
mkdir -p "$dir"
ext=$(mktemp)
trap 'rm -f "$ext" "$dir"/*.csr "$dir"/ca.srl' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# sign NAME CN EXTENSIONS: a key and a certificate signed by the CA (strict-X.509 clean: SKI + AKI).
sign() {
  local name=$1 cn=$2
  shift 2
  newkey "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "/CN=$cn" -out "$dir/$name.csr"
  {
    echo "basicConstraints = critical, CA:FALSE"
    echo "subjectKeyIdentifier = hash"
    echo "authorityKeyIdentifier = keyid, issuer"
    printf '%s\n' "$@"
  } >"$ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days "$days" -sha256 -extfile "$ext" -out "$dir/$name.crt" 2>/dev/null
  echo "make-certs: $dir/$name.crt (CN=$cn)"
}

if [ ! -f "$dir/ca.key" ] || [ ! -f "$dir/ca.crt" ]; then
  newkey "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -subj "/CN=pigw broker CA" \
    -addext "basicConstraints = critical, CA:TRUE, pathlen:0" \
    -addext "keyUsage = critical, keyCertSign, cRLSign" \
    -addext "subjectKeyIdentifier = hash" \
    -out "$dir/ca.crt"
  echo "make-certs: $dir/ca.crt (new CA)"
fi

if [ ${#servers[@]} -gt 0 ]; then
  sans=()
  for name in "${servers[@]}"; do
    if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then sans+=("IP:$name"); else sans+=("DNS:$name"); fi
  done
  sign server "${servers[0]}" \
    "keyUsage = critical, digitalSignature" \
    "extendedKeyUsage = serverAuth" \
    "subjectAltName = $(IFS=,; echo "${sans[*]}")"
fi

for name in "${clients[@]}"; do
  # The CN may become the MQTT user name (use_identity_as_username), which the ACL's %u substitutes.
  if [[ ! $name =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]]; then
    echo "make-certs: client name $name: use the account's name (letters, digits, _ . -)" >&2
    exit 2
  fi
  sign "client-$name" "$name" "keyUsage = critical, digitalSignature" "extendedKeyUsage = clientAuth"
done

# The certificates are public; only the keys stay private.
chmod 0644 "$dir"/*.crt
