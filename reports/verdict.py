"""The verdict: gates first, then the layers, then whether the leaders are separated at all.

Order of questions, each answered in the summary:
1. Did every scenario run? An errored scenario means no winner (the figures are incomplete).
2. Which transports pass every gate? Those that fail are "not eligible" and never recommended.
3. Do at least two transports hold valid measured figures? If not, there is nothing to compare.
4. Among the eligible, is the leader separated from each rival: does it beat the rival in at
   least `separated` of the draws (noise, facts +/-1 and weights together)? If not, the run is
   "too close to call" and the summary names the leaders and what would separate them.
5. Which layer decides: the measured layer alone, or the declared facts?
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rtspike.reports.gates import Gates, errored_scenarios, evaluate
from rtspike.reports.loader import Run
from rtspike.reports.rubric import Rubric, Tag
from rtspike.reports.scoring import Evidence, Kind, Layer, Matrix, build_matrix
from rtspike.reports.uncertainty import Simulation, decimals, simulate


class Outcome(StrEnum):
    RECOMMEND = "recommend"
    TOO_CLOSE = "too close to call"
    NO_WINNER = "no winner"


@dataclass
class LayerView:
    layer: Layer
    totals: dict[str, float | None]
    intervals: dict[str, tuple[float, float] | None]
    win: dict[str, float]
    ranked: list[str]
    leader: str | None
    runner_up: str | None
    beats_runner_up: float
    separated: bool
    leaders: list[str] = field(default_factory=list)

    def shown(self, t: str) -> str:
        """The total to the precision its interval allows, with the interval."""
        v, iv = self.totals.get(t), self.intervals.get(t)
        if v is None:
            return "not measured"
        d = decimals(iv)
        if iv is None:
            return f"{v:.{d}f}"
        return f"{v:.{d}f} ({iv[0]:.{d}f}\u2013{iv[1]:.{d}f})"


@dataclass
class Verdict:
    outcome: Outcome
    winner: str | None
    runner_up: str | None
    reasons: list[str]
    matrix: Matrix
    gates: Gates
    eligible: list[str]
    layers: dict[Layer, LayerView]
    deciding: str
    separators: list[str]
    not_for_decisions: list[str]
    carry_over_share: float
    samples: int
    separated_at: float
    interval_share: float

    @property
    def leaders(self) -> list[str]:
        return self.layers[Layer.COMBINED].leaders

    @property
    def win_probability(self) -> float:
        view = self.layers[Layer.COMBINED]
        return view.win.get(self.winner or view.leader or "", 0.0)

    def not_eligible(self) -> dict[str, list[str]]:
        return {
            t: [r.gate.name for r in self.gates.failed(t)]
            for t in self.matrix.transports
            if not self.gates.eligible(t)
        }


def subset(matrix: Matrix, transports: list[str]) -> Matrix:
    return Matrix(
        [t for t in matrix.transports if t in transports],
        matrix.criteria,
        {k: c for k, c in matrix.cells.items() if k[1] in transports},
    )


def measured_transports(matrix: Matrix) -> list[str]:
    """Transports with at least one valid measured figure."""
    return [
        t
        for t in matrix.transports
        if any(
            e.kind == Kind.MEASURED and e.score is not None
            for c in matrix.criteria
            for e in matrix.cells[c.key, t].evidence
        )
    ]


def layer_view(
    sim: Simulation,
    fixed: Simulation,
    matrix: Matrix,
    eligible: list[str],
    layer: Layer,
    weights: dict[str, float],
    separated_at: float,
    share: float,
) -> LayerView:
    """Totals and intervals for every transport; ranking and win chances among the eligible."""
    totals = matrix.totals(weights, layer)
    ranked = sorted(
        (t for t in eligible if totals[t] is not None),
        key=lambda t: (-(totals[t] or 0.0), matrix.transports.index(t)),
    )
    leader = ranked[0] if ranked else None
    runner = ranked[1] if len(ranked) > 1 else None
    p = sim.beats(layer, leader, runner) if leader and runner else 1.0
    close = [t for t in ranked[1:] if leader and sim.beats(layer, leader, t) < separated_at]
    return LayerView(
        layer,
        totals,
        {t: fixed.interval(layer, t, share) for t in matrix.transports},
        {t: sim.first(layer).get(t, 0.0) for t in matrix.transports},
        ranked,
        leader,
        runner,
        p,
        bool(leader) and p >= separated_at,
        [leader, *close] if leader and close else [],
    )


def carry_over(matrix: Matrix, weights: dict[str, float]) -> float:
    """Share of the weight resting on protocol/browser inputs (averaged over transports)."""
    mass = sum(weights.values()) or 1.0
    shares = []
    for t in matrix.transports:
        total = used = 0.0
        for c in matrix.criteria:
            scored = [e for e in matrix.cells[c.key, t].evidence if e.score is not None]
            if not scored:
                continue
            w = weights.get(c.key, 0.0) / mass
            used += w
            total += w * sum(e.tag == Tag.PROTOCOL for e in scored) / len(scored)
        if used:
            shares.append(total / used)
    return sum(shares) / len(shares) if shares else 0.0


def separators(
    matrix: Matrix, sim: Simulation, a: str, b: str, labels: dict[str, str]
) -> list[str]:
    """What would separate two leaders: noisy or single-sample inputs that differ, facts that
    differ (measure them), and the criteria that pull each way (a weight call)."""
    out: list[str] = []
    noisy, single, facts = [], [], []
    for c in matrix.criteria:
        ea, eb = matrix.cells[c.key, a].evidence, matrix.cells[c.key, b].evidence
        for x, y in zip(ea, eb, strict=False):
            if x.kind == Kind.FACT or y.kind == Kind.FACT:
                if x.score != y.score:
                    facts.append(f"{labels[c.key]} ({a} {_s(x)}, {b} {_s(y)})")
                continue
            if sim.varies(x) or sim.varies(y):
                noisy.append(f"{x.scenario}.{x.metric}")
            elif (x.single_sample or y.single_sample) and x.score != y.score:
                single.append(f"{x.scenario}.{x.metric}")
    if noisy:
        out.append(
            "more repeats of "
            + ", ".join(dict.fromkeys(noisy))
            + ": their repeats straddle a rubric threshold"
        )
    if single:
        out.append("repeats of " + ", ".join(dict.fromkeys(single)) + " (one sample each)")
    if facts:
        out.append("measuring instead of declaring " + "; ".join(facts[:3]))
    sa, sb = matrix.scores()[a], matrix.scores()[b]
    both = {k: (p, q) for k, p in sa.items() if p is not None and (q := sb[k]) is not None}
    pull_a = [labels[k] for k, (p, q) in both.items() if p > q]
    pull_b = [labels[k] for k, (p, q) in both.items() if q > p]
    if pull_a and pull_b:
        out.append(
            f"agreeing the weights: {a} leads on {', '.join(pull_a)}; {b} on {', '.join(pull_b)}"
        )
    if not out:
        out.append(
            "nothing in this run: every input scores them alike; only a measurement that "
            "differs between them would (or weights of your own)"
        )
    return out


def _s(e: Evidence) -> str:
    return "-" if e.score is None else f"{e.score:g}"


def decisions_warnings(run: Run, matrix: Matrix, min_repeats: int) -> list[str]:
    out = []
    if str(run.manifest.get("profile", "")) == "tiny":
        out.append("profile tiny: a smoke test with few repeats")
    thin = sorted(
        {
            f"{e.scenario}.{e.metric}"
            for e in matrix.evidence()
            if e.kind == Kind.MEASURED
            and not e.deterministic
            and not e.failed
            and 0 < e.repeats < min_repeats
        }
    )
    if thin:
        out.append(f"fewer than {min_repeats} valid repeats: {', '.join(thin)}")
    return out


def decide(run: Run, rubric: Rubric, weights: dict[str, float] | None = None) -> Verdict:
    weights = weights or rubric.weights
    settings = rubric.verdict
    labels = {c.key: c.label for c in rubric.criteria}
    separated_at = float(settings["separated"])
    share = float(settings["interval"])
    matrix = build_matrix(run, rubric)
    gates = evaluate(run, rubric)
    eligible = gates.eligible_transports
    pool = subset(matrix, eligible)
    joint = simulate(pool, weights, settings)
    fixed = simulate(matrix, weights, settings, {"noise", "facts"})
    views = {
        layer: layer_view(joint, fixed, matrix, eligible, layer, weights, separated_at, share)
        for layer in Layer
    }
    combined = views[Layer.COMBINED]
    reasons: list[str] = []
    for scenario, t, note in errored_scenarios(run):
        reasons.append(f"scenario {scenario} errored for {t} ({note}); re-run the bench")
    measured = measured_transports(matrix)
    if len(measured) < 2:
        reasons.append(
            f"only {len(measured)} transport(s) hold valid measured figures "
            f"({', '.join(measured) or 'none'}); a comparison needs at least two"
        )
    if not eligible:
        reasons.append("no transport passes every gate")
    elif not [t for t in eligible if t in measured]:
        reasons.append("no eligible transport holds valid measured figures")
    winner = runner = None
    seps: list[str] = []
    if reasons:
        outcome = Outcome.NO_WINNER
    elif combined.separated or len(combined.ranked) == 1:
        outcome = Outcome.RECOMMEND
        winner, runner = combined.leader, combined.runner_up
    else:
        outcome = Outcome.TOO_CLOSE
        a, b = combined.leader, combined.runner_up
        assert a is not None and b is not None
        seps = separators(pool, joint, a, b, labels)
    return Verdict(
        outcome,
        winner,
        runner,
        reasons,
        matrix,
        gates,
        eligible,
        views,
        deciding_layer(views, outcome),
        seps,
        decisions_warnings(run, matrix, int(settings["min_repeats"])),
        carry_over(matrix, weights),
        joint.n,
        separated_at,
        share,
    )


def deciding_layer(views: dict[Layer, LayerView], outcome: Outcome) -> str:
    m, d, c = views[Layer.MEASURED], views[Layer.DECLARED], views[Layer.COMBINED]

    def said(v: LayerView) -> str:
        if v.leader is None:
            return "no evidence"
        if len(v.ranked) == 1:
            return f"{v.leader} is the only candidate"
        if v.separated:
            return f"{v.leader} leads, separated ({v.beats_runner_up:.0%} over the next)"
        return f"too close to call ({', '.join(v.leaders or v.ranked[:2])})"

    text = f"On measurements alone: {said(m)}. On declared facts alone: {said(d)}."
    if outcome != Outcome.RECOMMEND:
        return text
    if m.leader == c.leader and m.separated:
        return text + " Measured evidence decides."
    if d.leader == c.leader and d.separated:
        return text + " Declared facts decide: the measurements do not settle it on their own."
    return text + " Neither layer settles it alone; together they do."
