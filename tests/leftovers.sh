#!/usr/bin/env bash
# Fails if a process that the tests start is still running after them:
# moto servers, `responder serve`, local relays, Chromium, the Python clients.
#   tests/leftovers.sh start    remembers what runs already (not ours)
#   tests/leftovers.sh check    names every such process started since, and fails
set -euo pipefail
state=${TMPDIR:-/tmp}/responder-leftovers.$(id -u)
pattern='moto_server|target/(debug|release)/(responder|aws-local|analyze|api|check-cache|deliver|normalize-alert|query-changes|query-history|query-logs|record-outcome|register-alert|request-approval)( |$)|chromium|\.venv-tools/bin/python'

ours() { pgrep -f -- "$pattern" | sort || true; }

case "${1:-}" in
start) ours >"$state" ;;
check)
    sleep 1 # a process told to stop at exit may take a moment
    touch "$state"
    left=$(comm -13 "$state" <(ours))
    if [ -n "$left" ]; then
        echo "leftovers: processes started by the tests are still running:" >&2
        for pid in $left; do ps -o pid=,ppid=,args= -p "$pid" >&2 || true; done
        exit 1
    fi
    echo "leftovers: none"
    ;;
*) echo "usage: $0 start|check" >&2; exit 2 ;;
esac
