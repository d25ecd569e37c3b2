#!/bin/sh
# One-shot job: a self-signed certificate for the local mail catcher, so the worker talks
# STARTTLS to mailpit and verifies it the way it would verify a real relay.
#
# Runs in the golang image the Dockerfile already builds with, using Go's own
# crypto/tls/generate_cert.go (standard library only: no network, nothing else to pull).
# Mailpit's built-in `sans:` certificates are not used because they are regenerated on
# every start under a random temp file name inside the mailpit container, so the worker
# could not be given a stable CA file.
#
# The pair is made once and kept in the mailpit-tls-key volume (mounted only here and in
# mailpit). The certificate alone is copied to the mailpit-tls-ca volume, the only one the
# worker mounts. It is valid for ten years; to rotate it:
#   docker compose down && docker volume rm breachflow_mailpit-tls-key breachflow_mailpit-tls-ca
set -eu

KEY_DIR=/tls/mailpit
CA_DIR=/tls/ca

cd "$KEY_DIR"
if [ ! -s cert.pem ] || [ ! -s key.pem ]; then
	# Writes cert.pem and key.pem (0600) to the current directory.
	go run "$(go env GOROOT)/src/crypto/tls/generate_cert.go" \
		-host "mailpit,localhost,127.0.0.1" -ca -ecdsa-curve P256 -duration 87600h
fi
chmod 0600 key.pem
chmod 0644 cert.pem

cp cert.pem "$CA_DIR/mailpit-ca.pem"
chmod 0644 "$CA_DIR/mailpit-ca.pem"
echo "gen-cert: $CA_DIR/mailpit-ca.pem ready"
