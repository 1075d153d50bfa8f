#!/usr/bin/env bash
# The GPU figures in one go, for a GPU host held for a few minutes (issue 8): the default case in float64
# and float32, the coupled 3D step at 32^3, 64^3 and 128^3 cells against the axisymmetric one
# (bench_3d_coupled.py), and the square pyramid's aspect-ratio trend in 3D (trend_3d_aspect_ratio.py).
# Everything compiles side by side on the host's cores first (one process per program, into a shared
# compilation cache); the device then runs one thing at a time, so the timed steps never share it.
#
# usage: scripts/gpu_checks.sh OUT_DIR [SECONDS]   (stops the trend runs SECONDS after it starts; default 3000)
# CELLS (default "32 64 128"; "" skips the benchmark and the default case) and TREND_SET (--set options of the
# trend runs) shrink it, e.g. for a dry run on a CPU. WORK_DIR (default: a new temporary one) keeps the
# compilation cache and the trend runs' checkpoints: a rerun with the same WORK_DIR continues the runs.
# writes OUT_DIR/: log.txt, bench_3d_coupled_gpu.json, trend_3d_AR0.3_gpu.json, trend_3d_AR3.5_gpu.json,
# runs.tgz (the default runs' results and each trend run's figures)
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:?usage: scripts/gpu_checks.sh OUT_DIR [SECONDS]}")
budget_s=${2:-3000}
read -ra cells <<< "${CELLS-32 64 128}"
read -ra trend_set <<< "${TREND_SET:-}"
mkdir -p "$out"
work=${WORK_DIR:-$(mktemp -d)}
mkdir -p "$work/runs"
export XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 ECMJAX_CACHE_DIR="${ECMJAX_CACHE_DIR:-$work/cache}"
exec > >(tee "$out/log.txt") 2>&1
elapsed() { echo $((SECONDS)); }

nvidia-smi -L
python3 -c "import jax, ecmjax; print('ecmjax', ecmjax.__version__, 'jax', jax.__version__, jax.devices())"

trend_run() {  # SECONDS ASPECT_RATIO [--compile-only]
    timeout "$1" python3 scripts/trend_3d_aspect_ratio.py --aspect-ratios "$2" "${trend_set[@]}" "${@:3}" \
        --out "$out/trend_3d_AR$2_gpu.json" --figures "$work/runs/trend" --checkpoints "$work/checkpoints"
}
default_case() {  # NAME, then --set options
    local name=$1; shift
    ecmjax run --quiet "$@" --out "$work/runs/$name" > "$work/$name.log" 2>&1
    echo "$name ($*): exit $?, $(python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print({k: r[k] for k in ('status', 'failure_time_s', 'n_steps', 'wall_time_s')})" "$work/runs/$name/result.json")"
}

if ((${#cells[@]})); then
    # Compiled side by side (and run: a default case takes seconds on the device) while the benchmark compiles.
    started=()
    for ar in 0.3 3.5; do
        trend_run "$budget_s" "$ar" --compile-only > "$work/compile_$ar.log" 2>&1 &
        started+=($!)
    done
    default_case default_float64 &
    started+=($!)
    default_case default_float32 --set solver.dtype=float32 --set solver.rtol=1e-3 &  # docs/scaling.md, "Precision"
    started+=($!)
    python3 scripts/bench_3d_coupled.py --parallel-compile --cells "${cells[@]}" --repeats 3 --warm-steps 10 \
        --timeout 600 --out "$out/bench_3d_coupled_gpu.json"
    echo "benchmark done at $(elapsed) s"
    wait "${started[@]}"
    cat "$work"/compile_*.log
fi

# The trend runs share the device (nothing of theirs is timed), one process each.
remaining=$((budget_s - $(elapsed)))
if ((remaining > 0)); then
    echo "trend runs: ${remaining} s left"
    trends=()
    for ar in 0.3 3.5; do
        trend_run "$remaining" "$ar" > "$work/trend_$ar.log" 2>&1 &
        trends+=($!)
    done
    for pid in "${trends[@]}"; do wait "$pid"; echo "a trend run ended (status $?) at $(elapsed) s"; done
    for ar in 0.3 3.5; do tr '\r' '\n' < "$work/trend_$ar.log" | grep -v '^$' | tail -n 5; done
else
    echo "no time left for the trend runs (${remaining} s)"
fi
tar czf "$out/runs.tgz" -C "$work/runs" --exclude fields.npz .
