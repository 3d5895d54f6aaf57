"""Time merge() on synthetic claim sets, in a fresh process; print one JSON line.

    python -m benchmarks._merge 10000 40000
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter


def main(argv: list[str]) -> int:
    from benchmarks import synth
    from briefer.merge import merge

    sizes = [int(a) for a in argv] or [10_000, 40_000]
    result: dict = {}
    for size in sizes:
        claims = synth.claims(size)
        blocks = Counter((c.event_type, c.area) for c in claims)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            merged = merge(claims, synth.DAY)
            best = min(best, time.perf_counter() - started)
        result[str(size)] = {"seconds": best, "blocks": len(blocks), "largest_block": max(blocks.values()), "groups": len(merged.groups)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
