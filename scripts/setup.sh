#!/usr/bin/env bash
# Set up a fresh Debian machine for Hotline Monitor: Debian packages when missing, then the venv.
# Idempotent; `make demo` and `make test` call it (via the .venv/.installed stamp).
set -euo pipefail
cd "$(dirname "$0")/.."

# clickhouse-server: the local ClickHouse; redis-server: used when no Redis answers at HOTLINE_REDIS_URL;
# espeak-ng + sox: test speech for the ASR tests; chromium + fonts-wqy-microhei: the dashboard's browser
# tests (Playwright drives Debian's chromium; the font renders the Chinese text).
DEBIAN_PACKAGES=(clickhouse-server clickhouse-client redis-server espeak-ng sox chromium fonts-wqy-microhei)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # policy-rc.d keeps the package from starting a system-wide server: we start our own.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-}
if [[ -z $PYTHON ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON=$candidate; break
    fi
  done
fi
[[ -n $PYTHON ]] || { echo "setup: Python 3.11 is required (apt-get install python3 python3-venv on Debian 12)" >&2; exit 1; }

if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv || { echo "setup: venv failed: apt-get install python3-venv" >&2; exit 1; }
fi
echo "setup: installing Python packages into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,asr,local]"
touch .venv/.installed
echo "setup: done"
