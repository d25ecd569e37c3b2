#!/usr/bin/env bash
# A real Temporal cluster on loopback, from nothing: PostgreSQL (initdb into a folder), Temporal's
# schema for the main and visibility stores, the Temporal 1.32.1 server process on PostgreSQL,
# the namespace and search attributes, and N BreachFlow workers sharing the PostgreSQL send
# ledger. The same pieces and settings as docker-compose.yml, without Docker.
#
#   deploy/local-cluster.sh up [N]    start (N workers, default 2) and print TEMPORAL_ADDRESS
#   deploy/local-cluster.sh status    what runs
#   deploy/local-cluster.sh down      stop everything and delete the state folder
#
# Settings (environment): CLUSTER_DIR (state, default /tmp/breachflow-cluster), PORT_BASE (default
# 17200: PostgreSQL PORT_BASE+32, frontend +33, history +34, matching +35, worker service +39, and
# membership ports +1000). Workers get every BREACHFLOW_* variable of this shell (e.g. SMTP);
# without BREACHFLOW_SMTP_HOST they write notices to CLUSTER_DIR/outbox.
# Needs: Go (builds the server, the SQL tool and the worker with this module's pinned versions)
# and PostgreSQL's server programs (initdb, pg_ctl; Debian: apt-get install postgresql).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=${CLUSTER_DIR:-/tmp/breachflow-cluster}
BASE=${PORT_BASE:-17200}
PG_PORT=$((BASE + 32))
FRONTEND=$((BASE + 33))
BIN=${CLUSTER_BIN:-/tmp/breachflow-cluster-bin}
DB_PASSWORD_FILE=$DIR/db-password

log() { echo "local-cluster: $*" >&2; }
die() { log "$*"; exit 1; }

pg_bin() {
	if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return; fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] || die "PostgreSQL's server programs (initdb, pg_ctl) are missing: apt-get install postgresql"
	echo "$d"
}

# as_pg runs a PostgreSQL program; as root, as the postgres user (PostgreSQL refuses root).
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_admin() { "$PG/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"; }

start_bg() { # name, command...: start in the background, pid in DIR/pids/name, log in DIR/logs/name.log
	local name=$1
	shift
	nohup "$@" >"$DIR/logs/$name.log" 2>&1 &
	echo $! >"$DIR/pids/$name"
}

up() {
	local workers=${1:-2}
	[ ! -e "$DIR/pids" ] || die "$DIR holds a running cluster: run '$0 down' first"
	PG=$(pg_bin)
	mkdir -p "$DIR"/{pids,logs,outbox}
	# The server and SQL tool are pinned by go.mod: built again only when it changes (in
	# CLUSTER_BIN, kept across `down`); the worker always.
	mkdir -p "$BIN"
	if [ ! -x "$BIN/temporal-server" ] || [ go.mod -nt "$BIN/temporal-server" ]; then
		log "building the Temporal server and its SQL tool (go build, versions from go.mod; a few minutes the first time)"
		go build -o "$BIN/temporal-server" go.temporal.io/server/cmd/server
		go build -o "$BIN/temporal-sql-tool" go.temporal.io/server/cmd/tools/sql
	fi
	go build -o "$BIN/worker" ./worker

	log "PostgreSQL on 127.0.0.1:$PG_PORT (data in $DIR/pg)"
	mkdir -p "$DIR/pg"
	[ "$(id -u)" != 0 ] || chown postgres: "$DIR/pg"
	as_pg "$PG/initdb" -D "$DIR/pg/data" -U postgres -A trust -E UTF8 >"$DIR/logs/initdb.log"
	# trust on loopback for the postgres superuser's set-up only; the cluster's users need passwords
	printf 'host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n' >"$DIR/pg/data/pg_hba.conf"
	as_pg "$PG/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/postgres.log" -w -t 60 \
		-o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
	echo postgres >"$DIR/pids/postgres.pg_ctl"
	umask 077
	head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DB_PASSWORD_FILE"
	local pw
	pw=$(cat "$DB_PASSWORD_FILE")
	psql_admin <<SQL
CREATE ROLE temporal LOGIN CREATEDB PASSWORD '$pw';
CREATE ROLE breachflow LOGIN PASSWORD '$pw';
CREATE DATABASE breachflow OWNER breachflow;
SQL
	echo "postgres://breachflow:$pw@127.0.0.1:$PG_PORT/breachflow?sslmode=disable" >"$DIR/ledger-dsn"

	log "Temporal schema (temporal, temporal_visibility) with temporal-sql-tool"
	SQL_TOOL="$BIN/temporal-sql-tool" POSTGRES_SEEDS=127.0.0.1 DB_PORT=$PG_PORT POSTGRES_USER=temporal \
		POSTGRES_PWD=$pw sh deploy/temporal/setup-schema.sh >"$DIR/logs/schema.log" 2>&1 ||
		die "schema set-up failed: $(tail -5 "$DIR/logs/schema.log")"

	log "Temporal server on 127.0.0.1:$FRONTEND"
	start_bg temporal-server env POSTGRES_SEEDS=127.0.0.1 DB_PORT=$PG_PORT POSTGRES_USER=temporal POSTGRES_PWD="$pw" \
		FRONTEND_GRPC_PORT=$FRONTEND HISTORY_GRPC_PORT=$((BASE + 34)) MATCHING_GRPC_PORT=$((BASE + 35)) \
		WORKER_GRPC_PORT=$((BASE + 39)) FRONTEND_HTTP_PORT=$((BASE + 43)) \
		FRONTEND_MEMBERSHIP_PORT=$((BASE + 1033)) HISTORY_MEMBERSHIP_PORT=$((BASE + 1034)) \
		MATCHING_MEMBERSHIP_PORT=$((BASE + 1035)) WORKER_MEMBERSHIP_PORT=$((BASE + 1039)) \
		DYNAMIC_CONFIG_FILE_PATH="$ROOT/deploy/temporal/dynamicconfig/docker.yaml" \
		"$BIN/temporal-server" --config-file "$ROOT/deploy/temporal/config/local-postgres.yaml" \
		--allow-no-auth start

	export TEMPORAL_ADDRESS=127.0.0.1:$FRONTEND TEMPORAL_NAMESPACE=${TEMPORAL_NAMESPACE:-default}
	export BREACHFLOW_LEDGER_DSN_FILE=$DIR/ledger-dsn
	unset BREACHFLOW_LEDGER_DSN
	export BREACHFLOW_OUTBOX=${BREACHFLOW_OUTBOX:-$DIR/outbox}
	# Waits (no sleeps): frontend answering, namespace, search attributes mapped for queries.
	"$BIN/worker" prepare --timeout 90s &
	local prep=$!
	while kill -0 "$prep" 2>/dev/null; do
		if ! kill -0 "$(cat "$DIR/pids/temporal-server")" 2>/dev/null; then
			kill "$prep" 2>/dev/null
			die "the Temporal server exited: $(grep -m3 -i error "$DIR/logs/temporal-server.log")"
		fi
		sleep 0.2
	done
	wait "$prep" || die "Temporal did not come up: $(tail -5 "$DIR/logs/temporal-server.log")"

	for i in $(seq 1 "$workers"); do
		start_bg "worker-$i" env BREACHFLOW_DATA_DIR="$DIR/worker-$i" "$BIN/worker"
	done
	log "$workers worker(s) started (logs in $DIR/logs)"
	echo "export TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS TEMPORAL_NAMESPACE=$TEMPORAL_NAMESPACE"
	echo "# then: go run ./starter start examples/cbp-2019.yaml ; go run ./starter list"
}

status() {
	[ -d "$DIR/pids" ] || { echo "no cluster in $DIR"; return 1; }
	local f name
	for f in "$DIR"/pids/*; do
		name=$(basename "$f")
		case $name in
		*.pg_ctl) PG=$(pg_bin); as_pg "$PG/pg_ctl" -D "$DIR/pg/data" status >/dev/null && echo "postgresql  running (127.0.0.1:$PG_PORT)" || echo "postgresql  stopped" ;;
		*) kill -0 "$(cat "$f")" 2>/dev/null && echo "$name  running (pid $(cat "$f"))" || echo "$name  stopped" ;;
		esac
	done
	echo "TEMPORAL_ADDRESS=127.0.0.1:$FRONTEND"
}

down() {
	[ -d "$DIR" ] || { log "nothing in $DIR"; return 0; }
	local f pid
	# Workers first, then the server, then PostgreSQL.
	for f in "$DIR"/pids/worker-* "$DIR"/pids/temporal-server; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	if [ -f "$DIR/pids/postgres.pg_ctl" ]; then
		PG=$(pg_bin)
		as_pg "$PG/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null || true
	fi
	rm -rf "$DIR"
	log "stopped; $DIR removed"
}

case ${1:-} in
up) up "${2:-2}" ;;
status) status ;;
down) down ;;
*) die "usage: $0 up [workers] | status | down" ;;
esac
