#!/bin/sh
# The rock: `luarocks --lua-version 5.4 make` builds brood from a copy of
# the source tree and installs it into a scratch tree; stock lua5.4 then
# loads every module from there, as a LuaRocks user's would.
# usage: rock.sh SOURCE_DIR
set -u
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ -z "${2-}" ] || sed 's/^/# /' "$2"; }

# the tracked files only: no build directories, no stale objects
mkdir "$tmp/src"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$src" && git ls-files -z --cached --others --exclude-standard |
     xargs -0 cp --parents -t "$tmp/src" 2>/dev/null)
else
  (cd "$src" && tar --exclude='./build*' -cf - .) | (cd "$tmp/src" && tar -xf -)
fi
spec=$(cd "$tmp/src" && ls brood-*.rockspec | head -n 1)
if (cd "$tmp/src" && luarocks --lua-version 5.4 --tree "$tmp/tree" make "$spec") \
     >"$tmp/make.txt" 2>&1; then
  ok "luarocks --lua-version 5.4 make $spec installs into a tree"
else
  notok "luarocks --lua-version 5.4 make $spec installs into a tree" "$tmp/make.txt"
  echo "1..$n"
  exit 1
fi

paths=$(luarocks --lua-version 5.4 --tree "$tmp/tree" path)
if (eval "$paths"; LUA_INIT= LUA_INIT_5_4= lua5.4 - "$tmp/tree") >"$tmp/req.txt" 2>&1 <<'LUA'
local tree = arg[1]
for _, name in ipairs{"brood", "brood.process", "brood.signal", "brood.io", "brood.socket",
                      "brood.open3", "brood.task", "brood.supervisor", "brood.systemd"} do
  local m, where = require(name)
  assert(type(m) == "table", name)
  assert(where:sub(1, #tree) == tree, name .. " came from " .. where)
end
assert(require("brood.process").pid() > 1)
LUA
then
  ok "stock lua5.4 requires every module from the tree"
else
  notok "stock lua5.4 requires every module from the tree" "$tmp/req.txt"
fi

if [ "$("$tmp/tree/bin/brood" -e 'io.write(require("brood").version)' 2>"$tmp/bin.txt")" \
     = "$(sed -n "s/^ *version: *'\([0-9.]*\)'.*/\1/p" "$src/meson.build")" ]; then
  ok "the tree's bin/brood runs"
else
  notok "the tree's bin/brood runs" "$tmp/bin.txt"
fi

# the editor annotations ship in the rock, beside the modules
if [ -f "$tmp/tree/share/lua/5.4/brood/types/brood/process.lua" ] &&
   head -n 1 "$tmp/tree/share/lua/5.4/brood/types/brood/process.lua" | grep -q '^---@meta'; then
  ok "the LuaLS annotations are installed in the tree (share/lua/5.4/brood/types)"
else
  notok "the LuaLS annotations are installed in the tree (share/lua/5.4/brood/types)"
fi
echo "1..$n"
