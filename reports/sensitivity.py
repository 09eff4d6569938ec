"""Which single weight the ranking hangs on: each weight alone scaled by (1 - p) and (1 + p).

The joint draw in `uncertainty.py` already varies all weights at once (with noise and facts);
this table names the one judgement call that flips the leader, so a team knows what to discuss.
Only eligible transports take part (the matrix passed in is already restricted to them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rtspike.reports.scoring import Matrix, pick_winner


@dataclass
class OneAtATime:
    criterion: str
    factor: float
    winner: str | None
    margin: float  # leader's total minus best other total (negative: it lost)


@dataclass
class Sensitivity:
    leader: str | None
    baseline_margin: float
    one_at_a_time: list[OneAtATime] = field(default_factory=list)
    most_sensitive: list[str] = field(default_factory=list)
    flips: list[str] = field(default_factory=list)


def margin(matrix: Matrix, weights: dict[str, float], leader: str) -> float:
    totals = matrix.totals(weights)
    mine = totals.get(leader)
    others = [v for t, v in totals.items() if t != leader and v is not None]
    if mine is None:
        return float("-inf")
    return mine - max(others) if others else float("inf")


def analyse(matrix: Matrix, weights: dict[str, float], settings: dict[str, float]) -> Sensitivity:
    keys = [c.key for c in matrix.criteria]
    step = float(settings.get("perturbation", 0.5))
    leader = matrix.winner(weights)
    result = Sensitivity(leader, margin(matrix, weights, leader) if leader else 0.0)
    if leader is None:
        return result
    swings: dict[str, float] = {}
    for key in keys:
        for factor in (1 - step, 1 + step):
            w = dict(weights)
            w[key] = weights.get(key, 0.0) * factor
            m = margin(matrix, w, leader)
            result.one_at_a_time.append(
                OneAtATime(key, factor, pick_winner(matrix.totals(w), matrix.transports), m)
            )
            swings[key] = max(swings.get(key, 0.0), abs(m - result.baseline_margin))
    result.flips = list(
        dict.fromkeys(o.criterion for o in result.one_at_a_time if o.winner != leader)
    )
    result.most_sensitive = sorted(keys, key=lambda k: (k not in result.flips, -swings[k]))[:3]
    return result
