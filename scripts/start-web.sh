#!/bin/sh
# Start the portal: migrate, load the seed organisation into an empty database, then serve with
# gunicorn (settings in scripts/gunicorn.conf.py). The container's command and the CI smoke test
# both run this script, so what CI checks is what production runs.
set -eu
cd "$(dirname "$0")/.."

if [ "${ORGPORTAL_MIGRATE_ON_START:-1}" = "1" ]; then
    python scripts/prepare_database.py
fi
exec gunicorn --config scripts/gunicorn.conf.py orgportal.wsgi:application
