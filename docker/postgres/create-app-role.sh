#!/bin/sh
# Run once by the postgres image when its data volume is first made (/docker-entrypoint-initdb.d): the role the app
# connects as (DATABASE_URL). It owns nothing; `manage.py migrate`, run as the owner (POSTGRES_USER, DATABASE_OWNER_URL),
# grants it reading and writing rows, and only reading and adding on the audit trail.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set app_password="${POSTGRES_APP_PASSWORD:?set POSTGRES_APP_PASSWORD}" <<'SQL'
CREATE ROLE rehab_app LOGIN PASSWORD :'app_password';
SQL
