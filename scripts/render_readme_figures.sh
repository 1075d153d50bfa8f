#!/usr/bin/env bash
# Rerun the built-in default case and refresh the figures that README.md shows.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
ecmjax run --out "$out"
cp "$out/damage.png" docs/images/default_damage.png
cp "$out/history.png" docs/images/default_history.png
echo "figures refreshed from $out"
