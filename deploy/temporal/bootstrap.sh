#!/bin/sh
# One-shot job (temporalio/admin-tools): once the server answers, make sure the namespace
# the worker uses exists and has BreachFlow's custom search attributes.
#
# Idempotent: an existing namespace is left as it is (its retention too), and registering
# a search attribute that already exists with the same type is a no-op. One that exists
# with a different type fails the job, on purpose.
#
# The temporal CLI reads TEMPORAL_ADDRESS from the environment.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
NS="${TEMPORAL_NAMESPACE:-default}"
# Closed incidents stay queryable (and exportable for auditors) this long. Temporal's own
# default would be far shorter; the embedded dev server of `worker --dev` uses ten years.
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-3650d}"

# retry <description> <command...>
retry() {
	what=$1
	shift
	n=1
	until "$@"; do
		if [ "$n" -ge 40 ]; then
			echo "bootstrap: giving up: $what" >&2
			return 1
		fi
		echo "bootstrap: not yet: $what ($n/40)"
		n=$((n + 1))
		sleep 3
	done
}

ensure_namespace() {
	if temporal operator namespace describe --namespace "$NS" >/dev/null 2>&1; then
		echo "bootstrap: namespace $NS exists (retention unchanged)"
		return 0
	fi
	temporal operator namespace create --namespace "$NS" --retention "$RETENTION"
}

# Keep in step with the names and types the worker registers at start.
register_search_attributes() {
	temporal operator search-attribute create --namespace "$NS" \
		--name IncidentStatus --type Keyword \
		--name NextDeadline --type Datetime \
		--name OverdueCount --type Int
}

retry "cluster health at $TEMPORAL_ADDRESS" temporal operator cluster health
retry "namespace $NS" ensure_namespace
retry "search attributes in $NS" register_search_attributes
temporal operator search-attribute list --namespace "$NS"
echo "bootstrap: done"
