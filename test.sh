#!/usr/bin/env bash
# The test command of the README: every package's tests, with the race
# detector on, since the tenant client, simulator, export and import are
# concurrent. Extra arguments go to go test (e.g. -run TestExport -v).
set -euo pipefail
cd "$(dirname "$0")"
go test -race -count=1 -timeout 40m "$@" ./...
