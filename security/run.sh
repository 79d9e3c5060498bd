#!/usr/bin/env bash
# `make security`: an SQL-injection check with sqlmap against the running service, once on SQLite
# and once on a throwaway PostgreSQL 15 cluster (started like bench/run.sh's: Unix socket only,
# thrown away at exit). For each store it registers and logs in a user, then runs
# `sqlmap --batch --level=2` on every target of TARGETS whose route exists in /openapi.json, each
# bounded by SECURITY_TIMEOUT seconds, and prints one line per target: clean, FINDING (sqlmap
# identified an injection point), or timeout. Exits 1 when anything was found.
#
# Usage: security/run.sh <builddir>
# Environment: SECURITY_STORES (sqlite,postgres)  SECURITY_TIMEOUT (240)  SECURITY_TARGETS (names)
#   SECURITY_KEEP=1 keeps the temporary directory (server logs, sqlmap output)  PG_BIN
set -euo pipefail

# One line per target: "name|method|path|body|auth". In path and body, @SESSION@ is another
# session's id, @EMAIL@ the test user's email; sqlmap tests every query parameter, every JSON
# value of the body, and the places marked with * (path segments). auth: "token" sends the
# user's Bearer token. Routes not in /openapi.json are skipped, so targets for routes still to
# come can be listed ahead of them.
TARGETS=(
	"me|GET|/api/v1/me?fields=1||token"
	"sessions|GET|/api/v1/me/sessions||token"
	"session-id|DELETE|/api/v1/me/sessions/@SESSION@*||token"
	"login|POST|/api/v1/auth/login|{\"email\":\"@EMAIL@\",\"password\":\"wrong password 123\"}|"
	"login-username|POST|/api/v1/auth/login|{\"username\":\"sec_user\",\"password\":\"wrong password 123\"}|"
	"me-patch|PATCH|/api/v1/me|{\"firstName\":\"Ann\",\"lastName\":\"Lee\",\"username\":\"sec_user\"}|token"
	"register|POST|/api/v1/auth/register|{\"email\":\"new@example.com\",\"password\":\"a long enough pass 42\",\"firstName\":\"N\",\"username\":\"new_user\"}|"
	"forgot|POST|/api/v1/auth/password/forgot|{\"email\":\"@EMAIL@\"}|"
	"verify-link|GET|/api/v1/auth/verify-email?token=abcdef0123456789||"
	"refresh|POST|/api/v1/auth/refresh|{\"refreshToken\":\"abcdef0123456789abcdef0123456789abcdef01234\"}|"
	"contacts-list|GET|/api/v1/contacts?q=ann&sort=lastName&limit=10&tag=friends&includeTotal=true||token"
	"contacts-id|GET|/api/v1/contacts/1*||token"
	"contacts-create|POST|/api/v1/contacts|{\"firstName\":\"Ann\",\"lastName\":\"Lee\",\"email\":\"ann@example.com\",\"company\":\"ACME\",\"tags\":[\"friends\"]}|token"
	"tags|GET|/api/v1/tags?sort=name||token"
	"notes|GET|/api/v1/contacts/1/notes?sort=-createdAt&limit=10||token"
)

# Findings checked by hand and shown to be artefacts of validation, not of SQL: "target|parameter|
# why". Such a finding is reported but does not fail the run, and only while every technique
# sqlmap names for it is boolean-based blind (an oracle made of two different answers).
KNOWN_FALSE_POSITIVES=(
	"contacts-list|q|sqlmap's TRUE and FALSE payloads differ in their number of distinct search terms (at most 10, SPEC §17): 200 against 400 too_many. The terms are bound as one text-array parameter"
)

usage() { echo "usage: $0 <builddir>" >&2; exit 64; }
[ $# -eq 1 ] || usage
SEC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "$1" && pwd) || usage
CRM=$BUILD_DIR/crm
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
STORES=${SECURITY_STORES:-sqlite,postgres}
LIMIT=${SECURITY_TIMEOUT:-240}

die() { echo "security: $*" >&2; exit 1; }
log() { echo "security: $*" >&2; }

[ -x "$CRM" ] || die "$CRM not found; run make build"
command -v sqlmap >/dev/null || die "sqlmap not found (apt-get install sqlmap; scripts/deps.sh bench)"
command -v curl >/dev/null || die "curl not found"
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE PGOPTIONS REDIS_URL

TMP=$(mktemp -d "${TMPDIR:-/tmp}/crm-security.XXXXXX")
PGDATA=$TMP/pg
SOCK=$TMP/sock
SERVER_PID=
PG_STARTED=0
if [ "$(id -u)" = 0 ]; then
	as_pg() { runuser -u postgres -- "$@"; }
	chown postgres: "$TMP"
else
	as_pg() { "$@"; }
fi

stop_server() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID"
		for _ in $(seq 1 70); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
		kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID=
}
cleanup() {
	local rc=$?
	set +e
	stop_server
	if [ "$PG_STARTED" = 1 ]; then
		if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1; then
			pg_pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null)
			[ -n "$pg_pid" ] && kill -KILL "$pg_pid" 2>/dev/null
		fi
	fi
	if [ "${SECURITY_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_postgres() {
	[ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 not found in $PG_BIN"
	log "starting PostgreSQL in $TMP"
	as_pg mkdir -m 0700 "$PGDATA" "$SOCK"
	as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C --no-sync \
		>"$TMP/initdb.log" 2>&1 || die "initdb failed"
	as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<PGCONF
listen_addresses = ''
unix_socket_directories = '$SOCK'
fsync = off
synchronous_commit = off
PGCONF
	as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$TMP/postgres.log" -w -t 60 start >/dev/null ||
		die "PostgreSQL did not start"
	PG_STARTED=1
	psql -X -q -h "$SOCK" -U postgres -d postgres -c 'CREATE DATABASE security' >/dev/null
}

free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json_get() { /usr/bin/python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# start_server <store>: crm with limits high enough for sqlmap's thousands of requests.
start_server() {
	local store=$1
	PORT=$(free_port)
	BASE=http://127.0.0.1:$PORT
	local env=(PORT="$PORT" LISTEN_ADDRESS=127.0.0.1 DATA_DIR="$TMP/data-$store" CRM_ENV=development
		LOG_LEVEL=info ENV_FILE=/nonexistent REQUIRE_EMAIL_VERIFICATION=false
		RATE_LIMIT_ANON_MAX=100000000 RATE_LIMIT_MAX=100000000 RATE_LIMIT_AUTH_MAX=100000000
		LOGIN_MAX_FAILURES=100000000)
	[ "$store" = postgres ] && env+=(DATABASE_URL="postgresql://postgres@/security?host=$SOCK")
	env "${env[@]}" "$CRM" serve >"$TMP/serve-$store.log" 2>&1 &
	SERVER_PID=$!
	for i in $(seq 1 100); do
		curl -fsS -o /dev/null "$BASE/api/v1/health" 2>/dev/null && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$TMP/serve-$store.log" >&2; die "crm serve exited"; }
		sleep 0.2
	done
	die "crm serve ($store) not healthy"
}

# Registers and logs in the test user twice: TOKEN for requests, SESSION another session's id.
login_user() {
	EMAIL=sec-user@example.com
	local pw='security check password 2026'
	curl -fsS -o /dev/null -H 'Content-Type: application/json' \
		-d "{\"email\":\"$EMAIL\",\"password\":\"$pw\",\"firstName\":\"Sec\",\"username\":\"sec_user\"}" \
		"$BASE/api/v1/auth/register" || die "register failed"
	local body="{\"email\":\"$EMAIL\",\"password\":\"$pw\"}"
	curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "$body" "$BASE/api/v1/auth/login" ||
		die "login failed"
	TOKEN=$(curl -fsS -H 'Content-Type: application/json' -d "$body" "$BASE/api/v1/auth/login" |
		json_get 'd["data"]["accessToken"]') || die "login failed"
	SESSION=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/me/sessions" |
		json_get '[s["id"] for s in d["data"] if not s["current"]][0]') || die "no second session"
}

# The OpenAPI paths, one per line, with /api/v1 prefixed where it is not.
api_paths() {
	curl -fsS "$BASE/api/v1/openapi.json" | /usr/bin/python3 -c '
import json, sys
for p in json.load(sys.stdin)["paths"]:
    print(p if p.startswith("/api/v1") else "/api/v1" + p)'
}

route_exists() { # <path without query>
	local want=${1%%\?*}
	want=${want//\*/}
	while read -r p; do
		local re="^$(printf '%s' "$p" | sed -e 's/[.[\^$+?(){}|]/\\&/g' -e 's/\\{[^}]*\\}/[^\/]+/g')\$"
		[[ "$want" =~ $re ]] && return 0
	done <<<"$PATHS"
	return 1
}

selected() { [ -z "${SECURITY_TARGETS:-}" ] || [[ ",$SECURITY_TARGETS," == *",$1,"* ]]; }

RESULTS=()
FOUND=0
run_store() {
	local store=$1 dbms
	[ "$store" = postgres ] && { start_postgres; dbms=PostgreSQL; } || dbms=SQLite
	start_server "$store"
	login_user
	PATHS=$(api_paths)
	log "$store: server on $BASE, user $EMAIL, session $SESSION"
	for spec in "${TARGETS[@]}"; do
		IFS='|' read -r name method path body auth <<<"$spec"
		selected "$name" || continue
		path=${path//@SESSION@/$SESSION}
		body=${body//@EMAIL@/$EMAIL}
		if ! route_exists "$path"; then
			RESULTS+=("$store"$'\t'"$name"$'\t'"$method ${path%%\?*}"$'\t'"skipped (no such route yet)")
			continue
		fi
		local args=(-u "$BASE$path" --method "$method" --batch --level=2 --risk=1 --dbms="$dbms"
			--flush-session --output-dir="$TMP/sqlmap-$store" --disable-coloring --threads=4
			--time-sec=2 --ignore-code=400,401,403,404,405,409,415,429 --skip-waf
			-H "User-Agent: crm-security-check")
		[ -z "$body" ] || args+=(--data "$body" -H 'Content-Type: application/json')
		[ "$auth" != token ] || args+=(-H "Authorization: Bearer $TOKEN")
		local out=$TMP/sqlmap-$store-$name.log
		log "$store: sqlmap $name ($method $path)"
		local verdict rc=0
		timeout "$LIMIT" sqlmap "${args[@]}" >"$out" 2>&1 || rc=$?
		if grep -q 'identified the following injection point' "$out"; then
			verdict="FINDING (see $out)"
			local params known=""
			params=$(sed -n 's/^Parameter: \([^ ]*\) .*/\1/p' "$out" | sort -u | tr '\n' ' ')
			if ! grep -E '^ +Type: ' "$out" | grep -vq 'boolean-based blind'; then
				for fp in "${KNOWN_FALSE_POSITIVES[@]}"; do
					IFS='|' read -r fpt fpp why <<<"$fp"
					[ "$fpt" = "$name" ] && [ "$params" = "$fpp " ] && known=$why
				done
			fi
			if [ -n "$known" ]; then
				verdict="known false positive on $params: $known"
			else
				FOUND=1
			fi
		elif [ $rc = 124 ]; then
			verdict="timeout after ${LIMIT}s, nothing found until then"
		elif grep -qE 'do not appear to be injectable|not injectable' "$out"; then
			verdict="clean ($(grep -c 'testing ' "$out") tests)"
		else
			verdict="inconclusive (exit $rc): $(grep -E '\[(CRITICAL|ERROR)\]' "$out" | tail -n 1 | cut -c1-120)"
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || { verdict="$verdict; THE SERVER DIED"; FOUND=1; }
		RESULTS+=("$store"$'\t'"$name"$'\t'"$method ${path%%\?*}"$'\t'"$verdict")
	done
	# The server must have answered every probe without a 5xx.
	local errors
	errors=$(grep -c '"status":5' "$TMP/serve-$store.log" || true)
	RESULTS+=("$store"$'\t'"(server)"$'\t'"5xx answers logged"$'\t'"$errors")
	[ "$errors" = 0 ] || FOUND=1
	stop_server
}

IFS=',' read -r -a store_list <<<"$STORES"
for s in "${store_list[@]}"; do run_store "$s"; done

echo
echo "crm security: sqlmap $(sqlmap --version 2>/dev/null | head -n 1) --level=2, ${LIMIT}s per target"
printf '%s\n' "${RESULTS[@]}" | awk -F'\t' '{ printf "%-9s %-16s %-36s %s\n", $1, $2, $3, $4 }'
if [ $FOUND = 1 ]; then
	echo "security: FINDINGS above" >&2
	exit 1
fi
echo "security: no injection found"
