"""Small helpers every layer shares: archive timestamps and whether a process still runs.

Nothing here imports another module of the project."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path


def utcnow() -> str:
    """Now, as the archive writes times: ISO 8601 in UTC, whole seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def parse_time(value: str | None, naive=timezone.utc) -> datetime | None:
    """An archive timestamp (ISO 8601) or a record's date as an aware datetime; one without an
    offset is taken in `naive`; None for nothing or no date."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=naive)


def pid_alive(pid: int | None, started_before: datetime | None = None) -> bool:
    """Whether process `pid` runs on this machine (zombies count as gone) and, when
    `started_before` is given and /proc tells, began no later than that moment (else the pid
    has been reused by a later process)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        pass
    except OSError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (command) "
        if fields[0] == "Z":
            return False
        if started_before is not None:
            boot = next(
                int(line.split()[1])
                for line in Path("/proc/stat").read_text().splitlines()
                if line.startswith("btime ")
            )
            began = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
            # crawl_runs times have whole seconds; a little slack for clock rounding
            if began > started_before.timestamp() + 5:
                return False
    except (OSError, ValueError, IndexError, StopIteration):
        pass  # no /proc (not Linux): the kill check is all there is
    return True
