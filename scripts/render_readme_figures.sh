#!/usr/bin/env bash
# Rerun the built-in default case and refresh the figures that README.md shows.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
ecmjax run --out "$out"
cp "$out/potential.png" docs/images/default_potential.png
cp "$out/hoop_stress.png" docs/images/default_hoop_stress.png
echo "figures refreshed from $out"
