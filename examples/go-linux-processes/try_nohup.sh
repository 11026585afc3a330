#!/bin/sh
# Plays the terminal for web_server.lua: SIGHUP is what a closing terminal
# sends. Started plainly, the server dies of it; started with nohup, it
# keeps answering. Prints the requests' status codes, how each server
# ended, and what each logged.
# usage: BROOD=build/brood EXAMPLE=examples/go-linux-processes/web_server.lua sh try_nohup.sh
dir=$(mktemp -d)
start() {  # $1: "" or "nohup"; sets $server and $port
  : >"$dir/err"
  PORT=0 $1 "$BROOD" "$EXAMPLE" >"$dir/out.$2" 2>"$dir/err" &
  server=$!
  i=0
  until grep -q 'listening on port' "$dir/err"; do
    i=$((i + 1)); [ $i -gt 400 ] && { echo "server did not start"; kill $server; exit 1; }
    sleep 0.05
  done
  port=$(sed -n 's/^listening on port \([0-9]*\)$/\1/p' "$dir/err")
}
request() { curl -s -o /dev/null -w "$1: %{http_code}\n" "http://127.0.0.1:$port/"; }

start "" plain
request "plain, before SIGHUP"
kill -HUP $server
wait $server 2>/dev/null
echo "plain server ended with status $? (128 + SIGHUP's 1)"

start nohup nohup
request "nohup, before SIGHUP"
kill -HUP $server
request "nohup, after SIGHUP"
kill -TERM $server
wait $server 2>/dev/null
echo "nohup server ended with status $? (128 + SIGTERM's 15)"
echo "plain server's log:"; cat "$dir/out.plain"
echo "nohup server's log:"; cat "$dir/out.nohup"
rm -rf "$dir"
