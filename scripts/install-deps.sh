#!/usr/bin/env bash
# Installs every Debian 12 package Ting needs to build, run and test.
# Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang libclang-rt-14-dev
  clang-format clang-tidy
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libpq-dev libargon2-dev libsodium-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev
  # telephony: SIP, DTMF/tones, TTS, audio files and resampling, IVR HTTP lookups
  libsofia-sip-ua-dev libspandsp-dev libespeak-ng-dev espeak-ng
  libsndfile1-dev libspeexdsp-dev libcurl4-openssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql sqlite3 wrk python3 python3-pytest python3-websocket
  sip-tester baresip sox
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
