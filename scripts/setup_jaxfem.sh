#!/usr/bin/env bash
# Install JAX-FEM for bench_linear.py's jax-fem contender into a virtual environment of its own.
#
# Usage: scripts/setup_jaxfem.sh [VENV]   (default: .venv-jaxfem at the repository root)
#
# JAX-FEM 0.0.11 imports petsc4py, which comes from Debian (python3-petsc4py); it needs an old JAX
# (0.4.30), numpy < 2 (Debian's petsc4py is built against numpy 1) and basix < 0.9. Debian's
# petsc4py.pth finds the module only with PETSC_DIR set, so the venv gets a .pth of its own that
# names the PETSc directory: no PETSC_DIR is needed at run time. Idempotent; needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv-jaxfem}

say() { echo "setup_jaxfem: $*"; }

if ! dpkg -s python3-petsc4py python3-venv >/dev/null 2>&1; then
    say "apt-get install python3-petsc4py python3-venv"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-petsc4py python3-venv
fi
petsc_dir=$(find /usr/lib/petscdir -mindepth 2 -maxdepth 2 -type d -name '*-real' | sort | tail -n 1)
[ -n "$petsc_dir" ] || { say "no real-valued PETSc under /usr/lib/petscdir"; exit 1; }
say "PETSc at $petsc_dir"

if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv (with the system site packages, for petsc4py)"
    /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
echo '*' >"$venv/.gitignore"  # as Python 3.13's venv writes: keep the venv out of git
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
echo "$petsc_dir/lib/python3/dist-packages" >"$site/debian-petsc4py.pth"
say "petsc4py path written to $site/debian-petsc4py.pth"

say "pip install jax-fem and its pinned dependencies"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    'jax==0.4.30' 'jaxlib==0.4.30' 'jax-fem==0.0.11' pyfiglet meshio gmsh \
    'fenics-basix<0.9' 'numpy<2' 'ml-dtypes<0.5'

say "checking the import"
"$venv/bin/python" -c 'import jax, petsc4py, jax_fem.solver, importlib.metadata as m; print("jax", jax.__version__, \
    "jax-fem", m.version("jax-fem"), "petsc4py", petsc4py.__version__)' | tail -n 1  # after JAX-FEM's banner
