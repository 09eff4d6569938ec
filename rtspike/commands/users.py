"""`rtspike users`: the deterministic dev seed and its documented credentials."""

from __future__ import annotations

import argparse
import json
import sys

from rich.table import Table

from rtspike.console import console
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.users import DEV_PASSWORD, seed_users


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("users", help="list the dev seed users and their credentials")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    users = seed_users(settings.seed_lgas, settings.seed_enumerators)
    rows = [
        {
            "id": u.id,
            "login": u.login,
            "password": DEV_PASSWORD,
            "role": u.role.value,
            "lga_id": u.lga_id,
        }
        for u in users
    ]
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    table = Table(title=f"dev seed: {len(rows)} users, password '{DEV_PASSWORD}' for all")
    for col in ("login", "role", "lga_id", "id"):
        # ids are copied into requests: never truncated, whatever the terminal width
        table.add_column(col, min_width=36, no_wrap=True) if col == "id" else table.add_column(col)
    for r in rows:
        table.add_row(r["login"], r["role"], r["lga_id"], r["id"])
    console.print(table)
    return 0
