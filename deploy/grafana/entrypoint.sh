#!/bin/sh
# Grafana starts only with an operator-chosen admin password (never admin/admin).
set -eu
file="${GF_SECURITY_ADMIN_PASSWORD__FILE:-/run/secrets/grafana_admin_password}"
password="$(cat "$file" 2>/dev/null || true)"
case "$password" in
    ""|admin)
        echo "grafana: refusing to start: write an admin password of your choice to secrets/grafana_admin_password" >&2
        exit 1 ;;
esac
if [ "${#password}" -lt 12 ]; then
    echo "grafana: refusing to start: the admin password needs at least 12 characters" >&2
    exit 1
fi
exec /run.sh "$@"
