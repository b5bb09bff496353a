#!/usr/bin/env bash
# Every test of Ting, as CI runs it (`make test`):
#   1. build with clang, AddressSanitizer and UBSan (preset asan: server, tests, fuzzers);
#   2. unit tests (ctest) against SQLite and a private PostgreSQL cluster;
#   3. API integration tests: a real `ting serve` on loopback, on both backends;
#   4. each libFuzzer target briefly over its seed corpus.
# Exits non-zero on any failure. FUZZ_SECONDS (default 20) sets the fuzzing time.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Let ccache reuse objects across clones in different directories (CI clones afresh).
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true

failures=()
step() { echo; echo "=== $*"; }

step "build (asan preset)"
cmake --preset asan >/dev/null || exit 1
cmake --build --preset asan || exit 1

work=$(mktemp -d /tmp/ting-test.XXXXXX)
chmod 755 "$work"
pg_dir="$work/pg"
cleanup() {
  bash tests/pg_cluster.sh stop "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "PostgreSQL cluster"
pg_url=$(bash tests/pg_cluster.sh start "$pg_dir") || { echo "cannot start PostgreSQL"; exit 1; }
echo "$pg_url"
export TING_TEST_PG_URL="$pg_url"

step "unit tests (SQLite and PostgreSQL)"
ctest --preset asan -j2 || failures+=("unit tests")

export TING_BIN="$root/build/asan/ting"
for backend in sqlite postgres; do
  step "API integration tests ($backend)"
  TING_TEST_BACKEND=$backend /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/api \
    || failures+=("API tests on $backend")
done

step "telephony tests (SIPp, real SIP and RTP)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/telephony || failures+=("telephony tests")

step "fuzzers"
FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash tools/run-fuzzers.sh build/asan "$work/fuzz" \
  || failures+=("fuzzers")

echo
if [ ${#failures[@]} -ne 0 ]; then
  echo "FAILED: ${failures[*]}"
  exit 1
fi
echo "all tests passed"
