#!/usr/bin/env bash
# Runs a Shoal node on the embedded defaults: data in ./data, http://127.0.0.1:9000.
# Extra arguments go to `shoal serve` (e.g. --listen 0.0.0.0:9000 --public-url https://...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --serve
cargo build --release -p shoal-node
exec target/release/shoal serve "$@"
