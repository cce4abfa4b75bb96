#!/usr/bin/env bash
# Reproduces models/default/text-bpe.json, the default text and code vocabulary, from real
# English and source code that Debian packages ship (python3.11-doc, libc6-dev, python3.11
# and base-files; scripts/setup.sh installs them). Held out for `make bench`: the Python
# library reference (English) and opencv-doc's C++ samples, which are not fit on.
# Usage: scripts/fit-text-tokenizer.sh [BINDIR] [OUTPUT]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bindir=${1:-$root/build/bin}
output=${2:-$root/models/default/text-bpe.json}
list=$(mktemp)
trap 'rm -f "$list"' EXIT
{
  find /usr/share/doc/python3.11/html/_sources -name '*.txt' -not -path '*/_sources/library/*'
  find /usr/share/common-licenses -type f
  ls /usr/lib/python3.11/*.py
  find /usr/include -maxdepth 1 -name '*.h'
} | LC_ALL=C sort >"$list"
echo "fit-text-tokenizer: $(wc -l <"$list") files, $(xargs cat <"$list" | wc -c) bytes" >&2
xargs "$bindir/mm-fit-bpe" -v --vocab-size 32000 --min-frequency 2 -f -o "$output" <"$list"
