#!/usr/bin/env bash
# The console in headless Chromium (run by `make test`): starts
# `responder serve` on a fresh data directory, posts one alarm with awscurl,
# then runs the Playwright tests. Screenshots: tests/browser/artifacts/.
# Needs: target/debug/responder, .venv-tools (make tools), Debian's chromium,
# and `npm ci` here.
set -euo pipefail
cd "$(dirname "$0")/../.."

source tests/serve.sh
export RESPONDER_ACCESS_KEY_ID=AKIDCONSOLETEST
export RESPONDER_SECRET_ACCESS_KEY=console-test-secret-key
export RESPONDER_CONSOLE_TOKEN=console-test-token-0123456789abcdef
start_serve browser "${CONSOLE_PORT:-18788}"
.venv-tools/bin/awscurl --service execute-api --region us-east-1 \
  --access_key "$RESPONDER_ACCESS_KEY_ID" --secret_key "$RESPONDER_SECRET_ACCESS_KEY" \
  -X POST "$URL/events" -H 'Content-Type: application/json' \
  -d @events/eventbridge/metric-alarm-lambda-errors.json >/dev/null
cd tests/browser
CONSOLE_URL="$URL" CONSOLE_TOKEN="$RESPONDER_CONSOLE_TOKEN" npm test
