#!/usr/bin/env bash
# Installs what Shoal needs when it is missing; quiet and quick when all is there.
#
#   bash scripts/setup.sh           build + runtime + test tools
#   bash scripts/setup.sh --serve   build + runtime only (what scripts/serve.sh needs)
#
# Debian packages: nasm (rav1e's assembly), pkg-config, ffmpeg/ffprobe (decoding
# non-Y4M uploads, Opus audio, thumbnails), nodejs/npm if absent (the watch page's
# webtorrent player: `npm ci --ignore-scripts` in web/ui/, in both modes), and for
# the tests python3-libtorrent and python3-prometheus-client (test clients),
# chromium and iproute2 (browser tests in a network namespace), openssl and curl
# (the TLS test). npm tools for the tests: `npm ci --ignore-scripts` in tests/.
# Python clients for the federation tests: a venv in tests/.venv from
# tests/requirements.txt (needs python3 with venv and pip).
# npm installs run only when a lock file changed since the last install.
# Works as root without sudo; uses sudo only when not root and it is available.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-all}"
missing=()
have() { command -v "$1" >/dev/null 2>&1; }

have nasm || missing+=(nasm)
have pkg-config || missing+=(pkg-config)
{ have ffmpeg && have ffprobe; } || missing+=(ffmpeg)
have npm || missing+=(nodejs npm)
if [ "$mode" != "--serve" ]; then
  /usr/bin/python3 -c 'import libtorrent' >/dev/null 2>&1 || missing+=(python3-libtorrent)
  /usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 || missing+=(python3-prometheus-client)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  have ip || missing+=(iproute2)
  have openssl || missing+=(openssl)
  have curl || missing+=(curl)
  # The federation tests' Python clients live in a venv (see below).
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
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

# `npm ci --ignore-scripts` in folder $1 when $2 (a file it installs) is missing or
# its lock file changed since the last install. --ignore-scripts: webtorrent's
# dependency ip-set has a preinstall step that insists on pnpm.
npm_install() {
  local dir="$1" marker="$2" stamp="$1/node_modules/.shoal-installed-lock"
  if [ ! -e "$dir/$marker" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "setup: npm ci --ignore-scripts in $dir/"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$dir/package-lock.json" "$stamp"
  fi
}

# The watch page's player (served from web/ui/node_modules by the node).
npm_install web/ui node_modules/webtorrent/dist/webtorrent.min.js
if [ "$mode" != "--serve" ]; then
  # peertube-cli and playwright-core for the tests.
  npm_install tests node_modules/.bin/peertube-cli
  npm_install tests node_modules/playwright-core/package.json
  # Python clients for the federation tests, in tests/.venv (pinned in
  # tests/requirements.txt); reinstalled only when that file changed.
  venv=tests/.venv stamp=tests/.venv/.shoal-installed-requirements
  if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/requirements.txt "$stamp"; then
    echo "setup: pip install -r tests/requirements.txt in $venv/"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
    cp tests/requirements.txt "$stamp"
  fi
fi
