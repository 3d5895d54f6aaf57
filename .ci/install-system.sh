#!/usr/bin/env bash
# Installs the system packages the publish tests need: a real MediaWiki
# (Debian's package, PHP with SQLite) and git. Idempotent: returns at once
# when everything is already installed.
set -euo pipefail

PACKAGES=(mediawiki php-cli php-sqlite3 php-mbstring php-xml php-intl git)

missing=()
for p in "${PACKAGES[@]}"; do
  # dpkg-query answers "install ok installed" only for fully installed packages
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system: all present (${PACKAGES[*]})"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "install-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends keeps out apache2/mysql-server, which the tests do not use
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-system: done"
