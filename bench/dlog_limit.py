"""Time and memory of the discrete logarithm at its largest accepted bound (docs/performance.md).

Run as a script: ``python bench/dlog_limit.py [--group ed25519|modp4096]``. For the group, from
a cold cache: the baby-step table at its cap (:data:`evote.crypto.dlog.TABLE_LIMIT` entries),
then the search for g^MAX_BOUND (the most giant steps a value in range takes), then a value one
past the bound (refused with TallyOutOfRange after as many steps). Prints seconds for each and
the process's peak resident memory before and after (Linux ``ru_maxrss``). Run one group per
process: the peak is the process's.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from evote.crypto import dlog  # noqa: E402
from evote.crypto.groups import group_by_name  # noqa: E402
from evote.errors import TallyOutOfRange  # noqa: E402


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", default="ed25519")
    group = group_by_name(parser.parse_args().group)
    print(f"{group.name}: {os.cpu_count()} CPUs, load average {os.getloadavg()}")
    print(f"bound 2^{dlog.MAX_BOUND.bit_length() - 1}, table cap {dlog.TABLE_LIMIT} entries")
    before = _peak_mib()
    started = time.perf_counter()
    dlog.discrete_log(group.generator, dlog.MAX_BOUND)
    built = time.perf_counter()
    print(f"table built in {built - started:.1f} s; peak RSS {before:.0f} -> {_peak_mib():.0f} MiB")
    element = group.base_exp(dlog.MAX_BOUND)
    if dlog.discrete_log(element, dlog.MAX_BOUND) != dlog.MAX_BOUND:
        raise RuntimeError("wrong discrete log")
    found = time.perf_counter()
    print(f"g^MAX_BOUND found in {found - built:.1f} s")
    try:
        dlog.discrete_log(group.base_exp(dlog.MAX_BOUND + 1), dlog.MAX_BOUND)
    except TallyOutOfRange:
        print(f"g^(MAX_BOUND + 1) refused in {time.perf_counter() - found:.1f} s")
    else:
        raise RuntimeError("a value past the bound was found")
    print(f"peak RSS {_peak_mib():.0f} MiB; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
