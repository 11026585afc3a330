#!/bin/sh
# Plays the second terminal for zombie.lua: takes the child's pid from its
# output and watches the child's state in /proc until it is Z (a zombie),
# as `ps` shows it, then lets the parent finish.
# usage: BROOD=build/brood EXAMPLE=examples/15-zombies/zombie.lua sh see_zombie.sh
out=$(mktemp)
"$BROOD" "$EXAMPLE" >"$out" &
parent=$!
i=0
until [ -s "$out" ]; do
  i=$((i + 1)); [ $i -gt 400 ] && { echo "no pid printed"; exit 1; }
  sleep 0.05
done
pid=$(head -n 1 "$out")
i=0
while [ $i -lt 400 ]; do
  state=$(sed 's/.*) \(.\).*/\1/' "/proc/$pid/stat" 2>/dev/null)
  [ "$state" = Z ] && break
  i=$((i + 1)); sleep 0.05
done
echo "child $pid: state $state in /proc, $(ps -o state= -p "$pid") in ps"
wait $parent
echo "parent exited with status $?"
rm -f "$out"
