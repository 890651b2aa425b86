#!/usr/bin/env bash
# Certificates of the TLS port (HAProxy on TLS_PORT, 3443), made with openssl:
#
#   scripts/certs.sh                  the CA and the server certificate, when missing (make certs)
#   scripts/certs.sh teacher NAME     a client certificate for teacher NAME, CN=NAME (make certs TEACHER=NAME)
#   scripts/certs.sh server           issue the server certificate again (after VIP or TLS_SERVER_NAMES change)
#
# Files in CERT_DIR (haproxy/certs; mode 700, git-ignored, never committed):
#   ca.pem, ca.key          the CA: signs the server's and the teachers' certificates
#   server.pem              HAProxy's certificate and key in one file (mode 600)
#   server.crt              the server certificate alone
#   clients/NAME.crt, .key  teacher NAME's certificate and key (mode 600)
# Keys are mode 600; certificates (public) 644. The server certificate names
# localhost, 127.0.0.1, ::1, this host's name and first address, VIP and
# every name or address in TLS_SERVER_NAMES (comma-separated), so that
# `ncat --ssl-verify` accepts it under any of them. Keys are EC P-256.
set -euo pipefail
# shellcheck source=scripts/local-lib.sh
. "$(dirname "$0")/local-lib.sh"
cd "$ROOT"

CA_DAYS=3650
SERVER_DAYS=825
CLIENT_DAYS=${CLIENT_CERT_DAYS:-365}

# new_key FILE: an EC P-256 private key, mode 600 from the start.
new_key() {
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null)
}

# sign CSR_SUBJECT KEY OUT DAYS EXTENSIONS: a certificate for KEY signed by the CA.
sign() {
  local subject=$1 key=$2 out=$3 days=$4 ext=$5 extfile
  extfile=$(mktemp)
  printf '%s\n' "$ext" >"$extfile"
  openssl req -new -key "$key" -subj "$subject" 2>/dev/null |
    openssl x509 -req -CA "$CERT_DIR/ca.pem" -CAkey "$CERT_DIR/ca.key" -set_serial "0x$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
      -days "$days" -sha256 -extfile "$extfile" -out "$out" 2>/dev/null
  rm -f "$extfile"
  chmod 644 "$out"
}

ensure_ca() {
  [ -s "$CERT_DIR/ca.pem" ] && [ -s "$CERT_DIR/ca.key" ] && return 0
  local cfg
  cfg=$(mktemp)
  printf '%s\n' '[req]' 'distinguished_name = dn' '[dn]' '[v3]' \
    'basicConstraints = critical,CA:TRUE,pathlen:0' 'keyUsage = critical,keyCertSign,cRLSign' 'subjectKeyIdentifier = hash' >"$cfg"
  new_key "$CERT_DIR/ca.key"
  openssl req -x509 -new -key "$CERT_DIR/ca.key" -subj "/O=Moodle MCP stack/CN=Moodle MCP stack CA ($(hostname -s 2>/dev/null || echo local))" \
    -days "$CA_DAYS" -sha256 -config "$cfg" -extensions v3 -out "$CERT_DIR/ca.pem"
  rm -f "$cfg"
  chmod 644 "$CERT_DIR/ca.pem"
  say "certs: new CA $CERT_DIR/ca.pem (the teachers' machines trust it; its key ca.key stays here)"
}

# The server certificate's subjectAltName: every name a client may dial.
server_names() {
  local names=(localhost "$(hostname 2>/dev/null || true)" "$(hostname -f 2>/dev/null || true)") ips=(127.0.0.1 ::1) n out=()
  names+=("$(vip)" "$(hostname -I 2>/dev/null | awk '{print $1}')")
  IFS=, read -r -a extra <<<"${TLS_SERVER_NAMES:-}"
  names+=("${extra[@]}")
  for n in "${names[@]}"; do
    n=${n// /}
    [ -n "$n" ] || continue
    if [[ $n =~ ^[0-9.]+$ || $n == *:* ]]; then ips+=("$n"); else out+=("DNS:$n"); fi
  done
  # ncat --ssl-verify (7.93) matches the address it dialled against DNS names
  # only, so each IPv4 address is named both ways.
  for n in "${ips[@]}"; do
    out+=("IP:$n")
    [[ $n == *:* ]] || out+=("DNS:$n")
  done
  printf '%s\n' "${out[@]}" | awk '!seen[$0]++' | paste -sd, -
}

issue_server() {
  local sans
  sans=$(server_names)
  new_key "$CERT_DIR/server.key"
  sign "/O=Moodle MCP stack/CN=$(vip)" "$CERT_DIR/server.key" "$CERT_DIR/server.crt" "$SERVER_DAYS" \
    "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$sans"
  # HAProxy wants the certificate and its key in one file.
  (umask 077 && cat "$CERT_DIR/server.crt" "$CERT_DIR/server.key" >"$CERT_DIR/server.pem")
  rm -f "$CERT_DIR/server.key"
  say "certs: server certificate $CERT_DIR/server.pem for $sans"
}

ensure_server() {
  [ -s "$CERT_DIR/server.pem" ] || issue_server
}

issue_teacher() {
  local name=${1:-}
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$ ]] || die "usage: make certs TEACHER=NAME (NAME: 1-64 letters, digits, . _ @ -; it becomes the certificate's CN), got '$name'"
  mkdir -p "$CERT_DIR/clients"
  chmod 700 "$CERT_DIR/clients"
  local crt=$CERT_DIR/clients/$name.crt key=$CERT_DIR/clients/$name.key
  if [ -s "$crt" ] && [ -z "${FORCE:-}" ]; then
    say "certs: $crt exists (FORCE=1 issues a new one)"
  else
    new_key "$key"
    sign "/O=Moodle MCP stack/CN=$name" "$key" "$crt" "$CLIENT_DAYS" \
      "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
    say "certs: client certificate for $name: $crt and $key (mode 600), valid $CLIENT_DAYS days"
  fi
  say "certs: copy ca.pem, $name.crt and $name.key to $name's machine; the client configuration there:"
  printf '  { "mcpServers": { "moodle": { "command": "ncat", "args": ["--ssl", "--ssl-verify", "--ssl-trustfile", "ca.pem", "--ssl-cert", "%s.crt", "--ssl-key", "%s.key", "%s", "%s"] } } }\n' \
    "$name" "$name" "$(vip)" "$TLS_PORT"
  say "(give the files' full paths; HAPROXY_TLS_VERIFY=required lets in only clients with such a certificate)"
}

command -v openssl >/dev/null 2>&1 || die "openssl is missing: apt-get install openssl (or run make local, which installs it)"
cmd=${1:-ensure}
[ $# -gt 0 ] && shift
load_settings certs
mkdir -p "$CERT_DIR"
chmod 700 "$CERT_DIR"
case "$cmd" in
  ensure) ensure_ca && ensure_server ;;
  server) ensure_ca && issue_server ;;
  teacher) ensure_ca && ensure_server && issue_teacher "$@" ;;
  *) die "usage: scripts/certs.sh [ensure | server | teacher NAME]" ;;
esac
