"""The CLI's voice: results to stdout, problems to stderr, both through rich."""

from __future__ import annotations

from rich.console import Console

console = Console()
errors = Console(stderr=True)
