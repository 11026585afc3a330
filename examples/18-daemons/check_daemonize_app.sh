#!/bin/sh
# Runs daemonize_app.lua both ways and shows what each daemon reported
# about itself. Both do the same steps (fork, setsid, fork), as the book
# says of Ruby's Process.daemon: the daemon is not a session leader, so it
# can never get a controlling terminal again.
# usage: BROOD=build/brood EXAMPLE=examples/18-daemons/daemonize_app.lua sh check_daemonize_app.sh
for mode in steps daemon; do
  f=$(mktemp -u)
  "$BROOD" "$EXAMPLE" "$mode" "$f"
  i=0
  until grep -q cwd "$f" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 400 ] && { echo "$mode: no report"; exit 1; }
    sleep 0.05
  done
  read -r _ pid _ sid _ cwd <"$f"
  [ "$pid" = "$sid" ] && what="leads its session" || what="is not a session leader"
  echo "$mode: the daemon $what; working directory $cwd"
  rm -f "$f"
done
