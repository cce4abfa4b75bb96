#!/usr/bin/env bash
# Runs one CLI test script in a scratch directory with the built programs first on PATH,
# and compares everything it printed with the .expected file beside it.
# Usage: run.sh TEST.sh BINDIR        (MM_UPDATE_EXPECTED=1 rewrites the .expected file)
set -u
script=$(realpath "$1")
bindir=$(realpath "$2")
expected=${script%.sh}.expected
scratch=$(mktemp -d /tmp/mm-cli-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/work" && cd "$scratch/work" || exit 1
actual=$scratch/actual
PATH=$bindir:$PATH MM_CAPTURE=$scratch TESTS=$(dirname "$script") LC_ALL=C bash -c \
  "source '$(dirname "$script")/lib.sh'; source '$script'" >"$actual" 2>&1
if [[ ${MM_UPDATE_EXPECTED:-} == 1 ]]; then
  cp "$actual" "$expected"
  echo "updated $expected"
  exit 0
fi
if ! diff -u "$expected" "$actual"; then
  echo "FAILED: $(basename "$script") (output differs from $(basename "$expected"); lines with + are new)"
  exit 1
fi
