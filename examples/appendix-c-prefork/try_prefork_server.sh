#!/bin/sh
# Plays the second terminal for prefork_server.lua: starts it on a free
# port, makes six requests with curl, then sends INT to the master, which
# forwards it to its workers; prints the server's output last.
# usage: BROOD=build/brood EXAMPLE=examples/appendix-c-prefork/prefork_server.lua sh try_prefork_server.sh
out=$(mktemp)
PORT=0 "$BROOD" "$EXAMPLE" >"$out" 2>&1 &
server=$!
i=0
until grep -q '^listening on port' "$out"; do
  i=$((i + 1)); [ $i -gt 400 ] && { echo "server did not start"; kill $server; exit 1; }
  sleep 0.05
done
port=$(sed -n 's/^listening on port \([0-9]*\)$/\1/p' "$out")
for _ in 1 2 3 4 5 6; do
  curl -s --http0.9 "http://127.0.0.1:$port/"
done
kill -INT $server
wait $server
echo "server exited with status $?"
cat "$out"
rm -f "$out"
