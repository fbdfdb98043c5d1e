#!/usr/bin/env bash
# Prints the matrix results (scripts/matrix.sh's results.tsv: release, python, check,
# result, seconds) as a table, one row per release.
set -euo pipefail
awk -F'\t' '
  { key = $1 " " $2; if (!(key in row)) { order[++n] = key }
    row[key] = row[key] sprintf("  %s %s (%ss)", $3, $4, $5) }
  END { printf "=== ansible-core matrix\n%-14s %-7s %s\n", "ansible-core", "python", "checks"
        for (i = 1; i <= n; i++) { split(order[i], k, " "); printf "%-14s %-7s%s\n", k[1], k[2], row[order[i]] } }
' "$1"
