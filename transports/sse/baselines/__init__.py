"""Bare-library SSE server for ``rtspike bench peers`` (declared in the spec's ``baselines``).

Bench code: the adapter never imports it.
"""
