# BreachFlow worker image (the starter CLI is included for `docker compose run`).
#
#   docker build -t breachflow-worker .
#   docker run --rm -e TEMPORAL_ADDRESS=temporal.example:7233 breachflow-worker
#
# Needs BuildKit (the default builder since Docker 23) for the cache mounts.
#
# Pins:
#   golang:1.26.8  matches the `go 1.26.8` line in go.mod. The official image sets
#                  GOTOOLCHAIN=local, so a mismatch fails the build instead of
#                  silently downloading another toolchain.
#   alpine:3.24.1  the same base Temporal 1.32.1 builds its own server and admin-tools
#                  images on (docker/docker-bake.hcl, ALPINE_TAG). An exact tag, unlike
#                  distroless' moving `:nonroot` tag.

FROM golang:1.26.8 AS build

WORKDIR /src

# Dependencies first, so editing source does not re-download modules.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -o /out/worker ./worker \
 && CGO_ENABLED=0 go build -trimpath -o /out/starter ./starter \
 && mkdir -p /out/data

FROM alpine:3.24.1

# ca-certificates: TLS to real SMTP relays and to a TLS-fronted Temporal.
# Time zones need nothing here: the clock package embeds time/tzdata.
RUN apk add --no-cache ca-certificates \
 && addgroup -S -g 10001 breachflow \
 && adduser -S -D -H -u 10001 -G breachflow -s /sbin/nologin breachflow

COPY --from=build /out/worker /out/starter /usr/local/bin/

# The send ledger lives here. The directory is created owned by the runtime user,
# so a fresh named volume mounted on it inherits that ownership.
COPY --from=build --chown=10001:10001 /out/data /var/lib/breachflow
ENV BREACHFLOW_DATA_DIR=/var/lib/breachflow

USER 10001:10001
WORKDIR /var/lib/breachflow

# Metrics and health when BREACHFLOW_METRICS_ADDR is set (docker-compose.yml: 0.0.0.0:9090).
EXPOSE 9090

ENTRYPOINT ["/usr/local/bin/worker"]
