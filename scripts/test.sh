#!/usr/bin/env bash
# Runs every test: set-up, one release build of the whole workspace (the
# end-to-end tests drive target/release/shoal), then `cargo test` reusing it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
start=$(date +%s)
cargo build --release --workspace --all-targets
echo "test.sh: build took $(( $(date +%s) - start )) s"
start=$(date +%s)
cargo test --release --workspace --no-fail-fast
echo "test.sh: tests took $(( $(date +%s) - start )) s"
