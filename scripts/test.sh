#!/usr/bin/env bash
# Set up and run briefer's whole test suite, offline except for package installs.
#   bash scripts/test.sh [extra pytest args]
# Creates .venv, installs briefer with its test extras, installs the system
# packages the integration tests use (git, MediaWiki with SQLite) when it can
# (root or passwordless sudo), then runs pytest with the network blocked
# except for loopback, where the tests start their own servers.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

if [ -f .ci/install-system.sh ]; then
  if [ "$(id -u)" = 0 ]; then
    bash .ci/install-system.sh
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo bash .ci/install-system.sh
  else
    echo "note: not root; MediaWiki integration tests skip unless mediawiki and php-sqlite3 are installed" >&2
  fi
fi

exec .venv/bin/python -m pytest --block-network --allowed-hosts=127.0.0.1,localhost,::1 "$@"
