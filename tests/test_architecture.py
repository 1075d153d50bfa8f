"""The dependency rules of the package, read from the source with :mod:`ast` (nothing of ecmjax is imported).

The layers, lowest first: :mod:`ecmjax.physics` (what is computed), :mod:`ecmjax.solver` (how),
:mod:`ecmjax.inverse` (fitting the model to data), and the application, everything else under ``ecmjax/``
(configuration, model, API, CLI, output, validation).

- physics imports nothing of the solver, the inverse problems or the application;
- the solver imports nothing of the inverse problems or the application;
- the inverse problems use only the public names of :mod:`ecmjax.model` and :mod:`ecmjax.config` (not
  ``_``-prefixed, and listed in the module's ``__all__`` where it has one), besides physics and solver;
- no module imports another package's private (``_``-prefixed) name or module, be it by
  ``from a.b import _x`` or as the attribute ``a.b._x`` of an imported module; nor does any script;
- no module imports its own package's ``__init__`` (which may import the module: a cycle in waiting);
- no two modules import each other, directly or through others.

Every import counts, wherever it stands: at the top of a module, in a function, under a condition.
An import is an edge from the importing module to the module it names: ``import a.b`` and ``from a.b
import x`` lead to ``a.b`` (the ``__init__`` of a package), but to the submodule ``a.b.x`` where ``x`` is
one. The ``__init__`` of the packages above a module, which Python runs before it, is not counted: that is
why an ``__init__`` must stay light and never be imported by its own package's modules.

Files map to modules through ``[tool.setuptools.package-dir]`` of ``pyproject.toml``.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PHYSICS, SOLVER, INVERSE = "ecmjax.physics", "ecmjax.solver", "ecmjax.inverse"
MODEL, CONFIG = "ecmjax.model", "ecmjax.config"


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@dataclasses.dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool

    @property
    def package(self) -> str:
        """The package the module belongs to (a package's ``__init__`` belongs to the package itself)."""
        return self.name if self.is_package else self.name.rpartition(".")[0]

    def where(self, line: int) -> str:
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{path}:{line}"


@dataclasses.dataclass(frozen=True)
class Import:
    """One imported module (``name is None``) or one name taken from a module."""

    importer: Module
    line: int
    module: str
    name: str | None
    how: str
    """The import as written, for the messages."""

    @property
    def target(self) -> str:
        return self.module if self.name is None else f"{self.module}.{self.name}"


def _modules() -> dict[str, Module]:
    """Every module of the package by its dotted name, found through the setuptools package directories."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        package_dir = tomllib.load(file)["tool"]["setuptools"]["package-dir"]
    modules = {}
    for package, directory in package_dir.items():
        base = ROOT / directory
        for path in sorted(base.rglob("*.py")):
            relative = path.relative_to(base).with_suffix("").parts
            is_package = relative[-1] == "__init__"
            parts = relative[:-1] if is_package else relative
            name = ".".join((package, *parts))
            if name in modules or not all(part.isidentifier() for part in parts):
                continue  # another package-dir entry's file (ecmjax/ holds no physics/), or not importable
            modules[name] = Module(name, path, is_package)
    return modules


MODULES = _modules()
SCRIPTS = [Module(f"scripts.{path.stem}", path, False) for path in sorted((ROOT / "scripts").glob("*.py"))]


def _imports(module: Module) -> Iterator[Import]:
    """Every import of ecmjax in ``module``, and every ``_``-prefixed attribute of an imported ecmjax module."""
    tree = ast.parse(module.path.read_text(encoding="utf-8"), str(module.path))
    bound: dict[str, str] = {}  # local name -> the ecmjax module it is bound to (scopes are not told apart)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _within(alias.name, "ecmjax"):
                    yield Import(module, node.lineno, alias.name, None, f"import {alias.name}")
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        bound["ecmjax"] = "ecmjax"
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:  # relative: resolved for completeness (the house style is absolute imports)
                base = module.package.split(".")[: len(module.package.split(".")) - node.level + 1]
                source = ".".join([*base, *([source] if source else [])])
            if not _within(source, "ecmjax"):
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                how = f"from {source} import {alias.name}"
                if submodule in MODULES:
                    yield Import(module, node.lineno, submodule, None, how)
                    bound[alias.asname or alias.name] = submodule
                else:
                    yield Import(module, node.lineno, source, alias.name, how)
    for node in ast.walk(tree):
        # a.b._x: the longest dotted prefix naming a module, then the attribute taken from it.
        if not isinstance(node, ast.Attribute):
            continue
        chain, inner = [], node
        while isinstance(inner, ast.Attribute):
            chain.append(inner.attr)
            inner = inner.value
        if not isinstance(inner, ast.Name) or inner.id not in bound:
            continue
        dotted = [bound[inner.id], *reversed(chain)]
        split = next(k for k in range(len(dotted), 0, -1) if k == 1 or ".".join(dotted[:k]) in MODULES)
        if split < len(dotted) and _private(dotted[split]):
            head = ".".join(dotted[:split])
            yield Import(module, node.lineno, head, dotted[split], ".".join(dotted[: split + 1]))


IMPORTS = [imp for module in MODULES.values() for imp in _imports(module)]


def _report(violations: list[str], rule: str) -> str:
    return f"{len(violations)} violation(s) of: {rule}\n  " + "\n  ".join(sorted(set(violations)))


def _layer_violations(layer: str, allowed: tuple[str, ...]) -> list[str]:
    return [
        f"{imp.importer.where(imp.line)}: {imp.how}"
        for imp in IMPORTS
        if _within(imp.importer.name, layer) and not any(_within(imp.module, ok) for ok in allowed)
    ]


def test_the_checks_find_what_they_look_for(tmp_path):
    """The rules below hold vacuously if the map from files to modules, or the reading of imports, is wrong."""
    for name in (PHYSICS, f"{PHYSICS}.kinetics", SOLVER, f"{SOLVER}.linear.krylov", INVERSE, f"{INVERSE}.fit"):
        assert name in MODULES, f"{name} not found: check the package-dir of pyproject.toml"
    assert MODULES["ecmjax.solver.linear"].is_package and not MODULES[f"{SOLVER}.grid"].is_package
    source = tmp_path / "probe.py"
    source.write_text(
        "import ecmjax.model.simulation as sim\n"
        "from ecmjax.solver import checkpoint\n"
        "from ecmjax.model.simulation import _start, run\n"
        "def f():\n"
        "    import ecmjax.solver.grid\n"
        "    return sim._advance, checkpoint._hidden, checkpoint.save, ecmjax.solver.grid._private.x, run\n"
    )
    imports = list(_imports(Module("scripts.probe", source, False)))
    targets = {imp.target for imp in imports}
    assert {f"{MODEL}.simulation", f"{SOLVER}.checkpoint", f"{MODEL}.simulation.run", f"{SOLVER}.grid"} <= targets
    found = {line.split(": ", 1)[1] for line in _private_violations(imports)}
    assert found == {
        f"from {MODEL}.simulation import _start",
        f"{MODEL}.simulation._advance",
        f"{SOLVER}.checkpoint._hidden",
        f"{SOLVER}.grid._private",
    }, found
    assert any(imp.importer.name == f"{INVERSE}.fit" for imp in IMPORTS)


def test_physics_imports_only_physics():
    violations = _layer_violations(PHYSICS, (PHYSICS,))
    assert not violations, _report(violations, "physics imports nothing of the solver, inverse or the application")


def test_solver_imports_only_physics_and_solver():
    violations = _layer_violations(SOLVER, (PHYSICS, SOLVER))
    assert not violations, _report(violations, "the solver imports nothing of the inverse problems or the application")


def _public_names(module: str) -> set[str] | None:
    """The names in ``module``'s ``__all__`` (a literal list or tuple), or None if it has none."""
    if module not in MODULES:
        return None
    tree = ast.parse(MODULES[module].path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                return set(ast.literal_eval(node.value))
    return None


def test_inverse_uses_the_public_names_of_model_and_config_only():
    violations = _layer_violations(INVERSE, (PHYSICS, SOLVER, INVERSE, MODEL, CONFIG))
    for imp in IMPORTS:
        if not _within(imp.importer.name, INVERSE) or not (_within(imp.module, MODEL) or _within(imp.module, CONFIG)):
            continue
        public = _public_names(imp.module)
        if imp.name is not None and (_private(imp.name) or (public is not None and imp.name not in public)):
            violations.append(f"{imp.importer.where(imp.line)}: {imp.how} (not in {imp.module}.__all__)")
    assert not violations, _report(
        violations,
        "the inverse problems use only public names of ecmjax.model and ecmjax.config (and physics, solver);"
        " nothing of the CLI, API, output or validation",
    )


def _private_violations(imports: list[Import]) -> list[str]:
    """Imports of a private name or module that belongs to another package than the importer's.

    A private name of a module belongs to the module's package; a private name or submodule of a package
    (its ``__init__``) to the package itself. A sub-package is another package.
    """
    violations = []
    for imp in imports:
        parts = imp.target.split(".")
        private = [depth for depth in range(1, len(parts)) if _private(parts[depth])]
        if not private:
            continue
        owner = ".".join(parts[: private[0]])
        package = owner if owner not in MODULES or MODULES[owner].is_package else owner.rpartition(".")[0]
        if imp.importer.package != package:
            violations.append(f"{imp.importer.where(imp.line)}: {imp.how}")
    return violations


def test_no_module_imports_another_packages_private_names():
    violations = _private_violations(IMPORTS)
    assert not violations, _report(violations, "no module imports another package's private (_-prefixed) name")


def test_no_script_imports_private_names():
    violations = _private_violations([imp for script in SCRIPTS for imp in _imports(script)])
    assert not violations, _report(violations, "scripts use only the public names of ecmjax")


def test_no_module_imports_its_own_package_init():
    violations = [
        f"{imp.importer.where(imp.line)}: {imp.how}"
        for imp in IMPORTS
        if not imp.importer.is_package and imp.module == imp.importer.package and imp.name is not None
    ]
    assert not violations, _report(
        violations, "a module imports its siblings by their full name, never its own package's __init__"
    )


def _cycles(edges: dict[str, dict[str, list[Import]]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return components


def test_no_import_cycles():
    edges: dict[str, dict[str, list[Import]]] = {name: {} for name in MODULES}
    for imp in IMPORTS:
        if imp.module in MODULES and imp.module != imp.importer.name:
            edges[imp.importer.name].setdefault(imp.module, []).append(imp)
    violations = []
    for component in _cycles(edges):
        members = set(component)
        lines = {
            f"{imp.importer.where(imp.line)}: imports {target}"
            for name in component
            for target, imports in edges[name].items()
            if target in members
            for imp in imports
        }
        violations.append(f"cycle among {', '.join(component)}:\n    " + "\n    ".join(sorted(lines)))
    assert not violations, _report(violations, "no import cycle between modules (function-level imports count)")
