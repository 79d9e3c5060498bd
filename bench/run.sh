#!/usr/bin/env bash
# The benchmark behind `make bench`: a throwaway PostgreSQL 15 cluster, the schema
# from `crm migrate`, 1,000 users and 100,000 contacts from bench/generate.sql plus one heavy
# account from bench/generate_heavy.sql (100,000 contacts, 1,000,000 interactions, 200,000
# notes, their search words), then `crm serve` under wrk, one run per route in ROUTES, and the
# two ceilings: the store's (pgbench running bench/pgbench_contact_get.sql, the statements behind
# GET /contacts/{id}) and libmicrohttpd's (bench/mhd_hello.c). Prints one table and the ratios,
# writes bench/results/latest.json and the query plans to bench/results/explain.txt.
# With BENCH_STORE=sqlite the same routes run against the embedded SQLite store instead: no
# cluster, the database file in DATA_DIR, the same data from bench/generate_sqlite.sql and
# bench/generate_heavy_sqlite.sql (sqlite3 CLI), ANALYZE instead of VACUUM, the store ceiling
# from bench/sqlite_ceiling.c and EXPLAIN QUERY PLAN instead of EXPLAIN (ANALYZE).
# See bench/README.md for what the numbers mean.
#
# Usage: bench/run.sh <builddir>
# Environment (all optional):
#   BENCH_STORE    postgres (default) or sqlite
#   BENCH_SQLITE_ANALYZE=0  on SQLite, leave the planner without statistics (as the server's
#                  own database is unless someone runs ANALYZE)
#   BENCH_DURATION (10s)  BENCH_WARMUP (2s, 0 to skip)  BENCH_THREADS (2)  BENCH_CONNECTIONS (64)
#   BENCH_ROUTES   comma-separated route names to run (default: all)
#   BENCH_USERS (1000)  BENCH_CONTACTS (100000)
#   BENCH_HEAVY_CONTACTS (100000)  BENCH_HEAVY_INTERACTIONS (1000000)  BENCH_HEAVY_NOTES (200000)
#   BENCH_EXPORT_RUNS (3)  downloads of the export route (measured with curl, not wrk)
#   BENCH_CEILINGS=0  skip the store (pgbench or SQLite loop) and libmicrohttpd ceilings
#   BENCH_KEEP=1   keep the temporary directory (logs, cluster or database file) for inspection
#   PG_BIN (/usr/lib/postgresql/15/bin)
set -euo pipefail

# One line per benchmarked route: "name|method|path|lua-script-or-empty[|connections]" (the
# connection count defaults to BENCH_CONNECTIONS; login uses fewer, since every request waits
# for one of PASSWORD_HASH_CONCURRENCY Argon2id slots). The lua script is a
# file in bench/wrk/ (request body, headers, ...); bench/wrk/report.lua is appended to it, so it
# must not define done(). bearer.lua authenticates as the bench account, bearer_heavy.lua as the
# heavy one. "curl" instead of a connection count measures BENCH_EXPORT_RUNS sequential
# downloads with curl (a long streamed response: its time and the server's RSS growth), and a
# route that does not answer 2xx then is reported as skipped. Add a route by adding a line.
ROUTES=(
	"health|GET|/api/v1/health|"
	"ready|GET|/api/v1/ready|"
	"me|GET|/api/v1/me|bearer.lua"
	"login|POST|/api/v1/auth/login|login.lua|8"
	"interactions_create|POST|/api/v1/interactions|interactions.lua"
	"contact_get|GET|/api/v1/contacts/{contactId}|bearer.lua"
	"contacts_search|GET|/api/v1/contacts?q=ann|bearer_heavy.lua"
	# Zoe is the last of the 26 first names: by firstName every match sorts after 96,000
	# others, so the page comes from all 3,846 matches, not from the walk (cq_phase).
	"contacts_search_late|GET|/api/v1/contacts?q=zoe|bearer_heavy.lua"
	"contacts_tag|GET|/api/v1/contacts?tag=tag%203&sort=-lastContacted|bearer_heavy.lua"
	"interactions_page|GET|/api/v1/interactions?limit=100|bearer_heavy.lua"
	"contacts_create|POST|/api/v1/contacts|contacts_create.lua"
	"export_csv|GET|/api/v1/contacts/export.csv|bearer_heavy.lua|curl"
	"me_export|GET|/api/v1/me/export|bearer_heavy.lua|curl"
	# The insights (SPEC 11) of the heavy account, one request at a time: each is an aggregate
	# over up to a million index entries, so its latency is the figure.
	"insights_overview|GET|/api/v1/insights/overview|bearer_heavy.lua|1"
	"insights_recent|GET|/api/v1/insights/recently-contacted|bearer_heavy.lua|1"
	"insights_stale|GET|/api/v1/insights/stale-contacts?includeTotal=true|bearer_heavy.lua|1"
	"insights_most|GET|/api/v1/insights/most-interacted|bearer_heavy.lua|1"
	"insights_most_90d|GET|/api/v1/insights/most-interacted?from={ago90d}|bearer_heavy.lua|1"
	"insights_summary|GET|/api/v1/insights/contacts/{heavyContactId}/summary|bearer_heavy.lua|1"
	"insights_trend|GET|/api/v1/insights/interactions-trend|bearer_heavy.lua|1"
	"insights_trend_month|GET|/api/v1/insights/interactions-trend?interval=month|bearer_heavy.lua|1"
	"insights_tags|GET|/api/v1/insights/tags|bearer_heavy.lua|1"
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
HEAVY_CONTACTS=${BENCH_HEAVY_CONTACTS:-100000}
HEAVY_INTERACTIONS=${BENCH_HEAVY_INTERACTIONS:-1000000}
HEAVY_NOTES=${BENCH_HEAVY_NOTES:-200000}
EXPORT_RUNS=${BENCH_EXPORT_RUNS:-3}
CEILINGS=${BENCH_CEILINGS:-1}
STORE=${BENCH_STORE:-postgres}
RESULTS_DIR=$BENCH_DIR/results

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

[ -x "$CRM" ] || die "$CRM not found; run make build"
case $STORE in
postgres)
	[ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 not found in $PG_BIN (apt-get install postgresql)"
	STORE_NAME="PostgreSQL 15"
	GENERATE_SQL=generate.sql GENERATE_HEAVY_SQL=generate_heavy.sql ;;
sqlite)
	command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"
	STORE_NAME="SQLite $(pkg-config --modversion sqlite3 2>/dev/null || sqlite3 -version | cut -d' ' -f1)"
	GENERATE_SQL=generate_sqlite.sql GENERATE_HEAVY_SQL=generate_heavy_sqlite.sql ;;
*) die "BENCH_STORE must be postgres or sqlite, not $STORE" ;;
esac
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"

# libpq must see only what we pass.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE PGOPTIONS \
	PGSSLMODE REDIS_URL

TMP=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench.XXXXXX")
PGDATA=$TMP/pg
SOCK=$TMP/sock
SERVER_PID=
HELLO_PID=
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
	if [ -n "$HELLO_PID" ] && kill -0 "$HELLO_PID" 2>/dev/null; then
		kill -TERM "$HELLO_PID"
		wait "$HELLO_PID" 2>/dev/null
	fi
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

# --- the store ------------------------------------------------------------------------------
export DATA_DIR=$TMP/data
export CRM_ENV=development LOG_LEVEL=warn ENV_FILE=/nonexistent
if [ "$STORE" = postgres ]; then
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
# Runs one statement on the bench database; prints the rows unaligned, without a header.
sql_bench() { psql_bench -d bench -At -c "$1"; }
# Runs an SQL file with variables (name=value ...).
sql_bench_file() {
	local file=$1 kv
	local -a vars=()
	shift
	for kv; do vars+=(-v "$kv"); done
	psql_bench -d bench "${vars[@]}" -f "$file"
}
else
# SQLite: no DATABASE_URL, so the server and `crm migrate` use $DATA_DIR/crm.sqlite3. The
# sqlite3 CLI shares the file with the server (WAL: its reads never wait, its writes wait up
# to 5 s for the server's).
unset DATABASE_URL
SQLITE_DB=$DATA_DIR/crm.sqlite3
sql_bench() { sqlite3 -bail -batch -noheader -list -cmd '.timeout 5000' "$SQLITE_DB" "$1"; }
# Runs an SQL file with parameters (name=value ...: .parameter set :name value, where a value
# that is not a whole number becomes an SQL string literal).
sql_bench_file() {
	local file=$1 kv v
	local -a cmds=()
	shift
	for kv; do
		v=${kv#*=}
		case $v in '' | *[!0-9]*) v="'${v//\'/\'\'}'" ;; esac
		cmds+=(-cmd ".parameter set :${kv%%=*} \"$v\"")
	done
	sqlite3 -bail -batch -cmd '.timeout 5000' "${cmds[@]}" "$SQLITE_DB" <"$file"
}
fi

log "crm migrate"
"$CRM" migrate >"$TMP/migrate.log" 2>&1 || { show_log "$TMP/migrate.log"; die "crm migrate failed"; }
[ "$STORE" = postgres ] || [ -f "$SQLITE_DB" ] || die "crm migrate did not create $SQLITE_DB"

log "generating $N_USERS users and $N_CONTACTS contacts"
t0=$(date +%s.%N)
sql_bench_file "$BENCH_DIR/$GENERATE_SQL" users="$N_USERS" contacts="$N_CONTACTS" \
	>"$TMP/generate.log" 2>&1 || { show_log "$TMP/generate.log"; die "bench/$GENERATE_SQL failed"; }
GEN_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "data generated in ${GEN_SECONDS}s"

# --- the server -----------------------------------------------------------------------------
# Its polling threads and store connections as it derives them (WORKER_THREADS: the CPUs; with
# PostgreSQL twice that, up to 32; DB_POOL_SIZE: WORKER_THREADS), for the ceilings and the report.
read -r WORKERS POOL <<<"$("$CRM" config check 2>/dev/null | awk '{ sub(/^[ \t]+/, "") }
	/^WORKER_THREADS=/ { split($1, a, "="); w = a[2] } /^DB_POOL_SIZE=/ { split($1, a, "="); p = a[2] }
	END { print w, p }')"
[ -n "$WORKERS" ] && [ -n "$POOL" ] || die "crm config check did not name WORKER_THREADS and DB_POOL_SIZE"
PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
# Budgets far above what a run sends: every wrk connection comes from one address and one user,
# and the bench measures serving, not refusing (the limiter still checks every request).
PORT=$PORT LISTEN_ADDRESS=127.0.0.1 RATE_LIMIT_ANON_MAX=1000000000 RATE_LIMIT_MAX=1000000000 \
	RATE_LIMIT_MAX_PREMIUM=1000000000 RATE_LIMIT_AUTH_MAX=1000000000 \
	RATE_LIMIT_EXPORT_MAX=1000000000 FREE_CONTACT_LIMIT=100000 \
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
sql_bench "UPDATE users SET email_verified = true WHERE email_key = '$BENCH_EMAIL'" >/dev/null
# The login route spreads over LOGIN_USERS generated users given the bench account's password
# hash: one identifier may log in only 100 times an hour (SPEC §4, login-identifier).
LOGIN_USERS=$(( N_USERS < 200 ? N_USERS : 200 ))
export LOGIN_USERS
case $STORE in
postgres) login_keys="SELECT 'user' || n || '@bench.example' FROM generate_series(1, $LOGIN_USERS) n" ;;
sqlite) login_keys="SELECT 'user' || value || '@bench.example' FROM generate_series(1, $LOGIN_USERS)" ;;
esac
sql_bench "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email_key = '$BENCH_EMAIL') WHERE email_key IN ($login_keys)" >/dev/null
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

# The heavy account: registered and verified like the bench account, then given the
# rows of bench/generate_heavy.sql and logged in; the search, tag-filter and export routes run
# as it (bearer_heavy.lua).
HEAVY_EMAIL=bench-heavy@bench.example
curl -fsS -o /dev/null -H 'Content-Type: application/json' \
	-d "{\"email\":\"$HEAVY_EMAIL\",\"password\":\"$BENCH_PASSWORD\",\"firstName\":\"Heavy\"}" \
	"$BASE/api/v1/auth/register" || die "registering the heavy account failed"
sql_bench "UPDATE users SET email_verified = true WHERE email_key = '$HEAVY_EMAIL'" >/dev/null
# PREMIUM (the ADMIN role, SPEC 5) for the two PREMIUM insights.
sql_bench "UPDATE users SET role = 'ADMIN' WHERE email_key = '$HEAVY_EMAIL'" >/dev/null
log "generating the heavy account: $HEAVY_CONTACTS contacts, $HEAVY_INTERACTIONS interactions, $HEAVY_NOTES notes"
t0=$(date +%s.%N)
sql_bench_file "$BENCH_DIR/$GENERATE_HEAVY_SQL" email="$HEAVY_EMAIL" contacts="$HEAVY_CONTACTS" \
	interactions="$HEAVY_INTERACTIONS" notes="$HEAVY_NOTES" >"$TMP/generate_heavy.log" 2>&1 ||
	{ show_log "$TMP/generate_heavy.log"; die "bench/$GENERATE_HEAVY_SQL failed"; }
HEAVY_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "heavy account generated in ${HEAVY_SECONDS}s"
BENCH_HEAVY_TOKEN=$(curl -fsS -H 'Content-Type: application/json' \
	-d "{\"email\":\"$HEAVY_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}" "$BASE/api/v1/auth/login" |
	/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["accessToken"])') ||
	die "logging in the heavy account failed"
export BENCH_HEAVY_TOKEN
# The heavy account's contact with the most interactions ({heavyContactId}: the summary route)
# and the date 90 days ago ({ago90d}). A second VACUUM in its own session makes sure the
# visibility map is set (an autovacuum snapshot taken during the long generating transaction can
# keep the first one from marking pages all-visible), as autovacuum keeps it on a live system.
BENCH_HEAVY_CONTACT_ID=$(sql_bench "SELECT i.contact_id FROM interactions i JOIN users u ON u.id = i.user_id WHERE u.email_key = '$HEAVY_EMAIL' GROUP BY i.contact_id ORDER BY count(*) DESC, i.contact_id LIMIT 1")
AGO90D=$(date -u -d '90 days ago' +%Y-%m-%d)
if [ "$STORE" = postgres ]; then
# VACUUM marks a page all-visible only when no open snapshot may still miss its rows; until every
# page is, index-only scans read the table too (EXPLAIN's Heap Fetches), so retry until it is.
BENCH_TABLES="contacts, interactions, contact_tags, tags, notes, search_terms, interaction_days, user_counts"
for i in $(seq 1 10); do
	sql_bench "VACUUM ANALYZE $BENCH_TABLES" >/dev/null
	not_visible=$(sql_bench "SELECT coalesce(sum(relpages - relallvisible), 0) FROM pg_class WHERE relname IN ('contacts', 'interactions', 'contact_tags', 'notes', 'search_terms') AND relkind = 'r'")
	[ "$not_visible" = 0 ] && break
	log "VACUUM left $not_visible pages not all-visible; again"
	sleep 1
done
else
# SQLite has no visibility map: ANALYZE gives the planner its statistics. The server's open
# connections load them only when they next see a schema change (ANALYZE changes the schema only
# when it creates sqlite_stat1), so a table is created and dropped after it. Then the WAL, which
# holds the generated pages, is checkpointed into the database file and truncated, so reads do
# not look up the WAL index for pages the database file has.
if [ "${BENCH_SQLITE_ANALYZE:-1}" != 0 ]; then
	log "ANALYZE"
	sql_bench "ANALYZE; CREATE TABLE bench_reload_stats (x INTEGER) STRICT; DROP TABLE bench_reload_stats;" >/dev/null
else
	log "no ANALYZE (BENCH_SQLITE_ANALYZE=0)"
fi
ckpt=$(sql_bench "PRAGMA wal_checkpoint(TRUNCATE)")
[ "${ckpt%%|*}" = 0 ] || log "warning: the WAL checkpoint was blocked ($ckpt)"
fi

# Prints "<VmHWM kB> <VmRSS kB>" of the server.
rss_kb() { awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } END { print h + 0, r + 0 }' "/proc/$SERVER_PID/status"; }
# Prints the server's CPU time so far (user + system, in clock ticks).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
CLK_TCK=$(getconf CLK_TCK)
# The highest VmHWM seen, kept across the reset that the curl routes make (clear_refs 5).
PEAK_KB=0
# The token a route's lua script sends, for curl.
route_token() { case $1 in bearer_heavy.lua) echo "$BENCH_HEAVY_TOKEN" ;; bearer.lua) echo "$BENCH_TOKEN" ;; esac; }
# Percentile p (0..100) of the numbers on stdin, nearest rank.
percentile() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { if (!NR) { print 0; exit } i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }'; }

# Measures a route with RUNS sequential curl downloads; sets r[] as report.lua's line would,
# plus r[growth_kb] (the server's VmHWM after the downloads minus its VmRSS before them, the HWM
# reset first) and r[bytes_each]. Returns 1 when the route does not answer 2xx (skipped).
measure_curl() {
	local method=$1 url=$2 token=$3 runs=$4 i out code secs size t0us t1us
	local -a auth=()
	[ -z "$token" ] || auth=(-H "Authorization: Bearer $token")
	code=$(curl -s -o /dev/null -w '%{http_code}' -X "$method" "${auth[@]}" "$url" || true)
	[[ "$code" == 2* ]] || { log "skipping $method $url: it answers $code"; return 1; }
	read -r hwm_before rss_before <<<"$(rss_kb)"
	[ "$hwm_before" -gt "$PEAK_KB" ] && PEAK_KB=$hwm_before
	echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || log "cannot reset VmHWM; growth is an upper bound"
	read -r _ rss_before <<<"$(rss_kb)"
	: >"$TMP/curl_times"
	r[requests]=0; r[status]=0; r[read]=0; r[connect]=0; r[write]=0; r[timeout]=0; r[bytes]=0
	t0us=$(date +%s%6N)
	for i in $(seq 1 "$runs"); do
		if out=$(curl -s -o /dev/null -w '%{http_code} %{time_total} %{size_download}' \
			-X "$method" "${auth[@]}" "$url"); then
			read -r code secs size <<<"$out"
			[[ "$code" == 2* ]] || r[status]=$((r[status] + 1))
			awk -v s="$secs" 'BEGIN { printf "%.0f\n", s * 1e6 }' >>"$TMP/curl_times"
			r[bytes]=$((r[bytes] + size)); r[bytes_each]=$size
		else
			r[read]=$((r[read] + 1))
		fi
		r[requests]=$((r[requests] + 1))
	done
	t1us=$(date +%s%6N)
	r[duration_us]=$((t1us - t0us))
	r[p50_us]=$(percentile 50 <"$TMP/curl_times")
	r[p90_us]=$(percentile 90 <"$TMP/curl_times")
	r[p99_us]=$(percentile 99 <"$TMP/curl_times")
	r[max_us]=$(percentile 100 <"$TMP/curl_times")
	r[mean_us]=$(awk '{ s += $1 } END { printf "%.1f", NR ? s / NR : 0 }' "$TMP/curl_times")
	read -r hwm_after _ <<<"$(rss_kb)"
	r[growth_kb]=$((hwm_after - rss_before))
	return 0
}

# --- the routes -----------------------------------------------------------------------------
selected() { [ -z "${BENCH_ROUTES:-}" ] || [[ ",$BENCH_ROUTES," == *",$1,"* ]]; }

ROWS=()  # table rows, tab-separated
JSON=()  # one JSON object per route
declare -A RESULT_RPS=()  # requests/s by route name, for the ratios
for spec in "${ROUTES[@]}"; do
	IFS='|' read -r name method path lua conns <<<"$spec"
	path=${path//\{contactId\}/${BENCH_CONTACT_ID:-0}}
	path=${path//\{heavyContactId\}/${BENCH_HEAVY_CONTACT_ID:-0}}
	path=${path//\{ago90d\}/${AGO90D}}
	conns=${conns:-$CONNECTIONS}
	# wrk needs at least one connection per thread.
	threads=$THREADS
	[ "$conns" = curl ] || [ "$conns" -ge "$threads" ] || threads=$conns
	selected "$name" || continue
	declare -A r=()
	if [ "$conns" = curl ]; then
		log "curl $method $path, $EXPORT_RUNS downloads"
		ticks0=$(cpu_ticks)
		if ! measure_curl "$method" "$BASE$path" "$(route_token "$lua")" "$EXPORT_RUNS"; then
			ROWS+=("$method $path"$'\t'"skipped"$'\t'"-"$'\t'"-"$'\t'"-"$'\t'"-"$'\t'"-")
			JSON+=("$(printf '{"name":"%s","method":"%s","path":"%s","skipped":true}' "$name" "$method" "$path")")
			unset r
			continue
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || { show_log "$TMP/serve.log"; die "crm serve died during $path"; }
		r[cpu_ticks]=$(($(cpu_ticks) - ticks0))
		line=curl
	else
	script=$TMP/$name.lua
	{
		printf 'wrk.method = "%s"\n' "$method"
		[ -z "$lua" ] || cat "$BENCH_DIR/wrk/$lua"
		cat "$BENCH_DIR/wrk/report.lua"
	} >"$script"
	# The route must answer before it is measured.
	token=$(route_token "$lua")
	code=$(curl -s -o /dev/null -w '%{http_code}' -X "$method" \
		${token:+-H "Authorization: Bearer $token"} "$BASE$path" || true)
	[ "$method" != GET ] || [[ "$code" == 2* ]] || log "warning: $method $path answers $code before the run"
	if [ "$WARMUP" != 0 ]; then
		wrk -t"$threads" -c"$conns" -d"$WARMUP" -s "$script" "$BASE$path" >/dev/null 2>&1 || true
	fi
	log "wrk $method $path for $DURATION"
	ticks0=$(cpu_ticks)
	wrk -t"$threads" -c"$conns" -d"$DURATION" --latency -s "$script" "$BASE$path" \
		>"$TMP/$name.wrk" 2>&1 || { cat "$TMP/$name.wrk" >&2; die "wrk failed on $path"; }
	line=$(grep '^BENCH_RESULT ' "$TMP/$name.wrk" | tail -n 1) ||
		{ cat "$TMP/$name.wrk" >&2; die "no result line from wrk on $path"; }
	kill -0 "$SERVER_PID" 2>/dev/null || { show_log "$TMP/serve.log"; die "crm serve died during $path"; }
	for kv in ${line#BENCH_RESULT }; do r[${kv%%=*}]=${kv#*=}; done
	r[cpu_ticks]=$(($(cpu_ticks) - ticks0))
	fi
	read -r hwm rss <<<"$(rss_kb)"
	[ "$hwm" -gt "$PEAK_KB" ] && PEAK_KB=$hwm
	errors=$((r[connect] + r[read] + r[write] + r[timeout] + r[status]))
	rps=$(awk -v n="${r[requests]}" -v us="${r[duration_us]}" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
	p50=$(awk -v us="${r[p50_us]}" 'BEGIN { printf "%.3f", us / 1000 }')
	p99=$(awk -v us="${r[p99_us]}" 'BEGIN { printf "%.3f", us / 1000 }')
	peak="$(awk -v k="$PEAK_KB" 'BEGIN { printf "%.1f", k / 1024 }') MiB"
	# The server's own CPU per response: on a machine shared with PostgreSQL and wrk (and
	# whatever else runs), a steadier figure for comparing builds than requests/s.
	cpu_us=$(awk -v t="${r[cpu_ticks]:-0}" -v hz="$CLK_TCK" -v n="${r[requests]}" 'BEGIN { printf "%.0f", n ? t / hz * 1e6 / n : 0 }')
	extra=$(printf ',"serverCpuUsPerRequest":%s' "$cpu_us")
	if [ "$line" = curl ]; then
		peak="$peak (+$(awk -v k="${r[growth_kb]}" 'BEGIN { printf "%.1f", k / 1024 }') MiB)"
		extra=$extra$(printf ',"measuredWith":"curl","bytesPerResponse":%s,"rssGrowthKb":%s' \
			"${r[bytes_each]:-0}" "${r[growth_kb]}")
		rps=$(awk -v n="${r[requests]}" -v us="${r[duration_us]}" 'BEGIN { printf "%.2f", n / (us / 1e6) }')
	fi
	RESULT_RPS[$name]=$rps
	ROWS+=("$method $path"$'\t'"$rps"$'\t'"$p50 ms"$'\t'"$p99 ms"$'\t'"$errors"$'\t'"$peak"$'\t'"$cpu_us us")
	JSON+=("$(printf '{"name":"%s","method":"%s","path":"%s","requests":%s,"durationSeconds":%s,"requestsPerSecond":%s,"latencyMs":{"p50":%s,"p90":%s,"p99":%s,"max":%s,"mean":%s},"errors":{"total":%s,"status":%s,"connect":%s,"read":%s,"write":%s,"timeout":%s},"rssKb":{"peak":%s,"current":%s}%s}' \
		"$name" "$method" "$path" "${r[requests]}" \
		"$(awk -v us="${r[duration_us]}" 'BEGIN { printf "%.3f", us / 1e6 }')" "$rps" \
		"$p50" "$(awk -v us="${r[p90_us]}" 'BEGIN { printf "%.3f", us / 1000 }')" "$p99" \
		"$(awk -v us="${r[max_us]}" 'BEGIN { printf "%.3f", us / 1000 }')" \
		"$(awk -v us="${r[mean_us]}" 'BEGIN { printf "%.3f", us / 1000 }')" \
		"$errors" "${r[status]}" "${r[connect]}" "${r[read]}" "${r[write]}" "${r[timeout]}" \
		"$PEAK_KB" "$rss" "$extra")")
	unset r
done
[ ${#ROWS[@]} -gt 0 ] || die "no route selected (BENCH_ROUTES=${BENCH_ROUTES:-})"

# --- the statements of the heavy account's pages ----------------------------------------------
# The text the PostgreSQL store sends for a page of the heavy account's search (q=ann) and of its
# tag listing (tag=tag 3&sort=-lastContacted), kept in step with src/store/contact_query_sql.c
# (cq_build_page) and the page's columns in src/store/pg/pg_contacts_list.c. The arguments are
# the parameter references, so EXPLAIN ($n) and pgbench (:name) run the same text.
HEAVY_UID=$(sql_bench "SELECT id FROM users WHERE email_key = '$HEAVY_EMAIL'")
CC_COLS="c.id, c.first_name, c.last_name, c.email, c.phone, c.address, c.company, c.job_role, c.first_name_key, c.last_name_key, c.birthday_year, c.birthday_month, c.birthday_day, c.custom_fields::text, (date_part('epoch', c.last_contacted) * 1000)::bigint AS last_contacted, (date_part('epoch', c.created_at) * 1000)::bigint AS created_at, (date_part('epoch', c.updated_at) * 1000)::bigint AS updated_at"
# A search page is one or two statements (contact_query_sql.h, enum cq_phase): the walk of the
# first 1,000 contacts in the sort's order (search_sql), which runs only when each term has at
# least 250 search words (its gate, counted in the same statement) and gives q=ann its page
# (prepared, the default page's limit a constant of its text); when the gate stops it, or the
# walk is short of a page (q=zoe: every Zoe sorts after them), the page from every match
# (search_matches_sql, planned for its values).
# Each page is a subquery that carries the columns it is sorted on, joined to its contacts'
# tags, one row per tag, in the page's order (contact_query_sql.h, join_tags): with_tags PAGE
# USER ORDER.
with_tags() {
	printf 'SELECT p.*, t.id, t.name, t.name_key FROM (%s) p LEFT JOIN contact_tags l ON l.user_id = %s AND l.contact_id = p.id LEFT JOIN tags t ON t.user_id = l.user_id AND t.id = l.tag_id ORDER BY %s' "$@"
}
search_sql() { # user, term low, term high
	with_tags "$(printf 'SELECT %s, w.first_name_key AS sort_key1, w.last_name_key AS sort_key2 FROM (SELECT c.user_id, c.id, c.first_name_key, c.last_name_key FROM (SELECT c.user_id, c.id, c.first_name_key, c.last_name_key FROM contacts c WHERE c.user_id = %s AND (SELECT count(*) FROM (SELECT 1 FROM search_terms s WHERE s.user_id = %s AND s.term >= %s AND s.term < %s LIMIT 250) s) = 250 ORDER BY c.first_name_key, c.last_name_key, c.id LIMIT 1000) c WHERE (SELECT 1 FROM search_terms s WHERE s.user_id = %s AND s.contact_id = c.id AND s.term >= %s AND s.term < %s LIMIT 1) IS NOT NULL ORDER BY c.first_name_key, c.last_name_key, c.id LIMIT 26) w CROSS JOIN contacts c WHERE c.user_id = w.user_id AND c.id = w.id ORDER BY w.first_name_key, w.last_name_key, w.id' \
		"$CC_COLS" "$1" "$1" "$2" "$3" "$1" "$2" "$3")" "$1" 'p.sort_key1, p.sort_key2, p.id'
}
search_matches_sql() { # user, term low, term high, limit
	with_tags "$(printf 'WITH m AS MATERIALIZED (SELECT c.id, c.first_name_key, c.last_name_key FROM contacts c WHERE c.user_id = %s AND c.id IN (SELECT s.contact_id FROM search_terms s WHERE s.user_id = %s AND s.term >= %s AND s.term < %s)) SELECT %s, m.first_name_key AS sort_key1, m.last_name_key AS sort_key2 FROM (SELECT * FROM m ORDER BY m.first_name_key, m.last_name_key, m.id LIMIT %s) m CROSS JOIN contacts c WHERE c.user_id = %s AND c.id = m.id ORDER BY m.first_name_key, m.last_name_key, m.id' \
		"$1" "$1" "$2" "$3" "$CC_COLS" "$4" "$1")" "$1" 'p.sort_key1, p.sort_key2, p.id'
}
tag_sql() { # user, tag key (the default page's limit is a constant of the text)
	with_tags "$(printf 'SELECT %s, ct.last_contacted AS sort_key1 FROM (SELECT ct.user_id, ct.contact_id, ct.last_contacted FROM contact_tags ct WHERE ct.user_id = %s AND ct.tag_id = (SELECT t.id FROM tags t WHERE t.user_id = %s AND t.name_key = %s) ORDER BY ct.last_contacted DESC NULLS LAST, ct.contact_id DESC LIMIT 26) ct CROSS JOIN contacts c WHERE c.user_id = ct.user_id AND c.id = ct.contact_id ORDER BY ct.last_contacted DESC NULLS LAST, ct.contact_id DESC' \
		"$CC_COLS" "$1" "$1" "$2")" "$1" 'p.sort_key1 DESC NULLS LAST, p.id DESC'
}

# --- the ceilings ---------------------------------------------------------------------------
# Both run with the server idle, at the same concurrency as the routes.
CEIL_JSON=()
RATIO_LINES=()
FLOOR_LINES=() # the least mean latency the routes' connections can see on the store
# Prints a / b as a percentage, or "n/a".
pct() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.0f %%", 100 * a / b }'; }
if [ "$CEILINGS" != 0 ]; then
	read -r BENCH_UID BENCH_SID <<<"$(/usr/bin/python3 -c '
import base64, json, sys
p = sys.argv[1].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
print(c["sub"], c["sid"])' "$BENCH_TOKEN")"
	if [ "$STORE" = postgres ]; then
	# The store: pgbench on the statements the server sends, with the server's connection option
	# (no parallel workers, src/store/pg/pg.c), each transaction's latency logged, so the row has
	# p50 and p99 like the routes'. pgbench_ceiling NAME LABEL MODE CLIENTS SCRIPT [-D ...] sets
	# C_TPS, C_P50, C_P99, C_FAILED and adds the row and its JSON.
	as_pg mkdir -p "$TMP/pgbench"
	pgbench_ceiling() {
		local name=$1 label=$2 mode=$3 clients=$4 script=$5
		shift 5
		log "pgbench ($label, $clients clients) for $DURATION"
		as_pg env PGOPTIONS='-c max_parallel_workers_per_gather=0' "$PG_BIN/pgbench" -n \
			-M "$mode" -h "$SOCK" -U postgres -c "$clients" -j "$THREADS" -T "${DURATION%s}" \
			-l --log-prefix="$TMP/pgbench/$name" -D now="$(date +%s%3N)" "$@" -f "$script" \
			bench >"$TMP/pgbench_$name.log" 2>&1 ||
			{ cat "$TMP/pgbench_$name.log" >&2; die "pgbench failed ($label)"; }
		C_TPS=$(awk '/^tps = / { printf "%.0f", $3 }' "$TMP/pgbench_$name.log")
		C_FAILED=$(awk '/^number of failed transactions: / { print $5 }' "$TMP/pgbench_$name.log")
		# per-transaction log lines: client, transaction, latency (us), script, epoch, us
		read -r C_P50 C_P99 C_N < <(cat "$TMP/pgbench/$name".* | awk '{ print $3 }' | sort -n |
			awk '{ a[NR] = $1 } END { if (NR == 0) { print "0 0 0"; exit }
				i = int(NR * 0.5); j = int(NR * 0.99); if (i < 1) i = 1; if (j < 1) j = 1
				printf "%.3f %.3f %d\n", a[i] / 1000, a[j] / 1000, NR }')
		ROWS+=("ceiling: pgbench, $label, $clients clients"$'\t'"$C_TPS"$'\t'"$C_P50 ms"$'\t'"$C_P99 ms"$'\t'"${C_FAILED:-0}"$'\t'"-"$'\t'"-")
		CEIL_JSON+=("$(printf '"%s":{"tool":"pgbench","mode":"%s","clients":%s,"transactions":%s,"tps":%s,"latencyMs":{"p50":%s,"p99":%s},"failed":%s}' \
			"$name" "$mode" "$clients" "$C_N" "${C_TPS:-0}" "$C_P50" "$C_P99" "${C_FAILED:-0}")")
	}
	# Little's law: CONNECTIONS closed-loop clients see a mean latency of at least
	# CONNECTIONS / (the store's best rate), whatever the server does on top.
	floor_ms() {
		awk -v c="$CONNECTIONS" -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { m = a + 0 > b + 0 ? a : b
			if (m + 0 == 0) print "n/a"
			else printf "%d connections / %d per second (the better ceiling) = %.1f ms mean latency at least", c, m, 1000 * c / m }'
	}

	# GET /contacts/{id}: bench/pgbench_contact_get.sql for the bench account's session and
	# contact, prepared; at the routes' concurrency (the ratio's ceiling) and at the pool's.
	GET_ARGS=(-D sid="$BENCH_SID" -D uid="$BENCH_UID" -D cid="$BENCH_CONTACT_ID" -D ids="{$BENCH_CONTACT_ID}")
	pgbench_ceiling store "the statements of GET /contacts/{id}" prepared "$CONNECTIONS" \
		"$BENCH_DIR/pgbench_contact_get.sql" "${GET_ARGS[@]}"
	STORE_TPS=$C_TPS
	GET_TPS64=$C_TPS
	pgbench_ceiling storePool "the statements of GET /contacts/{id}" prepared "$POOL" \
		"$BENCH_DIR/pgbench_contact_get.sql" "${GET_ARGS[@]}"
	FLOOR_LINES+=("GET /contacts/{id}: $(floor_ms "$GET_TPS64" "$C_TPS")")

	# The heavy account's search and tag pages: the session check of pgbench_contact_get.sql
	# and the page's statement of search_sql / tag_sql in one round trip, as the server sends
	# them (a pipeline, src/store/pg/pg_sessions.c, pg_auth_lookup_page; both prepared:
	# cq_stable_name).
	read -r HEAVY_SID <<<"$(/usr/bin/python3 -c '
import base64, json, sys
p = sys.argv[1].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["sid"])' "$BENCH_HEAVY_TOKEN")"
	AUTH_SQL=$(grep '^SELECT s.user_id' "$BENCH_DIR/pgbench_contact_get.sql")
	printf '\\startpipeline\n%s\n%s;\n\\endpipeline\n' "$AUTH_SQL" \
		"$(search_sql '(:uid)::bigint' '(:lo)::text' '(:hi)::text')" >"$TMP/pgbench_search.sql"
	printf '\\startpipeline\n%s\n%s;\n\\endpipeline\n' "$AUTH_SQL" \
		"$(tag_sql '(:uid)::bigint' '(:tag)::text')" >"$TMP/pgbench_tag.sql"
	chmod a+r "$TMP"/pgbench_*.sql
	HEAVY_ARGS=(-D sid="$HEAVY_SID" -D uid="$HEAVY_UID" -D lo=ann -D hi=ano -D tag='tag 3')
	for page in search tag; do
		mode=prepared label="the statements of GET /contacts?q=ann"
		[ "$page" = tag ] && label="the statements of GET /contacts?tag=tag 3&sort=-lastContacted"
		pgbench_ceiling "$page" "$label" "$mode" "$CONNECTIONS" "$TMP/pgbench_$page.sql" "${HEAVY_ARGS[@]}"
		t64=$C_TPS
		pgbench_ceiling "${page}Pool" "$label" "$mode" "$POOL" "$TMP/pgbench_$page.sql" "${HEAVY_ARGS[@]}"
		route=contacts_search
		[ "$page" = tag ] && route=contacts_tag
		RATIO_LINES+=("${label#the statements of } / store ceiling ($POOL clients): $(pct "${RESULT_RPS[$route]:-}" "$C_TPS")")
		FLOOR_LINES+=("${label#the statements of }: $(floor_ms "$t64" "$C_TPS")")
	done
	else
	# The store: bench/sqlite_ceiling.c, a loop on THREADS threads (each with its own read-only
	# connection to the database file) running the statements behind GET /contacts/{id} for the
	# bench account's session and contact.
	SQ_CEIL=$TMP/sqlite_ceiling
	${CC:-cc} -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -pthread -o "$SQ_CEIL" \
		"$BENCH_DIR/sqlite_ceiling.c" $(pkg-config --cflags --libs sqlite3) \
		2>"$TMP/sqlite_ceiling.build.log" ||
		{ show_log "$TMP/sqlite_ceiling.build.log"; die "building bench/sqlite_ceiling.c failed"; }
	log "SQLite loop (store ceiling of GET /contacts/{id}) for $DURATION"
	"$SQ_CEIL" "$SQLITE_DB" "$THREADS" "${DURATION%s}" "$BENCH_SID" "$BENCH_UID" \
		"$BENCH_CONTACT_ID" "$(date +%s%3N)" >"$TMP/sqlite_ceiling.log" 2>&1 ||
		{ cat "$TMP/sqlite_ceiling.log" >&2; die "bench/sqlite_ceiling.c failed"; }
	declare -A r=()
	line=$(tail -n 1 "$TMP/sqlite_ceiling.log")
	for kv in $line; do r[${kv%%=*}]=${kv#*=}; done
	SQ_RATE=${r[perSecond]:-0}
	SQ_LAT=$(awk -v us="${r[latencyUsMean]:-0}" 'BEGIN { printf "%.3f", us / 1000 }')
	SQ_FAILED=${r[failed]:-0}
	ROWS+=("ceiling: SQLite loop, the statements of GET /contacts/{id}"$'\t'"$SQ_RATE"$'\t'"$SQ_LAT ms (mean)"$'\t'"-"$'\t'"$SQ_FAILED"$'\t'"-"$'\t'"-")
	CEIL_JSON+=("$(printf '"store":{"tool":"bench/sqlite_ceiling.c","threads":%s,"iterations":%s,"iterationsPerSecond":%s,"latencyMsMean":%s,"failed":%s}' \
		"$THREADS" "${r[iterations]:-0}" "$SQ_RATE" "$SQ_LAT" "$SQ_FAILED")")
	unset r
	STORE_TPS=$SQ_RATE
	fi
	RATIO_LINES+=("GET /contacts/{id} / store ceiling: $(pct "${RESULT_RPS[contact_get]:-}" "$STORE_TPS")")

	# libmicrohttpd: bench/mhd_hello.c with the daemon options of src/http/server.c and the
	# server's polling threads (WORKERS, above).
	HELLO=$TMP/mhd_hello
	${CC:-cc} -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -pthread -o "$HELLO" "$BENCH_DIR/mhd_hello.c" \
		$(pkg-config --cflags --libs libmicrohttpd) 2>"$TMP/mhd_hello.build.log" ||
		{ show_log "$TMP/mhd_hello.build.log"; die "building bench/mhd_hello.c failed"; }
	HPORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$HELLO" "$HPORT" "$WORKERS" >"$TMP/mhd_hello.log" 2>&1 &
	HELLO_PID=$!
	for i in $(seq 1 50); do
		curl -fsS -o /dev/null "http://127.0.0.1:$HPORT/api/v1/health" 2>/dev/null && break
		[ "$i" = 50 ] && { show_log "$TMP/mhd_hello.log"; die "mhd_hello did not answer"; }
		sleep 0.1
	done
	script=$TMP/mhd_hello.lua
	{ printf 'wrk.method = "GET"\n'; cat "$BENCH_DIR/wrk/report.lua"; } >"$script"
	[ "$WARMUP" = 0 ] || wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$script" \
		"http://127.0.0.1:$HPORT/api/v1/health" >/dev/null 2>&1 || true
	log "wrk GET /api/v1/health on mhd_hello (libmicrohttpd ceiling) for $DURATION"
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" \
		"http://127.0.0.1:$HPORT/api/v1/health" >"$TMP/mhd_hello.wrk" 2>&1 ||
		{ cat "$TMP/mhd_hello.wrk" >&2; die "wrk failed on mhd_hello"; }
	kill -TERM "$HELLO_PID"; wait "$HELLO_PID" 2>/dev/null || true; HELLO_PID=
	declare -A r=()
	line=$(grep '^BENCH_RESULT ' "$TMP/mhd_hello.wrk" | tail -n 1)
	for kv in ${line#BENCH_RESULT }; do r[${kv%%=*}]=${kv#*=}; done
	H_RPS=$(awk -v n="${r[requests]}" -v us="${r[duration_us]}" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
	H_ERR=$((r[connect] + r[read] + r[write] + r[timeout] + r[status]))
	H_P50=$(awk -v us="${r[p50_us]}" 'BEGIN { printf "%.3f", us / 1000 }')
	H_P99=$(awk -v us="${r[p99_us]}" 'BEGIN { printf "%.3f", us / 1000 }')
	ROWS+=("ceiling: libmicrohttpd (bench/mhd_hello.c)"$'\t'"$H_RPS"$'\t'"$H_P50 ms"$'\t'"$H_P99 ms"$'\t'"$H_ERR"$'\t'"-"$'\t'"-")
	CEIL_JSON+=("$(printf '"http":{"tool":"bench/mhd_hello.c","requestsPerSecond":%s,"latencyMs":{"p50":%s,"p99":%s},"errors":%s}' \
		"$H_RPS" "$H_P50" "$H_P99" "$H_ERR")")
	RATIO_LINES+=("GET /health / libmicrohttpd ceiling: $(pct "${RESULT_RPS[health]:-}" "$H_RPS")")
	unset r
fi

# --- query plans ----------------------------------------------------------------------------
# PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) of the statements behind GET /contacts/{id} and of the heavy
# account's search and tag listing, as the server runs them (with its connection option, no
# parallel workers): prepared, after ten executions (from the sixth PostgreSQL may switch to a
# generic plan and keep it), and how many of the eleven it planned generically and how many
# for their values. Text kept in step with src/store/pg
# (pg_contacts.c) and src/store/contact_query_sql.c (a page's columns: pg_contacts_list.c).
mkdir -p "$RESULTS_DIR"
BENCH_UID=${BENCH_UID:-$(sql_bench "SELECT id FROM users WHERE email_key = '$BENCH_EMAIL'")}
if [ "$STORE" = postgres ]; then
explain() { # name, parameter types, SQL, arguments
	printf '\\echo === %s: prepared, after ten executions, then with a custom plan\n' "$1"
	printf 'PREPARE %s(%s) AS %s;\n' "$1" "$2" "$3"
	for _ in 1 2 3 4 5 6 7 8 9 10; do printf 'EXECUTE %s(%s) \\g /dev/null\n' "$1" "$4"; done
	printf 'EXPLAIN (ANALYZE, BUFFERS) EXECUTE %s(%s);\n' "$1" "$4"
	# How PostgreSQL planned the eleven: a generic plan kept, or each planned for its values.
	printf "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name = '%s';\n" "$1"
	# The plan for these very values too, for comparison (what PQexecParams would get).
	printf 'SET plan_cache_mode = force_custom_plan;\n'
	printf 'EXPLAIN (ANALYZE, BUFFERS) EXECUTE %s(%s);\nRESET plan_cache_mode;\n' "$1" "$4"
}
{
	explain contacts_select_with_tags bigint,bigint "SELECT $CC_COLS, t.id, t.name, t.name_key, ct.id FROM contacts c LEFT JOIN contact_tags ct ON ct.user_id = c.user_id AND ct.contact_id = c.id LEFT JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id WHERE c.user_id = \$1::bigint AND c.id = \$2::bigint ORDER BY t.name_key, t.id" "$BENCH_UID, $BENCH_CONTACT_ID"
	explain contacts_search bigint,text,text "$(search_sql '$1::bigint' '$2::text' '$3::text')" "$HEAVY_UID, 'ann', 'ano'"
	explain contacts_search_zoe_walk bigint,text,text "$(search_sql '$1::bigint' '$2::text' '$3::text')" "$HEAVY_UID, 'zoe', 'zof'"
	explain contacts_search_zoe_matches bigint,text,text,bigint "$(search_matches_sql '$1::bigint' '$2::text' '$3::text' '$4::bigint')" "$HEAVY_UID, 'zoe', 'zof', 26"
	explain contacts_tag bigint,text "$(tag_sql '$1::bigint' '$2::text')" "$HEAVY_UID, 'tag 3'"
} >"$TMP/explain.sql"
PGOPTIONS='-c max_parallel_workers_per_gather=0' psql_bench -d bench -f "$TMP/explain.sql" \
	>"$RESULTS_DIR/explain.txt" 2>&1 ||
	log "warning: EXPLAIN failed (see ${RESULTS_DIR#"$(pwd)/"}/explain.txt)"
else
# SQLite has no EXPLAIN ANALYZE: EXPLAIN QUERY PLAN of the same statements as the server runs
# them on SQLite (its bound parameters set with .parameter), then each run once to warm up and
# once under .timer (its wall time). Text kept in step with src/store/sqlite (sq_contacts.c,
# sq_contacts_select_with_tags; sq_tags.c, sq_contact_tags_select, the tags of a page) and
# src/store/contact_query_sql.c (a page's columns: SQ_CONTACT_COLS, sq_contacts_list.c).
sq_explain() { # name, SQL, the values of its parameters in order (SQL literals)
	local name=$1 sql=$2 i=0 v
	shift 2
	printf '.print === %s: EXPLAIN QUERY PLAN, then its run time (warm)\n' "$name"
	for v; do i=$((i + 1)); printf '.parameter set ?%d "%s"\n' "$i" "$v"; done
	printf 'EXPLAIN QUERY PLAN %s;\n.output /dev/null\n%s;\n.timer on\n%s;\n.timer off\n' \
		"$sql" "$sql" "$sql"
	printf '.output stdout\n.parameter clear\n.print\n'
}
SQ_COLS="c.id, c.first_name, c.last_name, c.email, c.phone, c.address, c.company, c.job_role, c.first_name_key, c.last_name_key, c.birthday_year, c.birthday_month, c.birthday_day, c.custom_fields, c.last_contacted, c.created_at, c.updated_at"
TAG_PAGE_IDS=$(sql_bench "SELECT json_group_array(contact_id) FROM (SELECT ct.contact_id FROM contact_tags ct JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id WHERE ct.user_id = $HEAVY_UID AND t.name_key = 'tag 3' ORDER BY ct.last_contacted DESC NULLS LAST, ct.contact_id DESC LIMIT 25)")
{
	sq_explain contacts_select_with_tags "SELECT $SQ_COLS, t.id, t.name, t.name_key, ct.id FROM contacts c LEFT JOIN contact_tags ct ON ct.user_id = c.user_id AND ct.contact_id = c.id LEFT JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id WHERE c.user_id = ?1 AND c.id = ?2 ORDER BY t.name_key, t.id" "$BENCH_UID" "$BENCH_CONTACT_ID"
	sq_explain contacts_search "SELECT $SQ_COLS FROM contacts c WHERE c.user_id = ? AND c.id IN (SELECT s.contact_id FROM search_terms s WHERE s.user_id = ? AND s.term >= ? AND s.term < ?) ORDER BY c.first_name_key, c.last_name_key, c.id LIMIT ?" "$HEAVY_UID" "$HEAVY_UID" "'ann'" "'ano'" 26
	sq_explain contacts_search_zoe "SELECT $SQ_COLS FROM contacts c WHERE c.user_id = ? AND c.id IN (SELECT s.contact_id FROM search_terms s WHERE s.user_id = ? AND s.term >= ? AND s.term < ?) ORDER BY c.first_name_key, c.last_name_key, c.id LIMIT ?" "$HEAVY_UID" "$HEAVY_UID" "'zoe'" "'zof'" 26
	sq_explain contacts_tag "SELECT $SQ_COLS FROM contact_tags ct CROSS JOIN contacts c WHERE ct.user_id = ? AND ct.tag_id = (SELECT t.id FROM tags t WHERE t.user_id = ? AND t.name_key = ?) AND c.user_id = ? AND c.id = ct.contact_id ORDER BY ct.last_contacted DESC NULLS LAST, ct.contact_id DESC LIMIT ?" "$HEAVY_UID" "$HEAVY_UID" "'tag 3'" "$HEAVY_UID" 26
	sq_explain contact_tags_select "SELECT ct.contact_id, t.id, t.name, t.name_key, ct.id FROM contact_tags ct JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id WHERE ct.user_id = ?1 AND ct.contact_id IN (SELECT value FROM json_each(?2)) ORDER BY ct.contact_id, t.name_key, t.id" "$HEAVY_UID" "'$TAG_PAGE_IDS'"
} >"$TMP/explain.sql"
sqlite3 -bail -batch -cmd '.timeout 5000' "$SQLITE_DB" <"$TMP/explain.sql" >"$RESULTS_DIR/explain.txt" 2>&1 ||
	log "warning: EXPLAIN QUERY PLAN failed (see ${RESULTS_DIR#"$(pwd)/"}/explain.txt)"
fi

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
echo "crm bench: $STORE_NAME, $N_USERS users, $N_CONTACTS contacts; heavy account $HEAVY_CONTACTS contacts, $HEAVY_INTERACTIONS interactions, $HEAVY_NOTES notes; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; $(nproc) CPUs; $WORKERS polling threads$([ "$STORE" = postgres ] && echo ", $POOL store connections")"
{
	printf 'route\trequests/s\tp50\tp99\terrors\tpeak RSS\tserver CPU/req\n'
	printf '%s\n' "${ROWS[@]}"
} | table
[ ${#RATIO_LINES[@]} -eq 0 ] || printf 'ratio: %s\n' "${RATIO_LINES[@]}"
[ ${#FLOOR_LINES[@]} -eq 0 ] || printf 'floor: %s\n' "${FLOOR_LINES[@]}"

mkdir -p "$RESULTS_DIR"
commit=$(git -C "$BENCH_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
version=$("$CRM" version 2>/dev/null | head -n 1 || echo unknown)
{
	printf '{"generatedAt":"%s","commit":"%s","version":"%s","store":"%s","storeVersion":"%s","cpus":%s,"workerThreads":%s,"dbPoolSize":%s,' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(json_str "$commit")" "$(json_str "$version")" \
		"$STORE" "$(json_str "$STORE_NAME")" "$(nproc)" "$WORKERS" "$([ "$STORE" = postgres ] && echo "$POOL" || echo null)"
	printf '"wrk":{"threads":%s,"connections":%s,"duration":"%s","warmup":"%s"},' \
		"$THREADS" "$CONNECTIONS" "$DURATION" "$WARMUP"
	printf '"data":{"users":%s,"contacts":%s,"generateSeconds":%s,"heavy":{"contacts":%s,"interactions":%s,"notes":%s,"generateSeconds":%s}},"routes":[' \
		"$N_USERS" "$N_CONTACTS" "$GEN_SECONDS" "$HEAVY_CONTACTS" "$HEAVY_INTERACTIONS" \
		"$HEAVY_NOTES" "$HEAVY_SECONDS"
	(IFS=,; printf '%s' "${JSON[*]}")
	printf '],"ceilings":{'
	(IFS=,; printf '%s' "${CEIL_JSON[*]}")
	printf '},"ratios":{"contactGetToStore":%s,"healthToHttp":%s},"totalSeconds":%s}\n' \
		"$(awk -v a="${RESULT_RPS[contact_get]:-}" -v b="${STORE_TPS:-}" 'BEGIN { if (a == "" || b + 0 == 0) print "null"; else printf "%.3f", a / b }')" \
		"$(awk -v a="${RESULT_RPS[health]:-}" -v b="${H_RPS:-}" 'BEGIN { if (a == "" || b + 0 == 0) print "null"; else printf "%.3f", a / b }')" \
		"$SECONDS"

} >"$RESULTS_DIR/latest.json.tmp"
mv "$RESULTS_DIR/latest.json.tmp" "$RESULTS_DIR/latest.json"
echo "results: ${RESULTS_DIR#"$(pwd)/"}/latest.json, query plans: ${RESULTS_DIR#"$(pwd)/"}/explain.txt (${SECONDS}s in all)"
