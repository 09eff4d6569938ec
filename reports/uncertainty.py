"""How well this run knows each total, and how likely each transport is to come first.

Three sources of doubt are drawn, each seeded and reproducible:

- measurement noise: each measured input is re-scored on the median of a bootstrap resample of
  its repeats (the worst case counting, as in the point score). A figure whose repeats straddle
  a threshold then scores sometimes one side, sometimes the other, instead of jumping between
  runs. Single-sample figures stay fixed (and are marked); exact counts are exact;
- declared facts: each fact moves by -1, 0 or +1 point (uniform, clipped to 1-5): a judgement
  is not known to better than a point;
- weights: Dirichlet draws centred on the chosen weights (reasonable people weighting
  differently).

An interval on a total draws noise and facts at the chosen weights (how precisely this run
pins the total down); the win probability draws all three together. Ties in a draw are shared
equally, so identical transports get equal chances rather than the first-listed winning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from rtspike.reports.scoring import Evidence, Kind, Layer, Matrix

ALL_SOURCES = frozenset({"noise", "facts", "weights"})


class Source(StrEnum):
    NOISE = "noise"
    FACTS = "facts"
    WEIGHTS = "weights"


def score_array(values: np.ndarray, better: str, thresholds: Iterable[float]) -> np.ndarray:
    """`scoring.score_value` for many values at once (same first-match rule)."""
    conds = [(values <= t) if better == "lower" else (values >= t) for t in thresholds]
    return np.select(conds, [5.0, 4.0, 3.0, 2.0], default=1.0)


def input_draws(
    ev: Evidence, rng: np.random.Generator, n: int, sources: frozenset[str], jitter: int
) -> np.ndarray:
    """n draws of one input's 1-5 score."""
    assert ev.score is not None
    if ev.kind == Kind.FACT:
        if "facts" not in sources or jitter <= 0:
            return np.full(n, float(ev.score))
        moved = ev.score + rng.integers(-jitter, jitter + 1, size=n)
        return np.clip(moved, 1.0, 5.0).astype(float)
    per_case = []
    for case in ev.samples:
        values = np.asarray(case.values, dtype=float)
        if case.fixed is not None:
            per_case.append(np.full(n, float(case.fixed)))
        elif "noise" not in sources or ev.deterministic or len(values) < 2:
            per_case.append(np.full(n, float(np.median(values))))
            per_case[-1] = score_array(per_case[-1], ev.better, ev.thresholds)
        else:
            picks = values[rng.integers(0, len(values), size=(n, len(values)))]
            per_case.append(score_array(np.median(picks, axis=1), ev.better, ev.thresholds))
    return np.min(np.vstack(per_case), axis=0)


@dataclass
class Simulation:
    """Per layer and transport: n draws of the weighted total (NaN-free; None = no evidence)."""

    transports: list[str]
    n: int
    totals: dict[Layer, dict[str, np.ndarray | None]]
    inputs: dict[int, np.ndarray] = field(default_factory=dict)

    def interval(self, layer: Layer, t: str, share: float) -> tuple[float, float] | None:
        draws = self.totals[layer][t]
        if draws is None:
            return None
        lo, hi = np.quantile(draws, [(1 - share) / 2, 1 - (1 - share) / 2])
        return float(lo), float(hi)

    def first(self, layer: Layer) -> dict[str, float]:
        """Probability of the highest total; a tie in a draw is shared among the tied."""
        have = [t for t in self.transports if self.totals[layer][t] is not None]
        if not have:
            return {t: 0.0 for t in self.transports}
        table = np.vstack([self.totals[layer][t] for t in have])  # type: ignore[misc]
        top = np.isclose(table, table.max(axis=0), rtol=0, atol=1e-9)
        credit = (top / top.sum(axis=0)).mean(axis=1)
        found = dict(zip(have, credit.tolist(), strict=True))
        return {t: found.get(t, 0.0) for t in self.transports}

    def beats(self, layer: Layer, a: str, b: str) -> float:
        """P(total a > total b), ties counted half."""
        x, y = self.totals[layer][a], self.totals[layer][b]
        if x is None or y is None:
            return 1.0 if y is None and x is not None else 0.0
        diff = x - y
        tie = np.isclose(diff, 0.0, rtol=0, atol=1e-9)
        return float(((diff > 0) & ~tie).mean() + 0.5 * tie.mean())

    def varies(self, ev: Evidence) -> bool:
        draws = self.inputs.get(id(ev))
        return draws is not None and float(np.ptp(draws)) > 0


def weight_draws(
    keys: list[str],
    weights: Mapping[str, float],
    settings: Mapping[str, float],
    n: int,
    rng: np.random.Generator,
    vary: bool,
) -> np.ndarray:
    base = np.array([max(weights.get(k, 0.0), 0.0) for k in keys], dtype=float)
    base = base / base.sum()
    if not vary:
        return np.tile(base, (n, 1))
    alpha = np.maximum(base * float(settings.get("concentration", 40.0)), 1e-3)
    draws = rng.dirichlet(alpha, size=n)
    draws[:, base == 0] = 0.0  # a weight set to 0 stays 0: that criterion was ruled out
    return draws


def simulate(
    matrix: Matrix,
    weights: Mapping[str, float],
    settings: Mapping[str, float],
    sources: Iterable[str] = ALL_SOURCES,
) -> Simulation:
    chosen = frozenset(sources)
    n = int(settings.get("samples", 2000))
    jitter = int(settings.get("fact_jitter", 1))
    rng = np.random.default_rng(int(settings.get("seed", 1)))
    keys = [c.key for c in matrix.criteria]
    w = weight_draws(keys, weights, settings, n, rng, "weights" in chosen)
    inputs: dict[int, np.ndarray] = {}
    for ev in matrix.evidence():
        if ev.score is not None:
            inputs[id(ev)] = input_draws(ev, rng, n, chosen, jitter)
    layers: dict[Layer, dict[str, np.ndarray | None]] = {}
    kinds = {
        Layer.MEASURED: (Kind.MEASURED,),
        Layer.DECLARED: (Kind.FACT,),
        Layer.COMBINED: (Kind.MEASURED, Kind.FACT),
    }
    for layer, wanted in kinds.items():
        layers[layer] = {}
        for t in matrix.transports:
            cols, mask = [], []
            for k in keys:
                got = [
                    inputs[id(e)]
                    for e in matrix.cells[k, t].evidence
                    if e.kind in wanted and e.score is not None
                ]
                cols.append(np.mean(got, axis=0) if got else np.zeros(n))
                mask.append(bool(got))
            m = np.array(mask)
            mass = (w * m).sum(axis=1)
            if not m.any() or not (mass > 0).all():
                layers[layer][t] = None
                continue
            layers[layer][t] = (w * np.column_stack(cols) * m).sum(axis=1) / mass
    return Simulation(list(matrix.transports), n, layers, inputs)


def decimals(interval: tuple[float, float] | None) -> int:
    """Digits a total deserves: as many as its interval's width allows (at least 1)."""
    if interval is None:
        return 2
    width = interval[1] - interval[0]
    return 1 if width >= 0.1 else 2
