#!/usr/bin/env bash
# Fuzzes the running API against its own OpenAPI document with schemathesis (PyPI, pinned):
# starts `tocsin serve --config examples/minimal` on a free port over a fresh SQLite file, with an
# admin token, and runs every operation with a bounded number of generated requests under a time
# bound. Fails on any 5xx answer (`not_a_server_error`) and on any answer that does not match the
# documented status codes' schemas (`response_schema_conformance`). Run from anywhere:
# `bash .ci/schemathesis.sh` (after `cargo build`; builds the binary if it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION="4.32.5"
# Generated requests per operation, and the whole run's time bound (seconds).
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-25}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-240}"

work="$(mktemp -d)"
venv="$(realpath -m "${SCHEMATHESIS_VENV:-${CARGO_TARGET_DIR:-target}/schemathesis-venv}")"
if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build --locked --quiet --bin tocsin
bin="$(realpath "${CARGO_TARGET_DIR:-target}/debug/tocsin")"

server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

store="sqlite://$work/tocsin.db"
# Decoy users first: the fuzzer revokes tokens by guessed ids, and small ids are guessed first.
for _ in 1 2 3 4 5 6 7 8; do
  "$bin" token create --role auditor --store "$store" >/dev/null
done
token="$("$bin" token create --role admin --name schemathesis --store "$store")"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"

RUST_LOG=warn "$bin" serve --config examples/minimal --store "$store" --listen "127.0.0.1:$port" \
  >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$base/healthz" >/dev/null

# Something to find: the smoke readings moved into the last hour open warnings 1, 2 and 3.
python3 - examples/minimal/smoke.ndjson >"$work/smoke.ndjson" <<'PY'
import datetime, json, sys
items = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
parse = lambda ts: datetime.datetime.fromisoformat(ts)
shift = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=2) - max(parse(i["ts"]) for i in items)
for item in items:
    item["ts"] = (parse(item["ts"]) + shift).isoformat()
    print(json.dumps(item))
PY
curl -fsS -H "Authorization: Bearer $token" -H "Content-Type: application/x-ndjson" \
  --data-binary "@$work/smoke.ndjson" "$base/api/v1/readings"
echo

fuzz() {
  # From the scratch directory: schemathesis and hypothesis keep caches in the working directory.
  (cd "$work" && "$venv/bin/st" run "$base/api/v1/openapi.json" \
    --url "$base" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples "$MAX_EXAMPLES" \
    --workers 2 \
    --request-timeout 10 \
    --seed 10 \
    --no-color \
    "$@")
}
status=0
# Revoking tokens last and alone: a guessed id could be the fuzzer's own token.
fuzz --max-time "$MAX_TIME" --exclude-operation-id revoke || status=$?
fuzz --max-time 30 --include-operation-id revoke || status=$?

if [ "$status" -ne 0 ]; then
  echo "schemathesis found problems (exit $status); server log tail:"
  tail -n 40 "$work/serve.log"
fi
if grep -q "panicked" "$work/serve.log"; then
  echo "the server panicked during the fuzz run:"
  grep -n -A5 "panicked" "$work/serve.log" | head -n 40
  status=1
fi
exit "$status"
