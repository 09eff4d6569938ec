"""`rtspike report`: render the decision-matrix HTML from a results folder."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from rtspike.console import console, errors
from rtspike.scenarios.results import OUT_DIR, default_root
from rtspike.weights_check import check_weights_file


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="render the decision-matrix report of a results folder")
    p.add_argument(
        "results_dir",
        nargs="?",
        type=Path,
        default=None,
        help=f"results folder (default: the newest under {OUT_DIR}/)",
    )
    p.add_argument(
        "--weights",
        type=Path,
        default=None,
        help="your own weights/rubric TOML (default: reports/weights.toml)",
    )
    p.add_argument(
        "--compare",
        type=Path,
        default=None,
        metavar="OTHER_RUN",
        help="an earlier results folder: adds a per-metric differences table",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the HTML (default: <results_dir>/report.html)",
    )
    p.set_defaults(handler=run)


def fail(message: str) -> int:
    errors.print(f"rtspike report: {message}", markup=False, highlight=False, soft_wrap=True)
    return 2


def run(args: argparse.Namespace) -> int:
    from rtspike.reports.loader import ResultsError, newest_run
    from rtspike.reports.render import render_report
    from rtspike.reports.summary import read_verdict

    if args.weights is not None:
        check_weights_file(args.weights)
    try:
        folder = args.results_dir or newest_run(default_root())
        path = render_report(folder, args.weights, args.compare, args.out)
    except ResultsError as exc:
        return fail(str(exc))
    except (tomllib.TOMLDecodeError, ValueError, KeyError) as exc:
        return fail(f"cannot use the weights file ({exc}); compare it with reports/weights.toml")
    console.print(str(path), markup=False, highlight=False, soft_wrap=True)
    verdict = read_verdict(path.parent)
    if verdict:
        console.print(verdict, markup=False, highlight=False)
    return 0
