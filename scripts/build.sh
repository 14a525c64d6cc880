#!/bin/sh
# Build what the portal serves but git does not hold: the compiled translation catalogs and the
# collected, hashed and compressed static files (into STATIC_ROOT, default ./staticfiles).
# The Dockerfile runs it at image build time and the CI smoke test before starting gunicorn.
set -eu
cd "$(dirname "$0")/.."

# These commands read no secret and serve no request; the values only let the settings load
# the way production does (DEBUG off, hashed static file names).
export DEBUG=0 ORGPORTAL_HASHED_STATIC=1
export SECRET_KEY="${SECRET_KEY:-build-time-only-not-a-secret}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-localhost}"

python manage.py compile_catalogs
python manage.py collectstatic --noinput --verbosity 1
