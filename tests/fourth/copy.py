"""Re-execute one of an adapter's modules under a new name, then replace some of its globals."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any


def copy_module(source: str, name: str, **overrides: Any) -> ModuleType:
    """A fresh module object from ``source``'s file: its functions read the overridden globals
    at call time, so the copy serves under another name without touching the original."""
    found = importlib.util.find_spec(source)
    assert found is not None and found.origin is not None, source
    spec = importlib.util.spec_from_file_location(name, found.origin)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    vars(module).update(overrides)
    return module
