#!/usr/bin/env bash
# Teachers of the native stack (scripts/local.sh): each acts in Moodle with
# their own web service token, kept encrypted in the stack's teacher registry
# (its own Redis on 127.0.0.1:REGISTRY_PORT, data and key in STATE_DIR).
#
#   scripts/teachers.sh add NAME [--token-file FILE | --moodle-username USER] [--read-only] [--courses 2,3] [--force] [--allow-admin]
#       enrol NAME (token checked with Moodle, stored encrypted), issue their
#       client certificate (scripts/certs.sh teacher NAME; FORCE=1 issues a new
#       one) and print their client configuration for Windows, macOS and Linux
#   scripts/teachers.sh revoke NAME
#       delete NAME and their token (the workers close their sessions within
#       seconds), revoke their certificates (certs.sh revoke NAME, which writes
#       crl.pem again) and load the new CRL into the running HAProxy (push-crl)
#   scripts/teachers.sh list | show NAME | set NAME ... | rotate NAME ...
#       the CLI's commands as they are (moodle-mcp-teachers --help)
#
# The CLI (services/mcp-worker/dist/teachersCli.js) gets the registry's
# password and key as files (REGISTRY_PASSWORD_FILE, REGISTRY_KEY_FILE), never
# on a command line, and MOODLE_URL from the environment or .env (the demo
# Moodle, moodle-sim on SIM_PORT, when unset). A token is read from the file,
# from standard input, or asked for without echo; nothing here prints one.
set -euo pipefail
# shellcheck source=scripts/local-lib.sh
. "$(dirname "$0")/local-lib.sh"
cd "$ROOT"

CLI=$ROOT/services/mcp-worker/dist/teachersCli.js
USAGE="usage: scripts/teachers.sh add NAME [options] | list [--json] | show NAME | set NAME [options] | rotate NAME [options] | revoke NAME
(options: node $CLI --help)"

fail() { printf 'teachers: %s\n' "$*" >&2; exit 1; }

# The CLI against this stack's registry and Moodle.
cli() {
  REGISTRY_URL=redis://127.0.0.1:$REGISTRY_PORT REGISTRY_KEY_FILE=$REGISTRY_KEY_FILE \
    REGISTRY_PASSWORD_FILE=$REGISTRY_PASSWORD_FILE MOODLE_URL=${MOODLE_URL:-http://127.0.0.1:$SIM_PORT} \
    node "$CLI" "$@"
}

# The registry must run, and its key must be the stack's: a new key made here
# would encrypt tokens that no worker can open.
check_registry() {
  port_busy "$REGISTRY_PORT" || fail "the teacher registry is not running on 127.0.0.1:$REGISTRY_PORT: start the stack with make local"
  [ -s "$REGISTRY_KEY_FILE" ] || fail "no registry key at $REGISTRY_KEY_FILE (the stack creates it at its first make local; STATE_DIR=$STATE_DIR)"
  [ -s "$REGISTRY_PASSWORD_FILE" ] || fail "no registry password at $REGISTRY_PASSWORD_FILE (the stack creates it at its first make local; STATE_DIR=$STATE_DIR)"
  [ -f "$CLI" ] || fail "$CLI is missing: build first (npm run build; make local builds too)"
}

client_config() {
  local name=$1 host port=$TLS_PORT
  host=$(vip)
  cat <<EOF

Client configuration for $name (TLS on $host:$port, client certificate CN=$name)
Copy these three files to $name's machine (the .key is secret: give it to $name alone):
  $CERT_DIR/ca.pem
  $CERT_DIR/clients/$name.crt
  $CERT_DIR/clients/$name.key
and add to the MCP client's configuration (Claude Desktop: Settings > Developer > Edit Config),
with the paths where the files are on that machine:

Windows (ncat.exe comes with Nmap, https://nmap.org/download.html; file %APPDATA%\\Claude\\claude_desktop_config.json):
  { "mcpServers": { "moodle": { "command": "C:\\\\Program Files (x86)\\\\Nmap\\\\ncat.exe", "args": ["--ssl", "--ssl-verify", "--ssl-trustfile", "C:\\\\Users\\\\$name\\\\moodle-mcp\\\\ca.pem", "--ssl-cert", "C:\\\\Users\\\\$name\\\\moodle-mcp\\\\$name.crt", "--ssl-key", "C:\\\\Users\\\\$name\\\\moodle-mcp\\\\$name.key", "$host", "$port"] } } }

macOS (ncat: brew install nmap, /usr/local/bin/ncat on Intel Macs; the built-in nc has no TLS; file ~/Library/Application Support/Claude/claude_desktop_config.json):
  { "mcpServers": { "moodle": { "command": "/opt/homebrew/bin/ncat", "args": ["--ssl", "--ssl-verify", "--ssl-trustfile", "/Users/$name/moodle-mcp/ca.pem", "--ssl-cert", "/Users/$name/moodle-mcp/$name.crt", "--ssl-key", "/Users/$name/moodle-mcp/$name.key", "$host", "$port"] } } }

Linux (ncat: sudo apt install ncat):
  { "mcpServers": { "moodle": { "command": "ncat", "args": ["--ssl", "--ssl-verify", "--ssl-trustfile", "/home/$name/moodle-mcp/ca.pem", "--ssl-cert", "/home/$name/moodle-mcp/$name.crt", "--ssl-key", "/home/$name/moodle-mcp/$name.key", "$host", "$port"] } } }

Test from a shell there: ncat --ssl --ssl-verify --ssl-trustfile ca.pem --ssl-cert $name.crt --ssl-key $name.key $host $port
EOF
  [ "$TLS" = 1 ] || printf '\nNote: TLS=0 here: the stack serves no TLS port until it runs with TLS=1 (the default).\n'
  [ "$HAPROXY_TLS_VERIFY" = required ] || printf '\nNote: HAPROXY_TLS_VERIFY=%s: connections without a certificate are let in too (required enforces them).\n' "$HAPROXY_TLS_VERIFY"
}

# certs STEP...: one scripts/certs.sh step; says which when it fails.
certs() {
  bash "$ROOT/scripts/certs.sh" "$@" || { printf 'teachers: scripts/certs.sh %s failed (exit %s)\n' "$*" "$?" >&2; return 1; }
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  add | revoke | list | show | set | rotate) ;;
  -h | --help | help) echo "$USAGE"; exit 0 ;;
  *) printf '%s\n' "$USAGE" >&2; exit 2 ;;
esac
load_settings teachers
name=${1:-}
if [ "$cmd" != list ] && { [ -z "$name" ] || [[ $name == -* ]]; }; then printf 'teachers: %s needs NAME first\n%s\n' "$cmd" "$USAGE" >&2; exit 2; fi
check_registry

case "$cmd" in
  add)
    cli add "$@"
    command -v openssl >/dev/null 2>&1 || fail "$name is enrolled, but openssl is missing for the certificate: apt-get install openssl, then scripts/certs.sh teacher $name"
    certs teacher "$name"
    client_config "$name"
    ;;
  revoke)
    # Both halves run even if one fails: whatever NAME still had is taken away.
    rc=0
    cli revoke "$name" || rc=$?
    [ "$rc" -ne 2 ] || exit 2
    if [ -e "$CERT_DIR/clients/$name.crt" ] || [ "$rc" -eq 0 ]; then
      { certs revoke "$name" && certs push-crl; } || rc=1
    else
      say "no certificate of $name in $CERT_DIR/clients: nothing to revoke there"
    fi
    exit "$rc"
    ;;
  *) cli "$cmd" "$@" ;;
esac
