#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing.
# Usage: ci/install-deps.sh [extra-package ...]
# Runs apt-get as root, or through sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang
  libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev
  curl jq wrk
  python3 iso-codes
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
