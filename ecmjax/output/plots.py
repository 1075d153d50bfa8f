"""Pictures of a run (damage over the hoop stress, history, damage animation), a sweep and a fit.

Figures are built on :class:`matplotlib.figure.Figure` with an Agg canvas, never through ``pyplot``, so
plotting neither needs a display nor changes matplotlib's global backend for anyone else in the process.
With a mirror lateral boundary the simulated half ``x >= 0`` is reflected about ``x = 0`` so the whole pit
is drawn. The pictures of fields span the electrolyte's whole thickness and, sideways, the region within
:data:`ZOOM_DEPTHS` defect depths of the pit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from ecmjax.config import Config
from ecmjax.model.measures import LOCALISED
from ecmjax.output.files import save_figure

__all__ = ["ZOOM_DEPTHS", "plot_fit", "plot_run", "plot_sweep"]

ZOOM_DEPTHS = 4.0
"""The view extends this many defect depths beyond the pit, sideways."""

_UM = 1e6  # m -> µm
_PIT_FACE = "0.82"  # grey behind masked pit cells
_OUTLINE = dict(colors="k", linewidths=1.2)


class _View:
    """Fields on ``grid`` as NumPy arrays on the pictured region (mirrored if needed, then cropped).

    A 3D field is pictured on its mirror plane ``y = 0``: the nodes there, and the first layer of cells
    (centred at ``y = h/2``)."""

    def __init__(self, grid: Any, config: Config) -> None:
        h = float(grid.cell_size_m)
        self.three_d = len(grid.shape) == 3
        section = (lambda field: np.asarray(field)[:, 0]) if self.three_d else np.asarray
        node_x = section(grid.node_coordinates_m()[0])[:, 0]
        node_y = section(grid.node_coordinates_m()[-1])[0, :]
        self.mirrored = config.domain.lateral_bc == "mirror"
        self.periodic = bool(grid.periodic_x)
        self.axisymmetric = bool(grid.axisymmetric)

        def nodes(field: Any, odd: bool = False) -> np.ndarray:
            field = section(field)
            if self.periodic:  # close the period: the wrapped column again at x = W/2
                return np.concatenate([field, field[:1]], axis=0)
            if self.mirrored:
                left = field[:0:-1]
                return np.concatenate([-left if odd else left, field], axis=0)
            return field

        def cells(field: Any) -> np.ndarray:
            field = section(field)
            return np.concatenate([field[::-1], field], axis=0) if self.mirrored else field

        if self.periodic:
            x = np.append(node_x, node_x[-1] + h)
        elif self.mirrored:
            x = np.concatenate([-node_x[:0:-1], node_x])
        else:
            x = node_x

        # Region: the pit [-b, b] grown sideways by ZOOM_DEPTHS * a, within the domain; the whole depth.
        depth, half_width = config.geometry.depth_m, config.geometry.half_width_m
        x_half = min(half_width + ZOOM_DEPTHS * depth, float(np.max(np.abs(x))))
        keep_x = np.flatnonzero(np.abs(x) <= x_half + 1e-9 * h)
        ix = slice(keep_x[0], keep_x[-1] + 1)
        cx = slice(ix.start, ix.stop - 1)  # cells between kept nodes

        self.x_um, self.y_um = x[ix] * _UM, node_y * _UM
        self.nodes = lambda field, odd=False: nodes(field, odd)[ix]
        self.cells = lambda field: cells(field)[cx]
        body = "slab"
        if self.axisymmetric:
            body = "cylinder (axisymmetric section)"
        elif self.three_d:
            body = "3D slab (section y = 0)"
        width_um, thickness_um = float(config.domain.width_m) * _UM, float(config.domain.thickness_m) * _UM
        slab = f"{width_um:.3g} \u00d7 {thickness_um:.3g} \u00b5m {body}"
        whole = keep_x.size == x.size
        zoom = f"region within {ZOOM_DEPTHS:g} defect depths of the pit of the {slab}"
        self.title_zoom = f"view: the whole {slab}" if whole else f"view: {zoom}"

    @property
    def hoop_label(self) -> str:
        """The hoop stress's name: in-plane about the pit centre, i.e. meridional on a revolved body."""
        if self.axisymmetric or self.three_d:
            return r"meridional hoop stress $\sigma_{\theta\theta}$ (MPa)"
        return r"hoop stress $\sigma_{\theta\theta}$ (MPa)"

    def axes(self, title: str) -> tuple[Figure, Any]:
        aspect = (self.y_um[-1] - self.y_um[0]) / (self.x_um[-1] - self.x_um[0])
        fig = Figure(figsize=(7.0, 1.3 + 5.2 * aspect), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.set_aspect("equal")
        ax.set_facecolor(_PIT_FACE)
        ax.set_xlim(self.x_um[0], self.x_um[-1])
        ax.set_ylim(self.y_um[0], self.y_um[-1])
        ax.set_xlabel(
            "r, radius about the defect axis (\u00b5m)" if self.axisymmetric else "x, along the anode (\u00b5m)"
        )
        ax.set_ylabel(f"{'z' if self.three_d else 'y'}, into the electrolyte (\u00b5m)")
        ax.set_title(f"{title}\n{self.title_zoom}", fontsize=10)
        return fig, ax

    def outline(self, ax: Any, node_indicator: Any) -> None:
        """The pit wall: the ``chi = 0.5`` contour of the nodal defect indicator."""
        ax.contour(self.x_um, self.y_um, self.nodes(node_indicator).T, levels=[0.5], **_OUTLINE)


def plot_run(result: Any, config: Config, out_dir: str | Path) -> list[Path]:
    """Write ``damage.png`` (damage over hoop stress, Li body outlined), ``history.png`` and, with
    snapshots, ``damage.gif`` into ``out_dir``; returns the paths written."""
    out_dir = Path(out_dir)
    from ecmjax.model.problems import build_grid

    view = _View(build_grid(config), config)
    paths = [_damage_figure(view, result, out_dir / "damage.png"), _history_figure(result, config, out_dir)]
    if result.snapshots:
        paths.append(_animation(view, result, out_dir / "damage.gif"))
    return paths


def _damage_figure(view: _View, result: Any, path: Path) -> Path:
    fields = result.fields
    electrolyte = view.cells(fields["defect_cell_indicator"]) < 0.5
    hoop = np.where(electrolyte, view.cells(fields["hoop_stress_Pa"]) / 1e6, np.nan)
    status = result.summary["status"]
    failure = result.summary["failure_time_s"]
    when = (
        f"failed at t = {failure:.4g} s"
        if failure is not None
        else f"{status} at t = {result.summary['final_time_s']:.4g} s"
    )
    fig, ax = view.axes(f"Damage (grey, d > 0.5) over the hoop stress; Li body outlined: {when}")
    finite = hoop[np.isfinite(hoop)]
    limit = float(np.max(np.abs(finite))) if finite.size and np.max(np.abs(finite)) > 0 else 1.0
    mesh = ax.pcolormesh(
        view.x_um,
        view.y_um,
        np.ma.masked_invalid(hoop).T,
        shading="flat",
        cmap="RdBu_r",
        norm=TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit),
        rasterized=True,
    )
    fig.colorbar(mesh, ax=ax, label=view.hoop_label, shrink=0.9)
    damage = view.nodes(fields["damage"])
    ax.contourf(view.x_um, view.y_um, damage.T, levels=[0.5, 1.01], colors=["0.25"], alpha=0.75)
    ax.contour(
        view.x_um, view.y_um, view.nodes(fields["li_body_indicator"]).T, levels=[0.5], colors="gold", linewidths=1.5
    )
    view.outline(ax, fields["defect_indicator"])
    return save_figure(fig, path)


def _history_figure(result: Any, config: Config, out_dir: Path) -> Path:
    history = result.history
    fig = Figure(figsize=(7.0, 5.0), layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    t = history["time_s"]
    top.plot(t, history["pressure_Pa"] / 1e6, label="Li pressure in the defect")
    top.plot(t, history["pressure_cap_Pa"] / 1e6, "--", label="Monroe-Newman cap F max(phi) / Omega")
    top.set_ylabel("pressure (MPa)")
    top.legend(fontsize=8)
    bottom.plot(t, history["crack_tip_depth_m"] * _UM, label=f"tip of the localised crack (d >= {LOCALISED})")
    bottom.axhline(
        (config.domain.thickness_m - config.domain.short_circuit_margin_m) * _UM,
        color="k",
        ls=":",
        label="short circuit",
    )
    bottom.set_ylabel("depth (\u00b5m)")
    bottom.set_xlabel("time (s)")
    bottom.legend(fontsize=8)
    if len(t) and t[0] > 0 and t[-1] / t[0] > 100:
        bottom.set_xscale("log")
    top.set_title(f"status: {result.summary['status']}", fontsize=10)
    return save_figure(fig, out_dir / "history.png")


def _animation(view: _View, result: Any, path: Path) -> Path:
    """The damage and the Li body at every snapshot, as a GIF (written atomically)."""
    import os
    import tempfile

    from matplotlib.animation import FuncAnimation, PillowWriter

    fig, ax = view.axes("Damage and Li body (gold)")
    snapshots = result.snapshots

    def draw(k: int) -> None:
        for artist in list(ax.collections):
            artist.remove()
        snap = snapshots[k]
        ax.pcolormesh(
            view.x_um,
            view.y_um,
            view.nodes(snap["damage"]).T,
            shading="nearest",
            cmap="Greys",
            vmin=0.0,
            vmax=1.0,
            rasterized=True,
        )
        ax.contour(view.x_um, view.y_um, view.nodes(snap["li_body_indicator"]).T, levels=[0.5], colors="gold")
        ax.set_title(f"t = {snap['time_s']:.4g} s, p = {snap['pressure_Pa'] / 1e6:.4g} MPa", fontsize=10)

    animation = FuncAnimation(fig, draw, frames=len(snapshots))
    handle, temporary = tempfile.mkstemp(suffix=".gif", dir=path.parent)
    os.close(handle)
    try:
        animation.save(temporary, writer=PillowWriter(fps=4))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def plot_sweep(rows: list[dict[str, Any]], key: str, path: str | Path) -> Path:
    """Failure time against ``key``; survived cases marked along the top, not plotted as numbers."""
    fig = Figure(figsize=(6.0, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    failed = [(row[key], row["failure_time_s"]) for row in rows if row["status"] == "failed"]
    other = [(row[key], row["status"]) for row in rows if row["status"] != "failed"]
    if failed:
        xs, ys = zip(*sorted(failed), strict=True)
        ax.plot(xs, ys, "o-", label="failed: failure time")
        ax.set_yscale("log")
    for x, status in other:
        ax.axvline(x, color="tab:green" if status == "survived" else "tab:red", ls="--", alpha=0.6)
        ax.annotate(status, (x, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top", fontsize=8)
    ax.set_xlabel(key)
    ax.set_ylabel("failure time (s)")
    ax.set_title("survived / diverged cases: dashed lines (no failure time)", fontsize=9)
    if failed:
        ax.legend(fontsize=8)
    return save_figure(fig, Path(path))


def plot_fit(result: Any, observations: Any, out_dir: str | Path) -> list[Path]:
    """A fit's loss history, observed against fitted failure time, and the estimates with their 95% intervals."""
    from ecmjax.inverse.uncertainty import Z_95  # here: the other pictures need nothing of ecmjax.inverse

    out_dir = Path(out_dir)
    paths = []

    fig = Figure(figsize=(5.0, 3.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.semilogy(np.arange(len(result.loss_history)), result.loss_history, "o-")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (negative log-likelihood)")
    paths.append(save_figure(fig, out_dir / "fit_loss.png"))

    fig = Figure(figsize=(6.0, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    j = np.asarray(observations.current_density_A_per_m2)
    survived = np.asarray(observations.survived)
    order = np.argsort(j)
    ax.plot(j[~survived], observations.failure_time_s[~survived], "ko", label="observed failure")
    if np.any(survived):
        ax.plot(j[survived], observations.failure_time_s[survived], "k^", mfc="none", label="observed survival (>)")
    band = np.exp(Z_95 * result.sigma_log[order])
    ax.fill_between(
        j[order],
        result.predicted_failure_time_s[order] / band,
        result.predicted_failure_time_s[order] * band,
        alpha=0.2,
        label="fitted ± 1.96 sigma_log",
    )
    ax.plot(j[order], result.predicted_failure_time_s[order], "-", label="fitted")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("current density (A/m²)")
    ax.set_ylabel("failure time (s)")
    ax.legend(fontsize=8)
    paths.append(save_figure(fig, out_dir / "fit_failure_times.png"))

    u = result.uncertainty
    fig = Figure(figsize=(3.0 * len(u.keys), 3.0), layout="constrained")
    FigureCanvasAgg(fig)
    for i, (key, value, low, high) in enumerate(zip(u.keys, u.estimates, u.lower_95, u.upper_95, strict=True)):
        ax = fig.add_subplot(1, len(u.keys), i + 1)
        finite = np.isfinite(low) and np.isfinite(high)
        ax.errorbar([0], [value], yerr=[[value - low], [high - value]] if finite else None, fmt="o", capsize=6)
        ax.set_xticks([])
        ax.set_title(key, fontsize=8)
        if not finite:
            shown = "no interval (see fit.json's warnings)" if np.isnan(low) else "interval unbounded"
            ax.annotate(shown, (0.5, 0.05), xycoords="axes fraction", ha="center", fontsize=8)
    paths.append(save_figure(fig, out_dir / "fit_estimates.png"))
    return paths
