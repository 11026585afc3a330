#!/bin/sh
# Installs brood into a scratch DESTDIR and checks it as a user would:
# stock lua5.4 loads the modules from there, and the embedding example
# builds against the installed brood.pc and runs.
# usage: installed.sh BUILD_DIR SOURCE_DIR BUSTED
set -eu
build=$1
src=$2
busted=$3
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >/dev/null
pc=$(find "$dest" -name brood.pc | head -n 1)
[ -n "$pc" ] || { echo "not ok 1 - brood.pc installed"; exit 1; }
pcdir=$(dirname "$pc")
# The installed brood.pc, relocated into DESTDIR (its Requires, lua5.4,
# stays the system's).
mkdir "$dest/pc"
sed "s|^prefix=|prefix=$dest|" "$pc" > "$dest/pc/brood.pc"
pkg() { PKG_CONFIG_PATH=$dest/pc pkg-config "$@"; }
cmod=$dest$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=lua_cmoddir brood)
lmod=$dest$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=lua_lmoddir brood)
libdir=$dest$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir brood)

# 1. stock lua5.4 through package.path/cpath (TAP from busted)
BROOD_DESTDIR=$dest LUA_PATH_5_4="$lmod/?.lua;$lmod/?/init.lua;;" LUA_CPATH_5_4="$cmod/?.so;;" \
  lua5.4 "$busted" -o TAP "$src/spec/installed_spec.lua" | grep -v '^1\.\.' > "$dest/tap.txt" || true
n=$(grep -c '^\(not \)\{0,1\}ok' "$dest/tap.txt" || true)
cat "$dest/tap.txt"

# 2. the embed example against the installed pkg-config file
n=$((n + 1))
if cc -Wall -Wextra -Werror -o "$dest/host" "$src/examples/embed/host.c" $(pkg --cflags --libs brood) 2>"$dest/cc.txt"; then
  echo "ok $n - examples/embed/host.c builds against the installed brood.pc"
else
  echo "not ok $n - examples/embed/host.c builds against the installed brood.pc"; sed 's/^/# /' "$dest/cc.txt"
fi
n=$((n + 1))
out=$(LD_LIBRARY_PATH=$libdir "$dest/host" "$src/examples/embed/hello.lua" one two 2>&1 || true)
case $out in
  "embedded brood "*", pid "*", args: one two") echo "ok $n - the installed embed example runs";;
  *) echo "not ok $n - the installed embed example runs"; echo "# got: $out";;
esac
n=$((n + 1))
if [ -f "$dest$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=prefix brood)/share/man/man1/brood.1" ]; then
  echo "ok $n - the man page brood(1) is installed"
else
  echo "not ok $n - the man page brood(1) is installed"
fi
n=$((n + 1))
if [ -x "$dest$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=prefix brood)/bin/brood" ]; then
  echo "ok $n - the brood binary is installed"
else
  echo "not ok $n - the brood binary is installed"
fi
echo "1..$n"
