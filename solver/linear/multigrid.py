"""Matrix-free geometric multigrid for the nodal operators of ecmjax, built by probing.

Every field operator of ecmjax (elasticity, the potential's Newton Jacobian, later damage) is the Hessian
of a discrete energy on bilinear (trilinear) elements: a 9-point stencil in 2D, a 27-point one in 3D,
per pair of field components. The hierarchy is built from nothing but the operator's matrix-vector
product, in either dimension:

1. The fine stencil is read off ``9 x components`` (``27 x components``) products with coloured probe
   vectors (no two nodes of one colour are neighbours).
2. Coarse operators are Galerkin products ``R A P`` with bilinear (trilinear) prolongation ``P`` and
   ``R = P^T``, read off the same way on the coarse grid. Galerkin coarsening stays faithful across the 1e6
   stiffness contrast of the void pit and the damaged bands, where rediscretising with averaged
   coefficients would not.
3. Chebyshev polynomials in ``D^-1 A`` smooth (parallel, GPU-friendly; the spectrum is bounded by
   Gershgorin's theorem); the coarsest grid is solved exactly by a dense Cholesky factor (one case at
   a time under ``vmap`` on CPU: :mod:`ecmjax.solver.linear.cpu_batching`).

A symmetric V-cycle is a symmetric positive definite preconditioner for conjugate gradients.
Grids coarsen by halving the cells while every cell count is even; the coarsest grid must then hold
at most ``MAX_COARSEST_UNKNOWNS`` unknowns, otherwise the grid is rejected with the sizes that work.
"""

import itertools
import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from ecmjax.solver.linear.cpu_batching import one_case_at_a_time_on_cpu

LinearMap = Callable[[Array], Array]

COARSEST_TARGET_UNKNOWNS = 600
"""Coarsening stops once a grid has at most this many unknowns (fewer levels compile faster)."""
MAX_COARSEST_UNKNOWNS = 3000
"""Largest coarsest grid (unknowns) factorised densely: 3000 admits 3D grids of ``9 * 2^m`` cells per
side (``10^3`` nodes of 3 components at the coarsest), e.g. the 36^3 cells of a sphere of 24 cells per
radius."""
CHEBYSHEV_DEGREE = 3


def offsets(ndim: int) -> tuple[tuple[int, ...], ...]:
    """Offsets of a node's neighbours and itself, ``3^ndim`` of them, the last axis fastest."""
    return tuple(itertools.product((-1, 0, 1), repeat=ndim))


OFFSETS = offsets(2)

_cholesky = one_case_at_a_time_on_cpu(jnp.linalg.cholesky)
_cholesky_solve = one_case_at_a_time_on_cpu(lambda factor, b: jax.scipy.linalg.cho_solve((factor, True), b))


def _colours(n: int, periodic: bool) -> tuple[Int[Array, " n"], int]:
    """Colour index of each of ``n`` nodes so that neighbours (3-point stencil) never share a colour."""
    colour = jnp.arange(n) % 3
    if periodic and n % 3:
        # The wrap-around pairs the last nodes with the first: give the remainder colours of their own.
        full = n - n % 3
        colour = jnp.where(jnp.arange(n) < full, colour, 3 + jnp.arange(n) - full)
        return colour, 3 + n % 3
    return colour, 3


def colouring(node_shape: tuple[int, ...], periodic_x: bool) -> tuple[Int[Array, "*nodes"], int]:
    """Colour of every node, numbered over the axes' colours with the last axis fastest, and the count."""
    colour, count = jnp.zeros(node_shape, int), 1
    for axis, n in enumerate(node_shape):
        along, n_colours = _colours(n, periodic_x and axis == 0)
        colour = colour * n_colours + along.reshape((-1,) + (1,) * (len(node_shape) - 1 - axis))
        count *= n_colours
    return colour, count


def neighbour(field: Array, offset: tuple[int, ...], periodic_x: bool) -> Array:
    """``field`` at node ``index + offset`` (over the last ``len(offset)`` axes): zero beyond a
    non-periodic edge, wrapped in periodic x (the first of those axes)."""
    for axis, shift in zip(range(-len(offset), 0), offset, strict=True):
        if periodic_x and axis == -len(offset):
            field = jnp.roll(field, -shift, axis=axis)
        elif shift:
            pad = [(0, 0)] * field.ndim
            pad[axis] = (max(-shift, 0), max(shift, 0))
            field = jax.lax.slice_in_dim(
                jnp.pad(field, pad), max(shift, 0), field.shape[axis] + max(shift, 0), axis=axis
            )
    return field


class Stencil(eqx.Module):
    """A 9-point (2D) or 27-point (3D) operator on nodal fields: ``coefficients[a, b, k, *node]`` couples
    component ``a`` of ``node`` to component ``b`` of its neighbour at ``offsets(ndim)[k]``."""

    coefficients: Float[Array, " c c k *nodes"]
    periodic_x: bool = eqx.field(static=True)

    @property
    def offsets(self) -> tuple[tuple[int, ...], ...]:
        return offsets(self.coefficients.ndim - 3)

    def __call__(self, v: Float[Array, " c *nodes"]) -> Float[Array, " c *nodes"]:
        nodes = v.shape[1:]
        if self.periodic_x:
            v = jnp.concatenate([v[:, -1:], v, v[:, :1]], axis=1)
        padded = jnp.pad(v, [(0, 0), (0 if self.periodic_x else 1,) * 2] + [(1, 1)] * (len(nodes) - 1))
        windows = [
            padded[(slice(None),) + tuple(slice(1 + d, 1 + d + n) for d, n in zip(offset, nodes, strict=True))]
            for offset in self.offsets
        ]
        n_components = v.shape[0]
        # One multiply-add per coefficient, written out so that XLA fuses the whole stencil into one loop.
        return jnp.stack(
            [
                sum(
                    self.coefficients[a, b, k] * windows[k][b] for b in range(n_components) for k in range(len(windows))
                )
                for a in range(n_components)
            ]
        )

    def diagonal(self) -> Float[Array, " c *nodes"]:
        centre = self.offsets.index((0,) * (self.coefficients.ndim - 3))
        return jnp.einsum("aa...->a...", self.coefficients[:, :, centre])

    def inverse_diagonal(self) -> Float[Array, " c *nodes"]:
        """``1 / diagonal``, zero where the diagonal is not positive (no SPD row has one)."""
        diagonal = self.diagonal()
        return jnp.where(diagonal > 0, 1.0 / jnp.where(diagonal > 0, diagonal, 1.0), 0.0)


def stencil_of(matvec: LinearMap, like: Float[Array, " c *nodes"], periodic_x: bool) -> Stencil:
    """Read a 9-point (27-point) operator off coloured probes: each neighbour of a node has its own colour.

    A probe is the indicator of one colour (:func:`colouring`) and one component ``b``: 9 to 25 (27)
    probes per component. Its response at a node is the node's coupling to the one neighbour (or
    itself) of that colour, so every (node, offset) coefficient is the response to the probe of the
    neighbour's colour: a gather, with nothing summed (exact). The probes are made and multiplied one
    after another (``lax.map``): memory stays at the responses, not at the probes or the intermediate
    fields of as many products.
    """
    n_components, nodes = like.shape[0], like.shape[1:]
    colour, n_colours = colouring(nodes, periodic_x)
    component = jnp.arange(n_components).reshape((-1,) + (1,) * len(nodes))
    probe = lambda p: ((component == p % n_components) & (colour == p // n_components)).astype(like.dtype)
    responses = jax.lax.map(lambda p: matvec(probe(p)), jnp.arange(n_colours * n_components))  # (colour x b, a)
    responses = jnp.moveaxis(responses.reshape((-1, n_components) + like.shape), (0, 1), (2, 1))  # (a, b, colour)
    # Colour of the neighbour at each offset, -1 beyond an edge (where the coefficient is zero).
    shifted = jnp.stack([neighbour(colour + 1, offset, periodic_x) - 1 for offset in offsets(len(nodes))])
    gathered = jnp.take_along_axis(responses, jnp.maximum(shifted, 0)[None, None], axis=2, mode="clip")
    return Stencil(jnp.where(shifted >= 0, gathered, 0.0), periodic_x)  # (a, b, k, *nodes)


def _prolong_axis(coarse: Array, axis: int, periodic: bool) -> Array:
    """Linear interpolation along ``axis`` from every other node to every node.

    The coarse values go to the even nodes with zeros between them (``lax.pad``'s interior padding), and
    every node adds the mean of its two neighbours: shifts, which XLA splits over the devices of a
    decomposed grid like any stencil (it gathered an interleaving reshape whole onto every device).
    """
    axis %= coarse.ndim
    spacing = [(0, 0, 0)] * coarse.ndim
    spacing[axis] = (0, 1 if periodic else 0, 1)
    spread = jax.lax.pad(coarse, jnp.zeros((), coarse.dtype), spacing)
    if periodic:
        before, after = jnp.roll(spread, 1, axis=axis), jnp.roll(spread, -1, axis=axis)
    else:
        edge = [(0, 0)] * coarse.ndim
        edge[axis] = (1, 0)
        before = jnp.pad(jax.lax.slice_in_dim(spread, 0, -1, axis=axis), edge)
        edge[axis] = (0, 1)
        after = jnp.pad(jax.lax.slice_in_dim(spread, 1, None, axis=axis), edge)
    return spread + 0.5 * (before + after)


def prolong(coarse: Float[Array, " c *coarse"], periodic_x: bool) -> Float[Array, " c *nodes"]:
    """Bilinear (trilinear) interpolation from the coarse nodes (every other fine node) to the fine nodes."""
    for axis in range(1, coarse.ndim):
        coarse = _prolong_axis(coarse, axis, periodic_x and axis == 1)
    return coarse


def _restrict_axis(fine: Array, axis: int, periodic: bool) -> Array:
    """Transpose of :func:`_prolong_axis`: ``c[I] = f[2I] + (f[2I - 1] + f[2I + 1]) / 2``."""
    even = jax.lax.slice_in_dim(fine, 0, None, stride=2, axis=axis)
    odd = jax.lax.slice_in_dim(fine, 1, None, stride=2, axis=axis)
    if periodic:
        return even + 0.5 * (odd + jnp.roll(odd, 1, axis=axis))
    pad = [(0, 0)] * fine.ndim
    pad[axis] = (1, 0)
    before = jnp.pad(odd, pad)
    pad[axis] = (0, 1)
    return even + 0.5 * (before + jnp.pad(odd, pad))


def restrict(fine: Float[Array, " c *nodes"], periodic_x: bool) -> Float[Array, " c *coarse"]:
    """Full-weighting restriction ``R = P^T``, which makes ``R A P`` symmetric."""
    for axis in range(1, fine.ndim):
        fine = _restrict_axis(fine, axis, periodic_x and axis == 1)
    return fine


def coarse_shape(node_shape: tuple[int, ...], periodic_x: bool) -> tuple[int, ...] | None:
    """Node shape after halving the cells, or ``None`` where a cell count is odd or already 1."""
    wraps = [periodic_x and axis == 0 for axis in range(len(node_shape))]
    cells = [n if wrap else n - 1 for n, wrap in zip(node_shape, wraps, strict=True)]
    if any(n % 2 or n < 2 for n in cells):
        return None
    return tuple(n // 2 if wrap else n // 2 + 1 for n, wrap in zip(cells, wraps, strict=True))


class LineFactor(eqx.Module):
    """Block-Thomas factors of every node column's part of a 2D operator: the couplings along ``y``
    (offsets ``(0, -1), (0, 0), (0, 1)``), each a ``c x c`` block, ordered ``(nny, nnx, c, c)``.

    ``pivot_inverse`` is ``M_j^-1`` with ``M_j = D_j - L_j C_j-1``, ``solved_upper`` is ``C_j = M_j^-1 U_j``.
    Unknowns without an equation (a zero diagonal: a fixed displacement) get a unit pivot and no update.
    """

    lower: Float[Array, "nny nnx c c"]
    pivot_inverse: Float[Array, "nny nnx c c"]
    solved_upper: Float[Array, "nny nnx c c"]
    active: Bool[Array, "nny nnx c"]


def line_factor(operator: Stencil) -> LineFactor:
    """Factor each column's block-tridiagonal part of a 2D stencil (:class:`LineFactor`)."""
    coefficients = jnp.moveaxis(operator.coefficients, (0, 1, 4), (3, 4, 0))  # (nny, k, nnx, c, c)
    lower, diagonal, upper = (coefficients[:, operator.offsets.index((0, dy))] for dy in (-1, 0, 1))
    active = jnp.diagonal(diagonal, axis1=-2, axis2=-1) > 0
    diagonal = diagonal + jnp.eye(diagonal.shape[-1]) * ~active[..., None]

    def eliminate(solved_above, row):
        below, centre, above = row
        pivot_inverse = jnp.linalg.inv(centre - below @ solved_above)
        return pivot_inverse @ above, (pivot_inverse, pivot_inverse @ above)

    start = jnp.zeros_like(diagonal[0])
    _, (pivot_inverse, solved_upper) = jax.lax.scan(eliminate, start, (lower, diagonal, upper))
    return LineFactor(lower, pivot_inverse, solved_upper, active)


def line_solve(factor: LineFactor, r: Float[Array, "c nnx nny"]) -> Float[Array, "c nnx nny"]:
    """``B^-1 r`` with ``B`` the columns' block-tridiagonal part: forward and back substitution along ``y``."""
    rows = jnp.moveaxis(r, (0, 2), (2, 0))[..., None]  # (nny, nnx, c, 1)

    def forward(previous, row):
        below, pivot_inverse, rhs = row
        current = pivot_inverse @ (rhs - below @ previous)
        return current, current

    _, partial = jax.lax.scan(forward, jnp.zeros_like(rows[0]), (factor.lower, factor.pivot_inverse, rows))

    def backward(after, row):
        solved_upper, value = row
        current = value - solved_upper @ after
        return current, current

    _, x = jax.lax.scan(backward, jnp.zeros_like(rows[0]), (factor.solved_upper, partial), reverse=True)
    x = jnp.where(factor.active[..., None], x, 0.0)
    return jnp.moveaxis(x[..., 0], (0, 2), (2, 0))


class Level(eqx.Module):
    """One level: its operator and smoother, Jacobi (the inverse diagonal) or, with ``line``, block
    Jacobi over node columns."""

    operator: Stencil
    inverse_diagonal: Float[Array, " c *nodes"]
    eigenvalue_bound: Float[Array, ""]
    line: LineFactor | None = None

    def smoother_inverse(self, r: Float[Array, " c *nodes"]) -> Float[Array, " c *nodes"]:
        if self.line is None:
            return self.inverse_diagonal * r
        return line_solve(self.line, r)


class Hierarchy(eqx.Module):
    """Smoothed levels, fine to coarse, and the Cholesky factor of the coarsest operator."""

    levels: list[Level]
    coarsest_factor: Float[Array, "n n"]


def _eigenvalue_bound(operator: Stencil, inverse_diagonal: Array) -> Float[Array, ""]:
    """Gershgorin bound on the largest eigenvalue of ``D^-1 A``: the largest scaled absolute row sum.

    A guaranteed upper bound, as Chebyshev smoothing needs: power iteration converges too slowly on the
    elasticity operator (12 iterations gave 1.54 where the eigenvalue is 2.06) and an underestimate
    makes the smoother amplify the highest modes.
    """
    row_sums = jnp.sum(jnp.abs(operator.coefficients), axis=(1, 2))
    return jnp.max(row_sums * inverse_diagonal)


LINE_EIGENVALUE_BOUND = 2.0
"""Bound on the largest eigenvalue of ``B^-1 A`` with ``B`` the node columns' blocks of an SPD ``A`` whose
columns couple only to their neighbours: odd and even columns are two colours with no coupling inside
one, so ``2 B - A``, similar to ``A`` by flipping the sign of one colour, is positive definite."""


def _level(operator: Stencil, lines: bool) -> Level:
    inverse_diagonal = operator.inverse_diagonal()
    if lines:
        return Level(operator, inverse_diagonal, jnp.asarray(LINE_EIGENVALUE_BOUND), line_factor(operator))
    return Level(operator, inverse_diagonal, _eigenvalue_bound(operator, inverse_diagonal))


def levels_for(node_shape: tuple[int, ...], n_components: int, periodic_x: bool) -> int:
    """Number of coarsenings of a grid, checking that its coarsest grid is small enough to factorise."""
    unknowns_of = lambda shape: n_components * math.prod(shape)
    count, shape = 0, tuple(node_shape)
    while unknowns_of(shape) > COARSEST_TARGET_UNKNOWNS and (coarser := coarse_shape(shape, periodic_x)):
        count, shape = count + 1, coarser
    unknowns = unknowns_of(shape)
    if unknowns > MAX_COARSEST_UNKNOWNS:
        sizes = lambda shape: " x ".join(map(str, shape))
        raise ValueError(
            f"multigrid cannot coarsen a grid of {sizes(node_shape)} nodes below {sizes(shape)} nodes "
            f"({unknowns} unknowns > {MAX_COARSEST_UNKNOWNS}): choose cell counts with more factors of 2, "
            "e.g. grid.nx and grid.ny of the form k * 2^m with small k"
        )
    return count


def build_hierarchy(operator: Stencil, lines: bool = False) -> Hierarchy:
    """Galerkin hierarchy of a 9-point (27-point) SPD operator (from :func:`stencil_of`).

    ``lines`` smooths with block Jacobi over node columns (:class:`LineFactor`) instead of Jacobi: for a
    2D grid graded along ``x``, whose wide columns couple their nodes along ``y`` much more strongly than
    across (anisotropy that point smoothers cannot smooth).
    """
    periodic_x = operator.periodic_x
    if lines and (periodic_x or operator.coefficients.ndim != 5):
        raise ValueError("line smoothing is for non-periodic 2D grids (graded along x)")
    like = operator.coefficients[:, 0, 0]  # (c, *nodes)
    levels = []
    for _ in range(levels_for(like.shape[1:], like.shape[0], periodic_x)):
        level = _level(operator, lines)
        levels.append(level)
        fine = operator.coefficients[0, 0, 0]
        coarse_like = jnp.zeros((like.shape[0],) + coarse_shape(fine.shape, periodic_x), like.dtype)
        galerkin = lambda c, op=level.operator: restrict(op(prolong(c, periodic_x)), periodic_x)
        operator = stencil_of(galerkin, coarse_like, periodic_x)
    shape = operator.coefficients.shape
    coarsest_like = jnp.zeros((shape[0],) + shape[3:], like.dtype)
    n = coarsest_like.size
    dense = jax.vmap(lambda e: operator(e.reshape(coarsest_like.shape)).ravel())(jnp.eye(n, dtype=like.dtype)).T
    return Hierarchy(levels, _cholesky(0.5 * (dense + dense.T)))


def _chebyshev(level: Level, b: Array, x: Array | None = None) -> Array:
    """``CHEBYSHEV_DEGREE`` steps of Chebyshev iteration on ``D^-1 A`` (``D`` the level's smoother: the
    diagonal or the column blocks) over ``[bound/30, bound]``, from
    ``x`` or (``None``) from zero, which spares a product with ``A``."""
    upper = level.eigenvalue_bound
    lower = upper / 30.0
    theta, delta = 0.5 * (upper + lower), 0.5 * (upper - lower)
    sigma = theta / delta
    rho = 1.0 / sigma
    x, r = (jnp.zeros_like(b), b) if x is None else (x, b - level.operator(x))
    d = level.smoother_inverse(r) / theta

    def step(_, state):
        x, r, d, rho = state
        x = x + d
        r = r - level.operator(d)
        rho_next = 1.0 / (2.0 * sigma - rho)
        d = rho_next * rho * d + (2.0 * rho_next / delta) * level.smoother_inverse(r)
        return x, r, d, rho_next

    return jax.lax.fori_loop(0, CHEBYSHEV_DEGREE, step, (x, r, d, rho))[0]


def v_cycle(hierarchy: Hierarchy, b: Float[Array, " c *nodes"]) -> Float[Array, " c *nodes"]:
    """One symmetric V-cycle from a zero guess: an SPD approximation of ``A^-1 b``."""

    def cycle(depth: int, rhs: Array) -> Array:
        if depth == len(hierarchy.levels):
            solution = _cholesky_solve(hierarchy.coarsest_factor, rhs.ravel())
            return solution.reshape(rhs.shape)
        level = hierarchy.levels[depth]
        periodic = level.operator.periodic_x
        x = _chebyshev(level, rhs)
        residual = rhs - level.operator(x)
        x = x + prolong(cycle(depth + 1, restrict(residual, periodic)), periodic)
        return _chebyshev(level, rhs, x)

    return cycle(0, b)
