"""`--compare OTHER_RUN`: what changed per metric between this run and an earlier one."""

from __future__ import annotations

from dataclasses import dataclass

from rtspike.reports.loader import Run

KEY = ["scenario", "transport", "case", "metric"]


@dataclass
class Difference:
    scenario: str
    transport: str
    case: str
    metric: str
    unit: str
    this: float | None
    other: float | None
    better: str

    @property
    def delta(self) -> float | None:
        if self.this is None or self.other is None:
            return None
        return self.this - self.other

    @property
    def delta_pct(self) -> float | None:
        if self.delta is None or not self.other:
            return None
        return 100.0 * self.delta / abs(self.other)

    @property
    def verdict(self) -> str:
        """ "better"/"worse" by the catalogue's direction; changes under 1% read as "same"."""
        if self.this is None:
            return "only in other run"
        if self.other is None:
            return "only in this run"
        d = self.delta or 0.0
        if d == 0 or (self.delta_pct is not None and abs(self.delta_pct) < 1.0):
            return "same"
        improved = d < 0 if self.better == "lower" else d > 0
        return "better" if improved else "worse"


def compare_runs(this: Run, other: Run) -> list[Difference]:
    """Valid summary figures of both runs, matched on scenario/transport/case/metric."""

    def figures(run: Run) -> dict[tuple[str, ...], tuple[float, str]]:
        rows = run.summary_rows()
        rows = rows[rows["valid"]]
        return {
            tuple(str(r[k]) for k in KEY): (float(r["value"]), str(r["unit"]))
            for _, r in rows.iterrows()
        }

    mine, theirs = figures(this), figures(other)
    diffs = []
    for key in list(dict.fromkeys([*mine, *theirs])):
        a, b = mine.get(key), theirs.get(key)
        unit = (a or b or (0.0, ""))[1]
        better = this.better(key[0], key[3]) if a else other.better(key[0], key[3])
        scenario, transport, case, metric = key
        diffs.append(
            Difference(
                scenario,
                transport,
                case,
                metric,
                unit,
                a[0] if a else None,
                b[0] if b else None,
                better,
            )
        )
    return diffs
