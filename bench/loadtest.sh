#!/usr/bin/env bash
# The load test's four cells: SQLite and PostgreSQL, 20 and 50 connections, each on a fresh
# database holding the Anhua list, each for SECONDS (default 30).
#
#   cargo build --release -p qingdan-api --bin qingdan -p qingdan-tests --bin loadtest
#   bench/loadtest.sh [SECONDS]
#
# Needs psql and a PostgreSQL at PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres)
# that may create the database qingdan_load. Prints each cell's table; exits 1 if any failed.
set -euo pipefail
seconds=${1:-30}
admin=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
bin=target/release
addr=127.0.0.1:18420
work=$(mktemp -d)
status=0
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

run_cell() { # DATABASE_URL CONNECTIONS
  RUST_LOG=warn DATABASE_URL=$1 LISTEN_ADDR=$addr "$bin/qingdan" serve >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -fs "http://$addr/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  echo "== ${1%%:*}, $2 connections"
  "$bin/loadtest" "http://$addr" --connections "$2" --seconds "$seconds" || status=1
  kill "$server"; wait "$server" 2>/dev/null || true
}

for connections in 20 50; do
  rm -f "$work"/load.db*
  run_cell "sqlite://$work/load.db?mode=rwc" "$connections"
  psql "$admin" -qc "DROP DATABASE IF EXISTS qingdan_load WITH (FORCE)" -c "CREATE DATABASE qingdan_load"
  run_cell "${admin%/*}/qingdan_load" "$connections"
done
exit $status
