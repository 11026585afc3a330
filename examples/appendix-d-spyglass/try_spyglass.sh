#!/bin/sh
# Plays the client for spyglass.lua: two requests start a master and are
# answered by workers; after the idle timeout (IDLE=1) the master stops;
# one more request starts a new master; then TERM stops the lookout.
# Prints the answers, then the server's log.
# usage: BROOD=build/brood EXAMPLE=examples/appendix-d-spyglass/spyglass.lua sh try_spyglass.sh
out=$(mktemp)
PORT=0 IDLE=1 "$BROOD" "$EXAMPLE" >"$out" 2>&1 &
server=$!
waitfor() {  # a bounded wait for a line in the log
  i=0
  until [ "$(grep -c "$1" "$out")" -ge "${2:-1}" ]; do
    i=$((i + 1)); [ $i -gt 400 ] && { echo "timed out waiting for: $1"; kill $server; exit 1; }
    sleep 0.05
  done
}
waitfor 'listening on port'
port=$(sed -n 's/^lookout: listening on port \([0-9]*\)$/\1/p' "$out")
curl -s "http://127.0.0.1:$port/"
curl -s "http://127.0.0.1:$port/index.html"
curl -s -o /dev/null -w '%{http_code} %{content_type}\n' "http://127.0.0.1:$port/"
waitfor 'the master has exited'
curl -s "http://127.0.0.1:$port/again"
waitfor 'workers started' 2
kill -TERM $server
wait $server
echo "lookout exited with status $?"
cat "$out"
rm -f "$out"
