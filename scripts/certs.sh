#!/usr/bin/env bash
# Certificates of the TLS port (HAProxy on TLS_PORT, 3443), made with openssl:
#
#   scripts/certs.sh                  the CA, the server certificate and the CRL, when missing (make certs);
#                                     also renews a CRL within CRL_RENEW_DAYS of its nextUpdate
#   scripts/certs.sh teacher NAME     a client certificate for teacher NAME, CN=NAME (make certs TEACHER=NAME);
#                                     FORCE=1 issues a new one and revokes NAME's previous ones
#   scripts/certs.sh server           issue the server certificate again (after VIP or TLS_SERVER_NAMES change)
#   scripts/certs.sh revoke NAME      revoke every valid certificate of NAME and write crl.pem again
#   scripts/certs.sh crl              write crl.pem again (signed by the CA, valid CRL_DAYS)
#   scripts/certs.sh push-crl         load crl.pem into the running HAProxy (runtime API on
#                                     HAPROXY_SOCKET): in force for the next handshake, no reload
#
# Revoking a teacher is `revoke NAME` then `push-crl`. HAProxy checks client
# certificates against crl.pem (bind option crl-file, HAPROXY_TLS_CRL), and
# OpenSSL then demands a current CRL of the CA: once crl.pem is past its
# nextUpdate, HAProxy refuses EVERY client certificate. crl.pem is valid
# CRL_DAYS (365) days; every `ensure` (each `make local`, `make certs`)
# writes it again when fewer than CRL_RENEW_DAYS (30) days are left, and a
# running HAProxy takes the new one with `push-crl` (or at its next start).
# A stack that runs for months without either needs `scripts/certs.sh &&
# scripts/certs.sh push-crl` from a monthly cron job.
#
# Files in CERT_DIR (haproxy/certs; mode 700, git-ignored, never committed):
#   ca.pem, ca.key          the CA: signs the server's and the teachers' certificates, and the CRL
#   server.pem              HAProxy's certificate and key in one file (mode 600)
#   server.crt              the server certificate alone
#   clients/NAME.crt, .key  teacher NAME's certificate and key (mode 600)
#   index.txt               every client certificate issued: openssl's CA database
#                           (V valid / R revoked, expiry, revocation time, serial, subject)
#   crl.pem, crlnumber      the CRL (public) and its sequence number
# Keys are mode 600; certificates (public) 644. The server certificate names
# localhost, 127.0.0.1, ::1, this host's name and first address, VIP and
# every name or address in TLS_SERVER_NAMES (comma-separated), so that
# `ncat --ssl-verify` accepts it under any of them. Keys are EC P-256. No
# key is ever printed.
set -euo pipefail
# shellcheck source=scripts/local-lib.sh
. "$(dirname "$0")/local-lib.sh"
cd "$ROOT"

CA_DAYS=3650
SERVER_DAYS=825
CLIENT_DAYS=${CLIENT_CERT_DAYS:-365}
CRL_DAYS=${CRL_DAYS:-365}
CRL_RENEW_DAYS=${CRL_RENEW_DAYS:-30}
# load_settings points HAPROXY_SOCKET at the native runner's socket; a socket
# named by the caller (another HAProxy, e.g. compose's, mounted) wins.
caller_socket=${HAPROXY_SOCKET:-}

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
  # The database and the CRL belong to the CA they were kept for.
  rm -f "$CERT_DIR"/index.txt* "$CERT_DIR"/crlnumber* "$CERT_DIR/crl.pem"
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

# valid_name NAME: a teacher's name, which becomes a certificate's CN and a file name.
valid_name() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$ ]]; }

issue_teacher() {
  local name=${1:-}
  valid_name "$name" || die "usage: make certs TEACHER=NAME (NAME: 1-64 letters, digits, . _ @ -; it becomes the certificate's CN), got '$name'"
  mkdir -p "$CERT_DIR/clients"
  chmod 700 "$CERT_DIR/clients"
  local crt=$CERT_DIR/clients/$name.crt key=$CERT_DIR/clients/$name.key serial revoked
  if [ -s "$crt" ] && [ -z "${FORCE:-}" ] && [ "$(cert_status "$crt")" = V ]; then
    say "certs: $crt exists (FORCE=1 issues a new one and revokes it)"
  else
    # Written beside the old pair, then moved over it: a failure leaves the old one in place.
    new_key "$key.new"
    sign "/O=Moodle MCP stack/CN=$name" "$key.new" "$crt.new" "$CLIENT_DAYS" \
      "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
    record_issued "$crt.new"
    mv -f "$key.new" "$key"
    mv -f "$crt.new" "$crt"
    say "certs: client certificate for $name: $crt and $key (mode 600), valid $CLIENT_DAYS days"
    serial=$(cert_serial "$crt")
    revoked=$(revoke_valid "$name" "$serial")
    if [ "$revoked" -gt 0 ]; then
      write_crl
      say "certs: revoked $name's $revoked previous certificate(s) in crl.pem; scripts/certs.sh push-crl puts that in force in a running HAProxy"
    fi
  fi
  say "certs: copy ca.pem, $name.crt and $name.key to $name's machine; the client configuration there:"
  printf '  { "mcpServers": { "moodle": { "command": "ncat", "args": ["--ssl", "--ssl-verify", "--ssl-trustfile", "ca.pem", "--ssl-cert", "%s.crt", "--ssl-key", "%s.key", "%s", "%s"] } } }\n' \
    "$name" "$name" "$(vip)" "$TLS_PORT"
  say "(give the files' full paths; HAPROXY_TLS_VERIFY=required lets in only clients with such a certificate)"
}

# need_ca: revoking and CRLs need the CA that issued the certificates, never a new one.
need_ca() {
  if [ ! -s "$CERT_DIR/ca.pem" ] || [ ! -s "$CERT_DIR/ca.key" ]; then
    die "certs: no CA in $CERT_DIR (ca.pem, ca.key): scripts/certs.sh makes one"
  fi
}

# --- The record of client certificates (openssl's CA database, index.txt) ---
# One line per certificate, tab-separated: V|R, expiry, revocation time (R
# only), serial (hex), file (unknown), subject. Times are UTC, YYMMDDHHMMSSZ
# (YYYYMMDDHHMMSSZ from 2050 on, as X.509 has it).

# An awk condition: the line's subject ($6) has CN=NAME (-v suffix=/CN=NAME).
# shellcheck disable=SC2016 # awk's fields, not the shell's
HAS_CN='substr($6, length($6) - length(suffix) + 1) == suffix'

# asn1_time DATE: DATE (anything GNU date reads) in the database's format.
asn1_time() {
  local t
  t=$(date -u -d "$1" +%Y%m%d%H%M%SZ)
  if [ "${t:0:4}" -lt 2050 ]; then echo "${t:2}"; else echo "$t"; fi
}

cert_serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# cert_status CRT: V, R, or nothing (not in the database).
cert_status() {
  local serial
  serial=$(cert_serial "$1") || return 0
  awk -F'\t' -v s="$serial" '$4 == s { print $1; exit }' "$CERT_DIR/index.txt" 2>/dev/null || true
}

# record_issued CRT: adds CRT to the database (valid) unless it is there.
record_issued() {
  local crt=$1 serial expiry cn
  serial=$(cert_serial "$crt")
  touch "$CERT_DIR/index.txt"
  chmod 644 "$CERT_DIR/index.txt"
  awk -F'\t' -v s="$serial" '$4 == s { found = 1 } END { exit !found }' "$CERT_DIR/index.txt" && return 0
  expiry=$(asn1_time "$(openssl x509 -in "$crt" -noout -enddate | cut -d= -f2)")
  cn=$(openssl x509 -in "$crt" -noout -subject -nameopt RFC2253 | sed -n 's/.*CN=\([^,]*\).*/\1/p')
  printf 'V\t%s\t\t%s\tunknown\t/O=Moodle MCP stack/CN=%s\n' "$expiry" "$serial" "$cn" >>"$CERT_DIR/index.txt"
}

# Certificates issued before the database existed (clients/*.crt of this CA) join it.
record_existing() {
  local crt
  for crt in "$CERT_DIR"/clients/*.crt; do
    [ -s "$crt" ] || continue
    openssl verify -CAfile "$CERT_DIR/ca.pem" "$crt" >/dev/null 2>&1 || continue
    record_issued "$crt"
  done
}

# revoke_valid NAME [KEEP_SERIAL]: marks every valid certificate of CN=NAME
# but KEEP_SERIAL revoked (now); prints how many.
revoke_valid() {
  local name=$1 keep=${2:-} n tmp
  touch "$CERT_DIR/index.txt"
  n=$(awk -F'\t' -v suffix="/CN=$name" -v keep="$keep" "\$1 == \"V\" && \$4 != keep && $HAS_CN { n++ } END { print n + 0 }" "$CERT_DIR/index.txt")
  if [ "$n" -gt 0 ]; then
    tmp=$(mktemp "$CERT_DIR/index.txt.XXXXXX")
    awk -F'\t' -v OFS='\t' -v suffix="/CN=$name" -v keep="$keep" -v now="$(asn1_time now)" \
      "\$1 == \"V\" && \$4 != keep && $HAS_CN { \$1 = \"R\"; \$3 = now } { print }" "$CERT_DIR/index.txt" >"$tmp"
    chmod 644 "$tmp"
    mv -f "$tmp" "$CERT_DIR/index.txt"
  fi
  echo "$n"
}

# --- The CRL ---

# write_crl: crl.pem from the database, signed by the CA, valid CRL_DAYS.
# Revoked certificates that have expired are left out (OpenSSL refuses them
# anyway), so the CRL stays small: HAProxy's runtime API takes it in one
# buffer (tune.bufsize, 16 kB: some 300 entries).
write_crl() {
  local dir out listed
  dir=$(mktemp -d)
  touch "$CERT_DIR/index.txt"
  [ -s "$CERT_DIR/crlnumber" ] || echo 01 >"$CERT_DIR/crlnumber"
  awk -F'\t' -v now="$(date -u +%Y%m%d%H%M%S)" '
    function full(t) { return length(t) == 13 ? (substr(t, 1, 2) < 50 ? "20" : "19") substr(t, 1, 12) : substr(t, 1, 14) }
    $1 == "R" && full($2) > now' "$CERT_DIR/index.txt" >"$dir/index.txt"
  printf '%s\n' '[ca]' 'default_ca = crl' '[crl]' "database = $dir/index.txt" "crlnumber = $CERT_DIR/crlnumber" \
    'default_md = sha256' >"$dir/openssl.cnf"
  if ! out=$(openssl ca -gencrl -batch -config "$dir/openssl.cnf" -cert "$CERT_DIR/ca.pem" -keyfile "$CERT_DIR/ca.key" \
    -crldays "$CRL_DAYS" -out "$dir/crl.pem" 2>&1); then
    rm -rf "$dir"
    die "certs: openssl could not write the CRL: $out"
  fi
  chmod 644 "$dir/crl.pem"
  mv -f "$dir/crl.pem" "$CERT_DIR/crl.pem"
  listed=$(wc -l <"$dir/index.txt")
  rm -rf "$dir"
  say "certs: CRL $CERT_DIR/crl.pem: $listed revoked certificate(s) listed, valid $CRL_DAYS days (until $(crl_next_update))"
}

crl_next_update() { openssl crl -in "$CERT_DIR/crl.pem" -noout -nextupdate | cut -d= -f2; }

# ensure_crl: a CRL of this CA with more than CRL_RENEW_DAYS left, else a new one.
ensure_crl() {
  local crl=$CERT_DIR/crl.pem next
  if [ -s "$crl" ] && openssl crl -in "$crl" -CAfile "$CERT_DIR/ca.pem" -noout 2>/dev/null; then
    next=$(date -u -d "$(crl_next_update)" +%s)
    [ "$next" -gt $(($(date -u +%s) + CRL_RENEW_DAYS * 86400)) ] && return 0
    say "certs: $crl expires $(crl_next_update) (within CRL_RENEW_DAYS=$CRL_RENEW_DAYS days): renewing it"
  fi
  write_crl
}

revoke_teacher() {
  local name=${1:-} n
  valid_name "$name" || die "usage: scripts/certs.sh revoke NAME (the teacher's certificate CN), got '$name'"
  record_existing
  if ! awk -F'\t' -v suffix="/CN=$name" "$HAS_CN { found = 1 } END { exit !found }" "$CERT_DIR/index.txt"; then
    die "certs: no certificate was issued to '$name' in $CERT_DIR (teachers: $(awk -F'\t' '{ sub(/.*\/CN=/, "", $6); print $6 }' "$CERT_DIR/index.txt" | sort -u | paste -sd' ' -))"
  fi
  n=$(revoke_valid "$name")
  if [ "$n" -eq 0 ]; then
    say "certs: $name has no valid certificate (all revoked already)"
  else
    say "certs: revoked $n certificate(s) of $name"
  fi
  write_crl
  say "certs: in force once HAProxy has the new CRL: scripts/certs.sh push-crl (running HAProxy, no reload), or at its next start"
}

# push_crl: crl.pem into the running HAProxy through its runtime API (hx,
# ncat -U as the runner's): "set ssl crl-file NAME <<" with the PEM as the
# payload (ended by an empty line), then "commit ssl crl-file NAME". NAME is
# the crl-file as HAProxy knows it: HAPROXY_TLS_CRL or CERT_DIR/crl.pem when
# HAProxy lists one of them, else the only CRL file it lists (compose: the
# container's path).
push_crl() {
  local crl=$CERT_DIR/crl.pem files name="" f out pem
  command -v ncat >/dev/null 2>&1 || die "certs: ncat is missing (it speaks to HAProxy's runtime API): apt-get install ncat"
  [ -s "$crl" ] || die "certs: no $crl: scripts/certs.sh crl writes it"
  openssl crl -in "$crl" -CAfile "$CERT_DIR/ca.pem" -noout 2>/dev/null || die "certs: $crl is not a CRL signed by $CERT_DIR/ca.pem"
  [ -S "$HAPROXY_SOCKET" ] || die "certs: no HAProxy runtime API socket at $HAPROXY_SOCKET (HAPROXY_SOCKET): is HAProxy running? It reads $crl when it starts"
  files=$(hx "show ssl crl-file") || die "certs: HAProxy did not answer on $HAPROXY_SOCKET"
  files=$(grep -v -e '^#' -e '^$' <<<"$files" || true)
  for f in "${HAPROXY_TLS_CRL:-}" "$crl"; do
    if [ -n "$f" ] && grep -qxF "$f" <<<"$files"; then name=$f && break; fi
  done
  if [ -z "$name" ] && [ -n "$files" ] && [ "$(wc -l <<<"$files")" -eq 1 ]; then name=$files; fi
  [ -n "$name" ] || die "certs: HAProxy uses no CRL file$([ -n "$files" ] && echo " named $crl (it has: $(paste -sd' ' - <<<"$files"))"): it must have started with HAPROXY_TLS_CRL set (crl-file on the TLS bind)"
  # The payload ends at the first empty line: a PEM has none, but strip any.
  pem=$(grep -v '^[[:space:]]*$' "$crl")
  [ "${#pem}" -lt 15000 ] || die "certs: $crl is ${#pem} bytes, more than HAProxy's runtime API takes at once (tune.bufsize): restart HAProxy to load it"
  out=$(hx "set ssl crl-file $name <<"$'\n'"$pem"$'\n') || true
  if ! grep -qi '^transaction \(created\|updated\)' <<<"$out"; then
    hx "abort ssl crl-file $name" >/dev/null || true
    die "certs: HAProxy refused the CRL (set ssl crl-file $name): ${out:-no answer}"
  fi
  out=$(hx "commit ssl crl-file $name") || true
  if ! grep -q 'Success!' <<<"$out"; then
    hx "abort ssl crl-file $name" >/dev/null || true
    die "certs: HAProxy refused the CRL (commit ssl crl-file $name): ${out:-no answer}"
  fi
  say "certs: HAProxy ($HAPROXY_SOCKET) now checks client certificates against $crl (crl-file $name; valid until $(crl_next_update))"
}

command -v openssl >/dev/null 2>&1 || die "openssl is missing: apt-get install openssl (or run make local, which installs it)"
cmd=${1:-ensure}
[ $# -gt 0 ] && shift
load_settings certs
HAPROXY_SOCKET=${caller_socket:-$HAPROXY_SOCKET}
for v in CRL_DAYS CRL_RENEW_DAYS; do [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number of days, got '${!v}'"; done
[ "$CRL_DAYS" -gt "$CRL_RENEW_DAYS" ] || die "CRL_DAYS ($CRL_DAYS) must be more than CRL_RENEW_DAYS ($CRL_RENEW_DAYS), or every run renews the CRL"
mkdir -p "$CERT_DIR"
chmod 700 "$CERT_DIR"
# One run at a time changes the database and the CRL.
exec 8>"$CERT_DIR/.lock"
flock -w 30 8 || die "certs: another scripts/certs.sh holds $CERT_DIR/.lock"
case "$cmd" in
  ensure) ensure_ca && ensure_server && record_existing && ensure_crl ;;
  server) ensure_ca && issue_server ;;
  teacher) ensure_ca && ensure_server && record_existing && ensure_crl && issue_teacher "$@" ;;
  revoke) need_ca && revoke_teacher "$@" ;;
  crl) need_ca && record_existing && write_crl ;;
  push-crl) push_crl ;;
  *) die "usage: scripts/certs.sh [ensure | server | teacher NAME | revoke NAME | crl | push-crl]" ;;
esac
