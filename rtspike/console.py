"""The CLI's voice: results to stdout, problems to stderr, both through rich. Soft wrap: a path
or URL stays on one line, so it can be copied (and grepped) whatever the terminal width."""

from __future__ import annotations

from rich.console import Console

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
