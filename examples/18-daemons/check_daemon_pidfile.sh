#!/bin/sh
# Checks daemon_pidfile.lua from outside: the command returns at once, the
# daemon is running (in a session of its own) with its pid in the file,
# and the file is gone when it exits.
# usage: BROOD=build/brood EXAMPLE=examples/18-daemons/daemon_pidfile.lua sh check_daemon_pidfile.sh
pidfile=$(mktemp -u)
"$BROOD" "$EXAMPLE" "$pidfile"
echo "the command returned with status $?"
i=0
until [ -s "$pidfile" ]; do
  i=$((i + 1)); [ $i -gt 400 ] && { echo "no pid file"; exit 1; }
  sleep 0.05
done
pid=$(cat "$pidfile")
set -- $(sed 's/.*) //' "/proc/$pid/stat")  # state ppid pgrp session ...
[ "$4" = "$pid" ] && leader="leads its own session" || leader="is not a session leader"
state=$1
[ "$state" = R ] && state=S  # seen on a CPU, between its steps, rather than asleep
echo "daemon $pid is running ($state) and $leader"
i=0
while [ -e "$pidfile" ]; do
  i=$((i + 1)); [ $i -gt 400 ] && { echo "the pid file stayed"; kill "$pid"; exit 1; }
  sleep 0.05
done
echo "the pid file was removed when it exited"
