#!/bin/sh
# Compose's nats container: load each service's password from its secret file into
# the variable deploy/nats/nats.conf references, then run nats-server with the
# arguments compose passes. A missing secret stops the container with its name.
set -eu
for user in gateway ingest analyzer exporter provisioner; do
    file="${NATS_SECRETS_DIR:-/run/secrets}/nats_${user}_password"
    if [ ! -s "$file" ]; then
        echo "nats: missing secret $file (run: python -m convoscope_stack.nats_auth secrets ./secrets)" >&2
        exit 1
    fi
    var="NATS_$(echo "$user" | tr 'a-z' 'A-Z')_PASSWORD"
    # Quoted: nats-server parses a variable's value as config, so an unquoted password
    # starting with "-" or digits ("0b…", "12345") would stop it from starting.
    export "$var=\"$(cat "$file")\""
done
exec nats-server "$@"
