"""Resident memory of this test process (servers under test run in it)."""

from __future__ import annotations

import gc

import psutil


def rss_mib() -> float:
    gc.collect()
    return float(psutil.Process().memory_info().rss) / (1 << 20)
