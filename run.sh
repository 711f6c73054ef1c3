#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine for media-hub (system libraries for the codecs, ffmpeg),
# build the release binary, and run it:   ./run.sh serve   (then open http://127.0.0.1:8080)
# Any media-hub subcommand works: ./run.sh executions, ./run.sh thumbnails --out t x.jpg ...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
pkgs=$(grep -v '^\s*#' .ci/apt-packages.txt | sed 's/#.*//' | xargs)
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi
cargo build --release -p cli >&2
exec target/release/media-hub "$@"
