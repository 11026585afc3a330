#!/bin/sh
# serve.sh PORT SECONDS server-command... -- starts a preforking server
# (which listens on 127.0.0.1:PORT and prints "ready"), loads it with wrk
# for SECONDS, prints "result <requests per second>", and kills the
# server's whole session. With PIN=n, the server and wrk run on CPU n
# only; with PIDFILE set, the server gets a USR2 every second (the pid it
# writes there).
set -u
port=$1
secs=$2
shift 2
fifo=$(mktemp -u)
mkfifo "$fifo"
pin=""
[ -n "${PIN:-}" ] && pin="taskset -c $PIN"
setsid $pin "$@" "$port" > "$fifo" &
pid=$!
read -r line < "$fifo"
rm -f "$fifo"
if [ "$line" = ready ]; then
  reloader=""
  if [ -n "${PIDFILE:-}" ]; then
    (while sleep 1; do [ -s "$PIDFILE" ] && kill -USR2 "$(cat "$PIDFILE")"; done) &
    reloader=$!
  fi
  $pin wrk -t2 -c32 -d"${secs}s" "http://127.0.0.1:$port/" 2>&1 |
    awk '/Requests\/sec/ {print "result", $2} /Non-2xx|Socket errors/ {print "# " $0}'
  [ -n "$reloader" ] && kill "$reloader"
fi
/bin/kill -TERM -- "-$pid" 2>/dev/null  # (dash's kill takes no process groups)
sleep 0.2
/bin/kill -KILL -- "-$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit 0
