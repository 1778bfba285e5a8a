#!/usr/bin/env bash
# Installs what Shoal needs when it is missing; quiet and quick when all is there.
#
#   bash scripts/setup.sh           build + runtime + test tools
#   bash scripts/setup.sh --serve   build + runtime only (what scripts/serve.sh needs)
#
# Debian packages: nasm (rav1e's assembly), pkg-config, ffmpeg/ffprobe (decoding
# non-Y4M uploads, Opus audio, thumbnails), python3-libtorrent and
# python3-prometheus-client (test clients), openssl and curl (the TLS test),
# nodejs/npm if absent. npm tools for the tests: `npm ci --ignore-scripts` in tests/.
# Works as root without sudo; uses sudo only when not root and it is available.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-all}"
missing=()
have() { command -v "$1" >/dev/null 2>&1; }

have nasm || missing+=(nasm)
have pkg-config || missing+=(pkg-config)
{ have ffmpeg && have ffprobe; } || missing+=(ffmpeg)
if [ "$mode" != "--serve" ]; then
  /usr/bin/python3 -c 'import libtorrent' >/dev/null 2>&1 || missing+=(python3-libtorrent)
  /usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 || missing+=(python3-prometheus-client)
  have npm || missing+=(nodejs npm)
  have openssl || missing+=(openssl)
  have curl || missing+=(curl)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if have sudo; then sudo="sudo"; else
      echo "setup: missing ${missing[*]}; run as root or install them with apt-get" >&2
      exit 1
    fi
  fi
  echo "setup: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! have cargo; then
  echo "setup: cargo not found: install Rust (https://rustup.rs), 1.87 or newer" >&2
  exit 1
fi

if [ "$mode" != "--serve" ]; then
  # Reinstall the npm test tools only when the lock file changed since the last install.
  stamp=tests/node_modules/.shoal-installed-lock
  if [ ! -x tests/node_modules/.bin/peertube-cli ] || ! cmp -s tests/package-lock.json "$stamp"; then
    echo "setup: npm ci --ignore-scripts in tests/"
    (cd tests && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    cp tests/package-lock.json "$stamp"
  fi
fi
