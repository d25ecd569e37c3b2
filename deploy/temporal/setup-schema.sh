#!/bin/sh
# One-shot job (temporalio/admin-tools): create Temporal's two PostgreSQL databases and
# bring them to the schema embedded in this admin-tools version.
#
# Safe to run on every `docker compose up`, and it is also the upgrade step when the
# server and admin-tools tags are bumped together:
#   create                    ignores a database that already exists
#   setup-schema -v 0.0       only adds the version tables; keeps a newer version
#   update-schema             applies just the missing versions (embedded schema)
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${POSTGRES_PWD:?POSTGRES_PWD is required}"
DB_PORT="${DB_PORT:-5432}"
DBNAME="${DBNAME:-temporal}"
VISIBILITY_DBNAME="${VISIBILITY_DBNAME:-temporal_visibility}"

# temporal-sql-tool reads the password from SQL_PASSWORD: keeps it out of `ps`.
SQL_PASSWORD="$POSTGRES_PWD"
export SQL_PASSWORD

# SQL_TOOL: the temporal-sql-tool binary (deploy/local-cluster.sh passes the one it built).
sql_tool() {
	"${SQL_TOOL:-temporal-sql-tool}" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" \
		-u "$POSTGRES_USER" "$@"
}

# Wait for PostgreSQL with the SQL tool itself (no nc needed): `create` fails while the server is
# unreachable and is a no-op once the database exists.
n=1
until sql_tool --db "$DBNAME" create >/dev/null 2>&1; do
	if [ "$n" -ge 30 ]; then
		echo "setup-schema: PostgreSQL at $POSTGRES_SEEDS:$DB_PORT is not reachable (or refuses user $POSTGRES_USER):" >&2
		sql_tool --db "$DBNAME" create >&2 || true
		exit 1
	fi
	n=$((n + 1))
	sleep 2
done

# $1: database name, $2: embedded schema under postgresql/v12 (temporal | visibility)
setup() {
	echo "setup-schema: $1 (postgresql/v12/$2)"
	sql_tool --db "$1" create
	sql_tool --db "$1" setup-schema -v 0.0
	sql_tool --db "$1" update-schema --schema-name "postgresql/v12/$2"
}

setup "$DBNAME" temporal
setup "$VISIBILITY_DBNAME" visibility
# The workers' shared send ledger (BREACHFLOW_LEDGER_DSN): an empty database here; each worker
# applies the ledger's own migrations at start.
if [ -n "${LEDGER_DBNAME:-}" ]; then
	echo "setup-schema: $LEDGER_DBNAME (BreachFlow send ledger)"
	sql_tool --db "$LEDGER_DBNAME" create
fi
echo "setup-schema: done"
