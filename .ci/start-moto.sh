#!/usr/bin/env bash
# Start moto's AWS-protocol server (S3, DynamoDB, Step Functions) on loopback for the
# crates/aws tests, then print the variable to export.
#
#   eval "$(bash .ci/start-moto.sh)"      # exports MOTO_ENDPOINT=http://127.0.0.1:5000
#
# Env: MOTO_PORT (default 5000), MOTO_VENV (default $HOME/.cache/media-hub/moto-venv; reuses
# the venv .ci/run made when MOTO_PYTHON names its python), MOTO_LOG (default /tmp/moto.log).
# Idempotent: an already answering server on the port is reused.
set -euo pipefail

port="${MOTO_PORT:-5000}"
url="http://127.0.0.1:${port}"
log="${MOTO_LOG:-/tmp/moto-${port}.log}"

# Any HTTP answer means the server is up (its /moto-api/data.json can itself fail with a 500
# once tests have left odd state behind, which is no reason to start a second server).
answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${url}/moto-api/" 2>/dev/null) || true
  [ -n "$code" ] && [ "$code" != "000" ]
}

if answers; then
  echo "export MOTO_ENDPOINT=${url}"
  exit 0
fi

python="${MOTO_PYTHON:-}"
if [ -z "$python" ]; then
  venv="${MOTO_VENV:-$HOME/.cache/media-hub/moto-venv}"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
  fi
  python="$venv/bin/python"
  if ! "$python" -c 'import moto.server, flask_cors' >/dev/null 2>&1; then
    "$python" -m pip install --quiet --disable-pip-version-check 'moto[server]' >&2
  fi
fi

# Step Functions in moto runs no tasks by default; the tests only need its API
# (StartExecution, DescribeExecution, idempotent names), so that is what we get.
nohup "$python" -m moto.server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
echo $! > "/tmp/moto-${port}.pid"

for _ in $(seq 1 60); do
  if answers; then
    echo "moto answering on ${url} (pid $(cat "/tmp/moto-${port}.pid"), log ${log})" >&2
    echo "export MOTO_ENDPOINT=${url}"
    exit 0
  fi
  sleep 0.5
done
echo "moto did not answer on ${url} within 30 s; log:" >&2
tail -n 40 "$log" >&2 || true
exit 1
