"""Memory a Monte Carlo run holds, checked before it starts: runs that would not fit are refused
with the estimate and the limit instead of failing part-way.

The unit work arrays are evaluated chunk by chunk within a fixed budget and do not grow with the
number of samples. What grows is one 8-byte float per sample for each array kept whole (the
draws of each uncertain parameter, each per-sample metric, a few temporaries); the caller counts
them (:func:`urbanmine.routes.run.arrays_per_sample`).
"""

from __future__ import annotations

import os
from pathlib import Path

from urbanmine.errors import InputError

FLOAT_BYTES = 8


def available_bytes() -> int:
    """Memory the system can give without swapping (Linux ``MemAvailable``, capped by a cgroup
    v2 limit when there is one), else the physical memory."""
    limit: int | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                limit = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        cap = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
        if cap.isdigit():
            limit = min(limit or int(cap), int(cap) - used)
    except (OSError, ValueError):
        pass
    if limit is None:
        limit = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return limit


def check_fits(samples: int, arrays: int, what: str, fixed: int = 0) -> None:
    """Refuse a run of ``samples`` keeping ``arrays`` whole-length float arrays (plus ``fixed``
    bytes that do not grow with the samples) when it would not fit in the available memory;
    ``what`` names the request in the message (e.g. ``--samples 1000000``)."""
    need = samples * arrays * FLOAT_BYTES + fixed
    limit = available_bytes()
    if need > limit:
        most = max(limit - fixed, 0) // (arrays * FLOAT_BYTES)
        raise InputError(
            f"{what}: the run would hold about {need / 1e9:.3g} GB ({arrays} arrays of "
            f"{FLOAT_BYTES}-byte floats per sample), more than the {limit / 1e9:.3g} GB of memory "
            f"available; allowed here: at most about {most:,} samples"
        )
