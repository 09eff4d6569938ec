"""The decision model read from weights.toml: gates, criteria, measured inputs, declared facts.

The file's header documents the schema; this module enforces it on load (one criterion per
input, 4 thresholds, known tags and operators), so that a team's own copy fails with a sentence
that says what to fix rather than with a wrong verdict.
"""

from __future__ import annotations

import operator
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

DEFAULT_WEIGHTS = Path(__file__).with_name("weights.toml")


class Tag(StrEnum):
    """Whether a figure carries over to another server stack (the story's team runs Node)."""

    PROTOCOL = "protocol"
    SERVER = "server"

    @property
    def label(self) -> str:
        return TAG_LABELS[self]


TAG_LABELS = {Tag.PROTOCOL: "protocol/browser", Tag.SERVER: "this server"}

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
}

VERDICT_DEFAULTS: dict[str, float] = {
    "samples": 2000,
    "seed": 1,
    "concentration": 40.0,
    "fact_jitter": 1,
    "separated": 0.90,
    "interval": 0.90,
    "min_repeats": 5,
    "perturbation": 0.5,
}


@dataclass(frozen=True)
class Gate:
    name: str
    scenario: str  # "*" = every scenario
    metric: str
    op: str
    limit: float
    rationale: str
    source: str = ""
    over: str = "worst"  # "worst" | "median"
    case: str = "*"  # fnmatch pattern on the case ("ours/*": only our client's rows)
    exclude: tuple[str, ...] = ()  # scenarios a "*" gate leaves out

    def passes(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.limit)

    @property
    def text(self) -> str:
        where = "every scenario" if self.scenario == "*" else self.scenario
        if self.exclude:
            where += f" but {', '.join(self.exclude)}"
        if self.case != "*":
            where += f" [{self.case}]"
        return f"{self.metric} {self.op} {self.limit:g} ({where})"


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: float
    rationale: str


@dataclass(frozen=True)
class Rule:
    criterion: str
    scenario: str
    metric: str
    thresholds: tuple[float, float, float, float]
    rationale: str
    better: str | None = None
    case: str | None = None
    tag: Tag = Tag.SERVER
    deterministic: bool = False

    @property
    def key(self) -> str:
        return f"{self.scenario}.{self.metric}" + (f"[{self.case}]" if self.case else "")


@dataclass(frozen=True)
class Fact:
    criterion: str
    transport: str
    score: float
    statement: str
    url: str
    section: str
    version: str
    tag: Tag = Tag.PROTOCOL

    @property
    def source(self) -> str:
        """The citation as plain text: the report is one offline file, so no live link."""
        bare = self.url.split("://", 1)[-1]
        return f"{bare} ({self.section}; {self.version})"


@dataclass(frozen=True)
class Rubric:
    criteria: list[Criterion]
    rules: list[Rule]
    facts: list[Fact]
    gates: list[Gate]
    verdict: dict[str, float]
    path: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def weights(self) -> dict[str, float]:
        return {c.key: c.weight for c in self.criteria}

    @property
    def sensitivity(self) -> dict[str, float]:
        """The verdict settings (the name older callers used)."""
        return self.verdict


class RubricError(ValueError):
    """The weights file breaks the schema; the message says what to fix."""


def _gate(path: Path, g: dict[str, Any]) -> Gate:
    op = str(g.get("op", "<="))
    over = str(g.get("over", "worst"))
    if op not in OPERATORS or over not in ("worst", "median") or "metric" not in g:
        raise RubricError(
            f"{path}: gate {g.get('name', '?')} needs a metric, op one of "
            f"{', '.join(OPERATORS)} and over 'worst' or 'median'"
        )
    return Gate(
        str(g.get("name", g["metric"])),
        str(g.get("scenario", "*")),
        str(g["metric"]),
        op,
        float(g["limit"]),
        str(g.get("rationale", "")),
        str(g.get("source", "")),
        over,
        str(g.get("case", "*")),
        tuple(str(x) for x in g.get("exclude", ())),
    )


def _tag(path: Path, value: Any, what: str) -> Tag:
    try:
        return Tag(str(value))
    except ValueError:
        raise RubricError(f"{path}: {what} has tag {value!r}; use 'protocol' or 'server'") from None


def _rule(path: Path, r: dict[str, Any], keys: set[str]) -> Rule:
    thresholds = tuple(float(x) for x in r.get("thresholds", ()))
    if len(thresholds) != 4 or r.get("criterion") not in keys:
        raise RubricError(
            f"{path}: rubric {r.get('metric')} needs 4 thresholds and a known criterion"
        )
    return Rule(
        r["criterion"],
        r["scenario"],
        r["metric"],
        cast(tuple[float, float, float, float], thresholds),
        str(r.get("rationale", "")),
        r.get("better"),
        r.get("case"),
        _tag(path, r.get("tag", "server"), f"rubric {r['metric']}"),
        str(r.get("noise", "")) == "deterministic",
    )


def _fact(path: Path, f: dict[str, Any]) -> Fact:
    missing = [k for k in ("url", "section", "version") if not f.get(k)]
    if missing:
        raise RubricError(
            f"{path}: the {f.get('criterion')}/{f.get('transport')} fact needs "
            f"{', '.join(missing)} (cite where it is written and for which version)"
        )
    score = float(f["score"])
    if not 1 <= score <= 5:
        raise RubricError(f"{path}: fact scores are 1-5 ({f['criterion']}/{f['transport']})")
    return Fact(
        f["criterion"],
        f["transport"],
        score,
        f["statement"],
        str(f["url"]),
        str(f["section"]),
        str(f["version"]),
        _tag(path, f.get("tag", "protocol"), f"fact {f['criterion']}/{f['transport']}"),
    )


def load_rubric(path: Path | None = None) -> Rubric:
    path = Path(path) if path else DEFAULT_WEIGHTS
    data: dict[str, Any] = tomllib.loads(path.read_text())
    criteria = [
        Criterion(key, str(c.get("label", key)), float(c["weight"]), str(c.get("rationale", "")))
        for key, c in data.get("criteria", {}).items()
    ]
    if not criteria or any(c.weight < 0 for c in criteria) or sum(c.weight for c in criteria) <= 0:
        raise RubricError(f"{path}: needs [criteria.*] tables with non-negative weights")
    keys = {c.key for c in criteria}
    rules = [_rule(path, r, keys) for r in data.get("rubric", [])]
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.key in seen and seen[rule.key] != rule.criterion:
            raise RubricError(
                f"{path}: {rule.key} feeds both {seen[rule.key]} and {rule.criterion}; "
                "an input belongs to one criterion"
            )
        seen[rule.key] = rule.criterion
    facts = [_fact(path, f) for f in data.get("facts", []) if f.get("criterion") in keys]
    gates = [_gate(path, g) for g in data.get("gates", [])]
    settings = {**VERDICT_DEFAULTS, **data.get("sensitivity", {}), **data.get("verdict", {})}
    return Rubric(criteria, rules, facts, gates, settings, path)
