#!/usr/bin/env bash
# The dashboard's tests drive a real browser: Debian's chromium (or the one STRMBRKR_CHROMIUM names).
# Installs it with apt-get when it is missing and this user may; otherwise says how, in one line.
set -euo pipefail
if [ -n "${STRMBRKR_CHROMIUM:-}" ]; then
  [ -x "$STRMBRKR_CHROMIUM" ] && exit 0
  echo "scripts/ensure-chromium.sh: STRMBRKR_CHROMIUM=$STRMBRKR_CHROMIUM is not an executable file" >&2
  exit 1
fi
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "scripts/ensure-chromium.sh: installing Debian's chromium for the dashboard's browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "scripts/ensure-chromium.sh: the dashboard's tests need chromium: sudo apt-get install -y chromium (Debian, Ubuntu), or set STRMBRKR_CHROMIUM to a Chrome or Chromium binary" >&2
exit 1
