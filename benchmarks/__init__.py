"""Speed and memory benchmarks: each module has ``run(**kwargs) -> dict``.

Run one with ``revntk bench NAME`` or ``python -m benchmarks.NAME``; each prints
JSON and compares side by side in one run (see benchmarks/README.md).
"""
