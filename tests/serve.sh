# Sourced by the scripts that test a live `responder serve` (tests/clients,
# tests/browser): `start_serve NAME PORT` starts it on a fresh data
# directory ($WORK, removed on exit) and waits for /health; $URL is its
# address. Set the RESPONDER_* variables the server needs before calling;
# RESPONDER_BIN runs another build than target/debug/responder.
start_serve() {
  local name=$1 port=$2
  URL="http://127.0.0.1:$port"
  WORK=$(mktemp -d)
  export RESPONDER_DATA_DIR="$WORK/data"
  trap 'stop_serve' EXIT
  "${RESPONDER_BIN:-target/debug/responder}" serve --addr "127.0.0.1:$port" 2>"$WORK/serve.log" &
  SERVER=$!
  for _ in $(seq 50); do
    curl -sf "$URL/health" >/dev/null && return 0
    sleep 0.1
  done
  cat "$WORK/serve.log"
  echo "$name: the server did not start" >&2
  exit 1
}

stop_serve() {
  [[ -n "${SERVER:-}" ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
