#!/usr/bin/env bash
# The benchmark behind `make bench`: a throwaway PostgreSQL 15 cluster, the schema from
# `crm migrate`, 1,000 users and 100,000 contacts from bench/generate.sql, then `crm serve`
# under wrk, one run per route in ROUTES. Prints one table and writes bench/results/latest.json.
# See bench/README.md for what the numbers mean.
#
# Usage: bench/run.sh <builddir>
# Environment (all optional):
#   BENCH_DURATION (10s)  BENCH_WARMUP (2s, 0 to skip)  BENCH_THREADS (2)  BENCH_CONNECTIONS (64)
#   BENCH_ROUTES   comma-separated route names to run (default: all)
#   BENCH_USERS (1000)  BENCH_CONTACTS (100000)
#   BENCH_KEEP=1   keep the temporary directory (logs, cluster) for inspection
#   PG_BIN (/usr/lib/postgresql/15/bin)
set -euo pipefail

# One line per benchmarked route: "name|method|path|lua-script-or-empty[|connections]" (the
# connection count defaults to BENCH_CONNECTIONS; login uses fewer, since every request waits
# for one of PASSWORD_HASH_CONCURRENCY Argon2id slots). The lua script is a
# file in bench/wrk/ (request body, headers, ...); bench/wrk/report.lua is appended to it, so it
# must not define done(). Add a route by adding a line.
ROUTES=(
	"health|GET|/api/v1/health|"
	"ready|GET|/api/v1/ready|"
	"me|GET|/api/v1/me|bearer.lua"
	"login|POST|/api/v1/auth/login|login.lua|8"
	"interactions_create|POST|/api/v1/interactions|interactions.lua"
	"contact_get|GET|/api/v1/contacts/{contactId}|bearer.lua"
	"contacts_search|GET|/api/v1/contacts?q=ann|bearer.lua"
	"contacts_create|POST|/api/v1/contacts|contacts_create.lua"
)

usage() { echo "usage: $0 <builddir>" >&2; exit 64; }
[ $# -eq 1 ] || usage
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$(cd "$1" && pwd) || usage
CRM=$BUILD_DIR/crm
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
N_USERS=${BENCH_USERS:-1000}
N_CONTACTS=${BENCH_CONTACTS:-100000}
RESULTS_DIR=$BENCH_DIR/results

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

[ -x "$CRM" ] || die "$CRM not found; run make build"
[ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 not found in $PG_BIN (apt-get install postgresql)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"

# libpq must see only what we pass.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE PGOPTIONS \
	PGSSLMODE REDIS_URL

TMP=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench.XXXXXX")
PGDATA=$TMP/pg
SOCK=$TMP/sock
SERVER_PID=
PG_STARTED=0

# As root, PostgreSQL runs as the postgres user; otherwise as the caller.
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || die "no postgres user (apt-get install postgresql)"
	as_pg() { runuser -u postgres -- "$@"; }
	chown postgres: "$TMP"
else
	as_pg() { "$@"; }
fi

cleanup() {
	local rc=$?
	set +e
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID"
		for _ in $(seq 1 70); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
		kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
		wait "$SERVER_PID" 2>/dev/null
	fi
	if [ "$PG_STARTED" = 1 ]; then
		# Stop this cluster by its data directory; if pg_ctl fails, by the PID it recorded.
		if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1; then
			pg_pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null)
			[ -n "$pg_pid" ] && kill -KILL "$pg_pid" 2>/dev/null
		fi
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Shows the tail of a log file when a step fails.
show_log() { [ -f "$1" ] && tail -n 40 "$1" >&2; return 0; }

# --- PostgreSQL -----------------------------------------------------------------------------
log "starting PostgreSQL in $TMP"
as_pg mkdir -m 0700 "$PGDATA" "$SOCK"
as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C --no-sync \
	>"$TMP/initdb.log" 2>&1 || { show_log "$TMP/initdb.log"; die "initdb failed"; }
as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF
# bench/run.sh: Unix socket only, durability off (the cluster is thrown away).
listen_addresses = ''
unix_socket_directories = '$SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
max_wal_size = 4GB
max_connections = 200
EOF
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$TMP/postgres.log" -w -t 60 start >/dev/null ||
	{ show_log "$TMP/postgres.log"; die "PostgreSQL did not start"; }
PG_STARTED=1

psql_bench() { psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -U postgres "$@"; }
psql_bench -d postgres -c 'CREATE DATABASE bench' >/dev/null

export DATABASE_URL="postgresql://postgres@/bench?host=$SOCK"
export DATA_DIR=$TMP/data
export CRM_ENV=development LOG_LEVEL=warn ENV_FILE=/nonexistent

log "crm migrate"
"$CRM" migrate >"$TMP/migrate.log" 2>&1 || { show_log "$TMP/migrate.log"; die "crm migrate failed"; }

log "generating $N_USERS users and $N_CONTACTS contacts"
t0=$(date +%s.%N)
psql_bench -d bench -v users="$N_USERS" -v contacts="$N_CONTACTS" -f "$BENCH_DIR/generate.sql" \
	>"$TMP/generate.log" 2>&1 || { show_log "$TMP/generate.log"; die "bench/generate.sql failed"; }
GEN_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "data generated in ${GEN_SECONDS}s"

# --- the server -----------------------------------------------------------------------------
PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
# Budgets far above what a run sends: every wrk connection comes from one address and one user,
# and the bench measures serving, not refusing (the limiter still checks every request).
PORT=$PORT LISTEN_ADDRESS=127.0.0.1 RATE_LIMIT_ANON_MAX=1000000000 RATE_LIMIT_MAX=1000000000 \
	RATE_LIMIT_MAX_PREMIUM=1000000000 RATE_LIMIT_AUTH_MAX=1000000000 FREE_CONTACT_LIMIT=100000 \
	"$CRM" serve >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
log "crm serve (pid $SERVER_PID) on $BASE"
for i in $(seq 1 100); do
	curl -fsS -o /dev/null "$BASE/api/v1/health" 2>/dev/null && break
	kill -0 "$SERVER_PID" 2>/dev/null || { show_log "$TMP/serve.log"; die "crm serve exited"; }
	[ "$i" = 100 ] && { show_log "$TMP/serve.log"; die "crm serve not healthy after 20 s"; }
	sleep 0.2
done

# --- the benchmark account: registered through the API, verified in the store, logged in ---
BENCH_EMAIL=bench-login@bench.example
BENCH_PASSWORD='bench password for wrk 2026'
export BENCH_EMAIL BENCH_PASSWORD
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
	-d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\",\"firstName\":\"Bench\"}" \
	"$BASE/api/v1/auth/register" || die "registering the bench account failed"
psql_bench -d bench -c "UPDATE users SET email_verified = true WHERE email_key = '$BENCH_EMAIL'" >/dev/null
# The login route spreads over LOGIN_USERS generated users given the bench account's password
# hash: one identifier may log in only 100 times an hour (SPEC §4, login-identifier).
LOGIN_USERS=$(( N_USERS < 200 ? N_USERS : 200 ))
export LOGIN_USERS
psql_bench -d bench -c "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email_key = '$BENCH_EMAIL') WHERE email_key IN (SELECT 'user' || n || '@bench.example' FROM generate_series(1, $LOGIN_USERS) n)" >/dev/null
BENCH_TOKEN=$(curl -fsS -H 'Content-Type: application/json' \
	-d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}" "$BASE/api/v1/auth/login" |
	/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["accessToken"])') ||
	die "logging in the bench account failed"
export BENCH_TOKEN

# The contact routes use the bench account's own contacts: 100 created through the API (so they
# carry search words; 30 match q=ann), the first one exported as BENCH_CONTACT_ID ({contactId} in
# a ROUTES path). POST /contacts adds thousands more, so the FREE plan limit is lifted at serve.
BENCH_NAMES=(Ann Anna Annabel Ben Cara Dan Eve Finn Gail Hugo)
for i in $(seq 0 99); do
	out=$(curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $BENCH_TOKEN" \
		-d "{\"firstName\":\"${BENCH_NAMES[i % 10]}\",\"lastName\":\"Bench $i\",\"company\":\"Company $((i % 7))\",\"phone\":\"+1 415 555 $(printf %04d "$i")\",\"tags\":[\"bench\"]}" \
		"$BASE/api/v1/contacts") || die "creating the bench contacts failed"
	[ -n "${BENCH_CONTACT_ID:-}" ] ||
		BENCH_CONTACT_ID=$(/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["id"])' <<<"$out")
done
export BENCH_CONTACT_ID

# Prints "<VmHWM kB> <VmRSS kB>" of the server.
rss_kb() { awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } END { print h + 0, r + 0 }' "/proc/$SERVER_PID/status"; }

# --- the routes -----------------------------------------------------------------------------
selected() { [ -z "${BENCH_ROUTES:-}" ] || [[ ",$BENCH_ROUTES," == *",$1,"* ]]; }

ROWS=()  # table rows, tab-separated
JSON=()  # one JSON object per route
for spec in "${ROUTES[@]}"; do
	IFS='|' read -r name method path lua conns <<<"$spec"
	path=${path//\{contactId\}/${BENCH_CONTACT_ID:-0}}
	conns=${conns:-$CONNECTIONS}
	selected "$name" || continue
	script=$TMP/$name.lua
	{
		printf 'wrk.method = "%s"\n' "$method"
		[ -z "$lua" ] || cat "$BENCH_DIR/wrk/$lua"
		cat "$BENCH_DIR/wrk/report.lua"
	} >"$script"
	# The route must answer before it is measured.
	code=$(curl -s -o /dev/null -w '%{http_code}' -X "$method" "$BASE$path" || true)
	[ "$method" != GET ] || [[ "$code" == 2* ]] || log "warning: $method $path answers $code before the run"
	if [ "$WARMUP" != 0 ]; then
		wrk -t"$THREADS" -c"$conns" -d"$WARMUP" -s "$script" "$BASE$path" >/dev/null 2>&1 || true
	fi
	log "wrk $method $path for $DURATION"
	wrk -t"$THREADS" -c"$conns" -d"$DURATION" --latency -s "$script" "$BASE$path" \
		>"$TMP/$name.wrk" 2>&1 || { cat "$TMP/$name.wrk" >&2; die "wrk failed on $path"; }
	line=$(grep '^BENCH_RESULT ' "$TMP/$name.wrk" | tail -n 1) ||
		{ cat "$TMP/$name.wrk" >&2; die "no result line from wrk on $path"; }
	kill -0 "$SERVER_PID" 2>/dev/null || { show_log "$TMP/serve.log"; die "crm serve died during $path"; }
	read -r hwm rss <<<"$(rss_kb)"
	declare -A r=()
	for kv in ${line#BENCH_RESULT }; do r[${kv%%=*}]=${kv#*=}; done
	errors=$((r[connect] + r[read] + r[write] + r[timeout] + r[status]))
	rps=$(awk -v n="${r[requests]}" -v us="${r[duration_us]}" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
	p50=$(awk -v us="${r[p50_us]}" 'BEGIN { printf "%.3f", us / 1000 }')
	p99=$(awk -v us="${r[p99_us]}" 'BEGIN { printf "%.3f", us / 1000 }')
	peak=$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')
	ROWS+=("$method $path"$'\t'"$rps"$'\t'"$p50 ms"$'\t'"$p99 ms"$'\t'"$errors"$'\t'"$peak MiB")
	JSON+=("$(printf '{"name":"%s","method":"%s","path":"%s","requests":%s,"durationSeconds":%s,"requestsPerSecond":%s,"latencyMs":{"p50":%s,"p90":%s,"p99":%s,"max":%s,"mean":%s},"errors":{"total":%s,"status":%s,"connect":%s,"read":%s,"write":%s,"timeout":%s},"rssKb":{"peak":%s,"current":%s}}' \
		"$name" "$method" "$path" "${r[requests]}" \
		"$(awk -v us="${r[duration_us]}" 'BEGIN { printf "%.3f", us / 1e6 }')" "$rps" \
		"$p50" "$(awk -v us="${r[p90_us]}" 'BEGIN { printf "%.3f", us / 1000 }')" "$p99" \
		"$(awk -v us="${r[max_us]}" 'BEGIN { printf "%.3f", us / 1000 }')" \
		"$(awk -v us="${r[mean_us]}" 'BEGIN { printf "%.3f", us / 1000 }')" \
		"$errors" "${r[status]}" "${r[connect]}" "${r[read]}" "${r[write]}" "${r[timeout]}" \
		"$hwm" "$rss")")
	unset r
done
[ ${#ROWS[@]} -gt 0 ] || die "no route selected (BENCH_ROUTES=${BENCH_ROUTES:-})"

# --- report ---------------------------------------------------------------------------------
# Aligns tab-separated lines into a table: first column left, the others right.
table() {
	awk -F'\t' '
		{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
		  if (NF > nf) nf = NF; n = NR }
		END {
			for (r = 1; r <= n; r++) {
				out = ""
				for (i = 1; i <= nf; i++)
					out = out (i > 1 ? " | " : "") sprintf("%" (i == 1 ? "-" : "") w[i] "s", c[r, i])
				print out
				if (r == 1) {
					out = ""
					for (i = 1; i <= nf; i++) {
						d = ""; for (k = 0; k < w[i]; k++) d = d "-"
						out = out (i > 1 ? "-|-" : "") d
					}
					print out
				}
			}
		}'
}
json_str() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }

echo
echo "crm bench: PostgreSQL 15, $N_USERS users, $N_CONTACTS contacts; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; $(nproc) CPUs"
{
	printf 'route\trequests/s\tp50\tp99\terrors\tpeak RSS\n'
	printf '%s\n' "${ROWS[@]}"
} | table

mkdir -p "$RESULTS_DIR"
commit=$(git -C "$BENCH_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
version=$("$CRM" version 2>/dev/null | head -n 1 || echo unknown)
{
	printf '{"generatedAt":"%s","commit":"%s","version":"%s","store":"postgres","cpus":%s,' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(json_str "$commit")" "$(json_str "$version")" "$(nproc)"
	printf '"wrk":{"threads":%s,"connections":%s,"duration":"%s","warmup":"%s"},' \
		"$THREADS" "$CONNECTIONS" "$DURATION" "$WARMUP"
	printf '"data":{"users":%s,"contacts":%s,"generateSeconds":%s},"routes":[' \
		"$N_USERS" "$N_CONTACTS" "$GEN_SECONDS"
	(IFS=,; printf '%s' "${JSON[*]}")
	printf ']}\n'
} >"$RESULTS_DIR/latest.json.tmp"
mv "$RESULTS_DIR/latest.json.tmp" "$RESULTS_DIR/latest.json"
echo "results: ${RESULTS_DIR#"$(pwd)/"}/latest.json"
