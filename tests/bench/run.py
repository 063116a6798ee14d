"""Run every benchmark and print one table: `python tests/bench/run.py [NAME ...]`.

Each bench_*.py beside this file exposes run() -> list of rows (dicts with benchmark,
case, median_ms, runs, detail). Figures are medians of several runs after a warm-up, so
they can be compared run to run on the same machine; no run here asserts a target.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(rows: list[dict[str, object]]) -> str:
    headers = ["benchmark", "case", "median_ms", "runs", "detail"]
    cells = [[f"{r[h]:.3f}" if isinstance(r[h], float) else str(r[h]) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = lambda values: " | ".join(v.ljust(w) if i != 2 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths)))  # noqa: E731
    return "\n".join([line(headers), "-+-".join("-" * w for w in widths), *(line(c) for c in cells)])


def main(names: list[str]) -> int:
    rows: list[dict[str, object]] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if names and path.stem.removeprefix("bench_") not in names:
            continue
        print(f"running {path.stem} ...", file=sys.stderr, flush=True)
        rows.extend(load(path).run())
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
