#!/bin/sh
# Installs, on Debian 12, every package needed to build, run, test and benchmark crm.
# Only missing packages are installed; with all present it does nothing and says nothing.
# Usage: scripts/deps.sh [run|test|reliability|bench|all]   (default: all)
set -eu

want=${1:-all}

build="make gcc pkg-config python3 python3-yaml libmicrohttpd-dev libjansson-dev libpq-dev libsqlite3-dev
libhiredis-dev libsodium-dev libcrypt-dev libjwt-dev libcurl4-openssl-dev libutf8proc-dev libssl-dev"
runtime=""
testing="python3-yaml postgresql redis-server python3-aiosmtpd clang libclang-rt-14-dev sqlite3"
# `make reliability`: the scale-out scenario puts nginx in front of two nodes. The harness runs
# /usr/sbin/nginx itself with a config in a temporary directory; the package's own service and
# /etc/nginx are not used.
reliability="nginx"
# `make bench` with BENCH_STORE=sqlite also needs the sqlite3 CLI, which the bench set gets
# from $testing.
bench="wrk postgresql-contrib sqlmap"

case "$want" in
run) pkgs="$build $runtime" ;;
test) pkgs="$build $runtime $testing" ;;
reliability) pkgs="$build $runtime $testing $reliability" ;;
bench) pkgs="$build $runtime $testing $bench" ;;
all) pkgs="$build $runtime $testing $reliability $bench" ;;
*) echo "usage: $0 [run|test|reliability|bench|all]" >&2; exit 64 ;;
esac

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
# Node.js (with npm) is needed by the API tests; any Node >= 18 on PATH will do.
need_node=0
if [ "$want" != run ]; then
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		need_node=1
		missing="$missing nodejs npm"
	fi
fi

# The API tests' npm packages (package-lock.json pins them: oauth2-mock-server), installed into
# node_modules/ when missing or older than the lock file. Needs only the npm registry.
npm_deps() {
	[ "$want" != run ] || return 0
	root=$(cd "$(dirname "$0")/.." && pwd)
	stamp="$root/node_modules/.package-lock.json"
	if [ ! -f "$stamp" ] || [ "$root/package-lock.json" -nt "$stamp" ]; then
		echo "deps: npm ci (test packages)"
		(cd "$root" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	fi
}

[ -n "$missing" ] || { npm_deps; exit 0; }

if [ ! -r /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: this is not Debian; install the equivalents of:$missing" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root:  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ $need_node = 0 ] || command -v npm >/dev/null 2>&1 || { echo "deps: npm still missing" >&2; exit 1; }
npm_deps
