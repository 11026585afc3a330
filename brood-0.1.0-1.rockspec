-- LuaRocks: `luarocks --lua-version 5.4 make` in this directory builds
-- brood with its own build system (meson and ninja, which must be
-- installed: Debian's meson, ninja-build, pkgconf and liblua5.4-dev) and
-- installs the modules into the rock tree for stock Lua 5.4. meson.build
-- stays the one list of sources.
rockspec_format = "3.0"
package = "brood"
version = "0.1.0-1"
source = {
  url = "git+file://.",
}
description = {
  summary = "The Unix process toolkit for Lua 5.4: fork, exec, wait, signals, pipes, spawn",
  detailed = [[
brood gives Lua 5.4 the whole Unix process toolkit -- fork, exec, wait,
signals, pipes, socket pairs, sessions, spawn, daemons -- with the names
and semantics of Ruby's Process, Signal, IO and Socket. The rock installs
the modules (brood.process, brood.signal, brood.io, brood.socket,
brood.open3, brood.task, brood.supervisor, brood.systemd), their editor
annotations (brood/types) and the brood interpreter.]],
  license = "MIT",
  labels = {"unix", "process", "signals", "fork"},
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
build = {
  type = "command",
  -- a fresh build directory each time; shared and static libraries, the
  -- header and man pages stay inside the rock's directory (native/,
  -- include/, share/), the modules go where LuaRocks deploys them
  build_command = [[
rm -rf build-rock &&
meson setup build-rock --prefix="$(PREFIX)" --libdir=native --buildtype=release \
  -Dtests=false -Dlua_cmoddir="$(LIBDIR)" -Dlua_lmoddir="$(LUADIR)" &&
ninja -C build-rock]],
  install_command = [[meson install -C build-rock --no-rebuild --quiet && rm -rf build-rock]],
}
