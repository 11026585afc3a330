#!/bin/sh
# Runs rack_steps.lua and shows the report its daemon leaves.
# usage: BROOD=build/brood EXAMPLE=examples/18-daemons/rack_steps.lua sh check_rack_steps.sh
f=$(mktemp -u)
"$BROOD" "$EXAMPLE" "$f"
echo "the command returned with status $?"
i=0
until grep -q cwd "$f" 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 400 ] && { echo "no report"; exit 1; }
  sleep 0.05
done
cat "$f"
rm -f "$f"
