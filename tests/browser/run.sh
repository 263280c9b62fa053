#!/usr/bin/env bash
# The console in headless Chromium (run by `make test`): starts
# `responder serve` on a fresh data directory, posts one alarm with awscurl,
# then runs the Playwright tests. Screenshots: tests/browser/artifacts/.
# Needs: target/debug/responder, .venv-tools (make tools), Debian's chromium,
# and `npm ci` here.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=target/debug/responder
PORT=${CONSOLE_PORT:-18788}
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
export RESPONDER_DATA_DIR="$WORK/data"
export RESPONDER_ACCESS_KEY_ID=AKIDCONSOLETEST
export RESPONDER_SECRET_ACCESS_KEY=console-test-secret-key
export RESPONDER_CONSOLE_TOKEN=console-test-token-0123456789abcdef
cleanup() {
  [[ -n "${SERVER:-}" ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" serve --addr "127.0.0.1:$PORT" 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 50); do
  curl -sf "$URL/health" >/dev/null && break
  sleep 0.1
done
curl -sf "$URL/health" >/dev/null || { cat "$WORK/serve.log"; echo "browser: the server did not start" >&2; exit 1; }
.venv-tools/bin/awscurl --service execute-api --region us-east-1 \
  --access_key "$RESPONDER_ACCESS_KEY_ID" --secret_key "$RESPONDER_SECRET_ACCESS_KEY" \
  -X POST "$URL/events" -H 'Content-Type: application/json' \
  -d @events/eventbridge/metric-alarm-lambda-errors.json >/dev/null
cd tests/browser
CONSOLE_URL="$URL" CONSOLE_TOKEN="$RESPONDER_CONSOLE_TOKEN" npm test
