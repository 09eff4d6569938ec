"""How much the recommendation depends on the weights someone chose.

Two views: Dirichlet samples centred on the given weights (a seeded, reproducible cloud of
"reasonable people weighting differently"), and each weight alone scaled by +/-50%. The share of
samples the recommendation wins is its confidence; the weights that flip it or move the margin
most are named, so a team knows which judgement call the decision hangs on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from rtspike.reports.scoring import Matrix, pick_winner


@dataclass
class OneAtATime:
    criterion: str
    factor: float
    winner: str | None
    margin: float  # recommended total minus best other total (negative: it lost)


@dataclass
class Sensitivity:
    recommended: str | None
    samples: int
    seed: int
    concentration: float
    win_share: dict[str, float]
    baseline_margin: float
    one_at_a_time: list[OneAtATime] = field(default_factory=list)
    most_sensitive: list[str] = field(default_factory=list)
    flips: list[str] = field(default_factory=list)
    confidence: str = "low"

    @property
    def share(self) -> float:
        return self.win_share.get(self.recommended or "", 0.0)


def margin(matrix: Matrix, weights: dict[str, float], recommended: str) -> float:
    totals = matrix.totals(weights)
    mine = totals.get(recommended)
    others = [v for t, v in totals.items() if t != recommended and v is not None]
    if mine is None:
        return float("-inf")
    return mine - max(others) if others else float("inf")


def win_shares(matrix: Matrix, keys: list[str], draws: np.ndarray) -> dict[str, float]:
    """Vectorised totals for every draw at once; argmax keeps the first-listed on ties, as
    pick_winner does."""
    table = matrix.scores()
    scores = np.array(
        [
            [table[t][k] if table[t][k] is not None else np.nan for k in keys]
            for t in matrix.transports
        ],
        dtype=float,
    )
    have = ~np.isnan(scores)
    mass = draws @ have.T
    with np.errstate(invalid="ignore", divide="ignore"):
        totals = (draws @ np.nan_to_num(scores).T) / mass
    totals[~np.isfinite(totals)] = -np.inf
    counts = Counter(np.argmax(totals, axis=1).tolist())
    return {t: counts.get(i, 0) / len(draws) for i, t in enumerate(matrix.transports)}


def analyse(matrix: Matrix, weights: dict[str, float], settings: dict[str, float]) -> Sensitivity:
    keys = [c.key for c in matrix.criteria]
    base = np.array([max(weights.get(k, 0.0), 0.0) for k in keys], dtype=float)
    base = base / base.sum()
    samples = int(settings.get("samples", 2000))
    seed = int(settings.get("seed", 1))
    concentration = float(settings.get("concentration", 40.0))
    step = float(settings.get("perturbation", 0.5))
    recommended = matrix.winner(weights)

    rng = np.random.default_rng(seed)
    draws = rng.dirichlet(np.maximum(base * concentration, 1e-3), size=samples)
    share = win_shares(matrix, keys, draws)

    result = Sensitivity(
        recommended,
        samples,
        seed,
        concentration,
        share,
        margin(matrix, weights, recommended) if recommended else 0.0,
    )
    if recommended is None:
        return result
    swings: dict[str, float] = {}
    for key in keys:
        for factor in (1 - step, 1 + step):
            w = dict(weights)
            w[key] = weights.get(key, 0.0) * factor
            m = margin(matrix, w, recommended)
            result.one_at_a_time.append(
                OneAtATime(key, factor, pick_winner(matrix.totals(w), matrix.transports), m)
            )
            swings[key] = max(swings.get(key, 0.0), abs(m - result.baseline_margin))
    result.flips = list(
        dict.fromkeys(o.criterion for o in result.one_at_a_time if o.winner != recommended)
    )
    result.most_sensitive = sorted(keys, key=lambda k: (k not in result.flips, -swings[k]))[:3]
    high, medium = float(settings.get("high", 0.85)), float(settings.get("medium", 0.65))
    result.confidence = (
        "high"
        if result.share >= high and not result.flips
        else "medium"
        if result.share >= medium
        else "low"
    )
    return result
