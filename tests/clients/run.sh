#!/usr/bin/env bash
# Real clients against a live `responder serve` (run by `make test`):
#   1. awscurl, with docs/api.md's call (tools/list over MCP) and an alert
#      posted to /events;
#   2. the official MCP Python SDK, SigV4-signed, through a whole approval;
#   3. an e-mail approval link: its confirmation page, then its button;
#   4. AWS's SigV4 MCP proxy (mcp-proxy-for-aws) over stdio: tools, a
#      resource, the prompt, an approval, and --read-only;
#   5. an unsigned request, refused as API Gateway refuses it.
# Needs: target/debug/responder and .venv-tools (make tools).
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=.venv-tools/bin
PORT=${CLIENTS_PORT:-18787}
source tests/serve.sh
export RESPONDER_ACCESS_KEY_ID=AKIDCLIENTTEST
export RESPONDER_SECRET_ACCESS_KEY=client-test-secret-key
# E-mail approval requests with signed links to this server.
export RESPONDER_PUBLIC_URL="http://127.0.0.1:$PORT"
export RESPONDER_LINK_SECRET=client-test-link-key
start_serve clients "$PORT"

awscurl() {
  "$VENV/awscurl" --service execute-api --region us-east-1 \
    --access_key "$RESPONDER_ACCESS_KEY_ID" --secret_key "$RESPONDER_SECRET_ACCESS_KEY" "$@"
}
check() { # check NAME JSON PYTHON-EXPRESSION-ON-d
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert $3, sys.argv[1][:400]" "$2" \
    || { echo "clients: $1 failed" >&2; exit 1; }
  echo "clients: $1 ok"
}

# 1. docs/api.md's call.
out=$(awscurl -X POST "$URL/mcp" -H 'Content-Type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}')
check "awscurl tools/list" "$out" "len(d['result']['tools']) == 14 and d['result']['tools'][0]['name'] == 'list_incidents'"
out=$(awscurl -X POST "$URL/events" -H 'Content-Type: application/json' \
  -d @events/eventbridge/metric-alarm-lambda-errors.json)
check "awscurl POST /events" "$out" "d['execution_id'].startswith('arn:aws:states:') and len(d['alerts']) == 1"

# 2. The MCP Python SDK, signed.
"$VENV/python" tests/clients/mcp_sigv4_client.py "$URL/mcp"

# 3. An e-mail approval link: a confirmation page first, the decision only
#    on its button.
out=$(awscurl -X POST "$URL/events" -H 'Content-Type: application/json' \
  -d @events/eventbridge/metric-math-alarm-apigw-5xx-rate.json)
check "awscurl POST /events (second alarm)" "$out" "len(d['alerts']) == 1"
mails="$RESPONDER_DATA_DIR/outbox/approvals"
for _ in $(seq 100); do
  [[ $(ls "$mails"/*.eml 2>/dev/null | wc -l) -ge 2 ]] && break
  sleep 0.1
done
mail=$(ls -t "$mails"/*.eml | head -1)
# The e-mail is MIME (lettre encodes its parts): read it as a mail client would.
link=$(python3 - "$mail" "$URL" <<'PY'
import email, re, sys
message = email.message_from_binary_file(open(sys.argv[1], "rb"))
for part in message.walk():
    if part.get_content_type() == "text/plain":
        text = part.get_payload(decode=True).decode()
        found = re.search(re.escape(sys.argv[2]) + r"/approvals/[A-Za-z0-9_.-]+", text)
        if found:
            print(found.group(0))
            break
PY
)
[[ -n "$link" ]] || { echo "clients: no approval link in $mail" >&2; exit 1; }
page=$(curl -sf "$link")
[[ "$page" == *'<form method="post">'* ]] || { echo "clients: no confirmation page at $link" >&2; exit 1; }
echo "clients: e-mail link shows a confirmation page ok"
decided=$(curl -sf -X POST "$link")
[[ "$decided" == *": APPROVED"* ]] || { echo "clients: the link's button did not approve: $decided" >&2; exit 1; }
echo "clients: e-mail link approves on its button ok"

# 4. AWS's SigV4 MCP proxy (mcp-proxy-for-aws, in its own venv: its `mcp`
#    pin differs from the SDK's), driven over stdio: a third alarm waits for
#    a decision, which the proxy's client takes.
out=$(awscurl -X POST "$URL/events" -H 'Content-Type: application/json' \
  -d @events/eventbridge/composite-alarm.json)
check "awscurl POST /events (for the proxy)" "$out" "len(d['alerts']) == 1"
PROXY=.venv-tools/mcp-proxy/bin
"$PROXY/python" tests/clients/mcp_proxy_client.py "$PROXY/mcp-proxy-for-aws" "$URL/mcp"

# 5. Unsigned: API Gateway's 403.
code=$(curl -s -o "$WORK/refused.json" -w '%{http_code}' -X POST "$URL/mcp" -H 'Content-Type: application/json' -d '{}')
check "unsigned request refused" "$(cat "$WORK/refused.json")" "d == {'message': 'Missing Authentication Token'} and '$code' == '403'"
