#!/usr/bin/env bash
# Regenerates what the option table drives: each man page's OPTIONS section and the bash,
# zsh and fish completions. With --check, changes nothing and fails if a committed file
# differs from what the programs generate (the docs.generated test).
# Usage: scripts/regen-docs.sh [--check] [BINDIR]   (BINDIR defaults to build/bin)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
check=0
if [[ ${1:-} == --check ]]; then check=1; shift; fi
bindir=${1:-$root/build/bin}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
stale=0

# update FILE GENERATED: installs or compares one file
update() {
  if ((check)); then
    if ! cmp -s "$1" "$2"; then
      echo "regen-docs: ${1#$root/} is out of date with the program's options; run scripts/regen-docs.sh" >&2
      diff -u "$1" "$2" >&2 || true
      stale=1
    fi
  elif ! cmp -s "$1" "$2"; then
    mkdir -p "$(dirname "$1")"
    cp "$2" "$1"
    echo "regen-docs: wrote ${1#$root/}"
  fi
}

for dir in "$root"/cmd/mm-*/; do
  program=$(basename "$dir")
  exe=$bindir/$program
  [[ -x $exe ]] || { echo "regen-docs: $exe not built" >&2; exit 1; }
  page=$root/man/$program.1
  [[ -f $page ]] || { echo "regen-docs: $page missing (write it with the generated-options markers)" >&2; exit 1; }
  "$exe" --mm-generate=man >"$scratch/options"
  awk -v options="$scratch/options" '
    /^\.\\" BEGIN GENERATED OPTIONS/ { print; while ((getline line < options) > 0) print line; skip = 1; next }
    /^\.\\" END GENERATED OPTIONS/ { skip = 0 }
    !skip { print }' "$page" >"$scratch/page"
  update "$page" "$scratch/page"
  "$exe" --mm-generate=bash >"$scratch/bash" && update "$root/completions/bash/$program" "$scratch/bash"
  "$exe" --mm-generate=zsh >"$scratch/zsh" && update "$root/completions/zsh/_$program" "$scratch/zsh"
  "$exe" --mm-generate=fish >"$scratch/fish" && update "$root/completions/fish/$program.fish" "$scratch/fish"
done
exit $stale
