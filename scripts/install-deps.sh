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
  # CRM: phone numbers (libphonenumber's headers: see below)
  libphonenumber8 libprotobuf-dev libabsl-dev
  # work orders: SLA calendars in IANA time zones; full-text search
  libicu-dev tzdata libxapian-dev
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
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -ne 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libphonenumber-dev depends on Debian's default Boost (1.74), which conflicts
# with the Boost 1.81 Ting needs (Boost.URL). The library itself
# (libphonenumber8) has no Boost dependency, so Ting installs it with apt and
# takes only the headers from Debian's libphonenumber-dev package, unpacked
# under /usr/local.
PHONE_HEADERS=/usr/local/include/phonenumbers/phonenumberutil.h
if [ ! -f "$PHONE_HEADERS" ]; then
  echo "installing libphonenumber headers from Debian's libphonenumber-dev"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download libphonenumber-dev >/dev/null 2>&1 || {
    $SUDO apt-get update -qq && apt-get download libphonenumber-dev >/dev/null; })
  dpkg-deb -x "$tmp"/libphonenumber-dev_*.deb "$tmp/root"
  $SUDO mkdir -p /usr/local/include
  $SUDO cp -r "$tmp/root/usr/include/phonenumbers" /usr/local/include/
  rm -rf "$tmp"
fi
