#!/usr/bin/env bash
# The system packages the recipes need, installed when missing (used by `just install`,
# `just test` and .ci/run: one list, one place).
#   bash scripts/debian_packages.sh base   Node.js and npm (the shell's npm ci), git,
#                                          Debian's python3.11 (the local interpreter archive)
#   bash scripts/debian_packages.sh test   base + chromium (browser tests), 7zip
#                                          (electron-builder's tar.gz in the release rehearsal)
#                                          and diffoscope-minimal (diff's closer look; without
#                                          its hundred recommended tools)
# As root with apt-get it installs what is missing; otherwise it prints the command to run
# and carries on (the tests that need a missing package skip, and the run's last lines say so).
set -euo pipefail

group="${1:-base}"
missing=()
lean=()  # installed without their recommended packages
have() { command -v "$1" >/dev/null 2>&1; }

have node || missing+=(nodejs)
have npm || missing+=(npm)
have git || missing+=(git)
[ -x /usr/bin/python3.11 ] || missing+=(python3.11)
if [ "$group" = test ]; then
  have chromium || [ -x /usr/bin/chromium ] || missing+=(chromium)
  have 7z || have 7za || have 7zz || missing+=(7zip)
  have diffoscope || lean+=(diffoscope-minimal)
elif [ "$group" != base ]; then
  echo "usage: $0 base|test" >&2
  exit 2
fi

[ ${#missing[@]} -eq 0 ] && [ ${#lean[@]} -eq 0 ] && exit 0
if [ "$EUID" = 0 ] && have apt-get; then
  echo "installing Debian packages: ${missing[*]} ${lean[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || apt-get install -y -qq "${missing[@]}" >/dev/null
  [ ${#lean[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
elif have apt-get; then
  echo "warning: missing Debian packages; run: sudo apt-get install -y ${missing[*]} ${lean[*]}" >&2
else
  echo "warning: missing system packages (Debian names): ${missing[*]} ${lean[*]}" >&2
fi
