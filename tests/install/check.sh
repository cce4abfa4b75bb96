#!/usr/bin/env bash
# make install PREFIX=... gives another C++ project what it needs: the programs, man pages,
# completions, headers, library, CMake package and pkg-config file.
# Usage: check.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d /tmp/mm-install-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/mm-inspect bin/mm-tokenize bin/mm-render share/mm/models/default/config.json share/man/man1/mm-inspect.1 share/man/man5/mmt.5 \
         share/bash-completion/completions/mm-inspect share/zsh/vendor-completions/_mm-inspect \
         share/fish/vendor_completions.d/mm-inspect.fish include/mm/stream/reader.h include/mm/version.h \
         lib/cmake/mm/mmConfig.cmake lib/pkgconfig/mm.pc; do
  [[ -e $prefix/$f ]] || { echo "not installed: $f"; exit 1; }
done
"$prefix/bin/mm-inspect" --version

# CMake: find_package(mm)
cmake -S "$here/consumer" -B "$scratch/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$scratch/cmake" >/dev/null
LD_LIBRARY_PATH=$prefix/lib "$scratch/cmake/consumer"

# pkg-config
flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs mm)
g++ -std=c++17 "$here/consumer/main.cpp" $flags -o "$scratch/pc-consumer"
LD_LIBRARY_PATH=$prefix/lib "$scratch/pc-consumer"

# The installed programs find the installed default bundle.
echo "installed bundle" | "$prefix/bin/mm-tokenize" | "$prefix/bin/mm-render"
