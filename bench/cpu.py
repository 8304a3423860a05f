"""Where the CPU goes while bench/run (and celery_ceiling.py) measure: /proc is read around every round
or repetition and the machine's CPU split between the processes of interest (gunicorn workers, the
celery worker, the bench's PostgreSQL backends), Redis, the bench process itself and everything else
on the shared machine, because the client runs on the same 2 cores as the server. Optionally py-spy
samples a live process tree (bench/run --py-spy; that perturbs the phases it samples).
"""

import os
import signal
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from harness import OUT, VENV_BIN, Processes, log

HZ = os.sysconf("SC_CLK_TCK")
Stat = tuple[str, int, float]  # (command name, parent pid, CPU seconds so far)


def _stat(pid: int | str) -> Stat | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            raw = handle.read()
    except OSError:  # exited meanwhile
        return None
    head, _, tail = raw.rpartition(")")  # the command name may hold spaces and parentheses
    fields = tail.split()
    try:
        return head.partition("(")[2], int(fields[1]), (int(fields[11]) + int(fields[12])) / HZ
    except (IndexError, ValueError):
        return None


def snapshot() -> dict[int, Stat]:
    """pid -> (command name, parent pid, CPU seconds so far) for every process on the machine."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(entry)) is not None:
            found[int(entry)] = stat
    return found


def children_of(pid: int) -> list[int]:
    return [child for child, (_comm, ppid, _cpu) in snapshot().items() if ppid == pid]


def system_cpu() -> tuple[float, float, float]:
    """(busy, idle, steal) seconds of the whole machine (all CPUs)."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / HZ, (idle + iowait) / HZ, steal / HZ


class CpuMeter:
    """Where the machine's CPU went between start() and stop(), by group of processes.

    `groups` maps a name to a callable returning pids (evaluated at stop); other processes are
    grouped by name: postgres (not the bench's backends: WAL writer etc., and other databases),
    redis-server, this bench process (load generator / SMTP sink), and everything else on the
    shared machine. `unattributed` is machine busy time not seen in any live process (processes
    that exited meanwhile, kernel work)."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.sys0 = system_cpu()
        self.snap0 = snapshot()
        self.owner: dict[int, str] = {}
        self.last: dict[int, Stat] = {}
        self.sample()

    def sample(self) -> None:
        """Remember the group members' CPU now, so a member that exits before stop() (e.g. a
        PostgreSQL backend whose connection was recycled) is still counted up to here."""
        for name, pids in self.groups.items():
            for pid in pids():
                self.owner[pid] = name
                if (stat := _stat(pid)) is not None:
                    self.last[pid] = stat

    def stop(self) -> dict:
        self.sample()
        wall = time.perf_counter() - self.t0
        sys1 = system_cpu()
        snap1 = snapshot()
        for pid, values in self.last.items():
            snap1.setdefault(pid, values)  # exited meanwhile: its last sampled CPU
        usage: dict[str, float] = {}
        for pid, (comm, _ppid, cpu) in snap1.items():
            before = self.snap0.get(pid)
            group = self._group(pid, comm)
            usage[group] = usage.get(group, 0.0) + cpu - (before[2] if before and before[0] == comm else 0.0)
        busy, idle, steal = (b - a for a, b in zip(self.sys0, sys1, strict=True))
        usage["unattributed"] = busy - sum(usage.values())
        total = busy + idle + steal
        return {"cpu_s": usage, "wall": wall, "machine_busy_pct": 100 * busy / total if total else 0.0,
                "machine_steal_pct": 100 * steal / total if total else 0.0}

    def _group(self, pid: int, comm: str) -> str:
        if pid in self.owner:
            return self.owner[pid]
        if pid == os.getpid():
            return "bench_process"
        if comm.startswith("postgres"):
            return "postgres_other"
        if comm.startswith("redis-server"):
            return "redis"
        return "other_processes"


def cpu_breakdown(usages: list[dict], units: int) -> dict:
    """Summed over rounds: CPU ms per unit (request, notice) and cores used, by process group."""
    groups = sorted({g for u in usages for g in u["cpu_s"]})
    wall = sum(u["wall"] for u in usages)
    return {
        "ms_per_unit": {g: round(1000 * sum(u["cpu_s"].get(g, 0.0) for u in usages) / max(1, units), 2)
                        for g in groups},
        "cores_used": {g: round(sum(u["cpu_s"].get(g, 0.0) for u in usages) / wall, 2) for g in groups},
        "machine_busy_pct": round(statistics.mean(u["machine_busy_pct"] for u in usages), 1),
        "machine_steal_pct": round(statistics.mean(u["machine_steal_pct"] for u in usages), 1),
    }


# --- Optional sampling profiles (bench/run --py-spy): perturbs the numbers of the profiled phases. ---

def start_pyspy(procs: Processes, pid: int, name: str) -> tuple[subprocess.Popen, Path]:
    out = OUT / f"pyspy-{name}.txt"
    argv = [str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--rate", "200",
            "--format", "raw", "--output", str(out), "--nonblocking", "--duration", "300"]
    return procs.start(f"py-spy {name}", argv, dict(os.environ), OUT / f"pyspy-{name}.log"), out


def stop_pyspy(procs: Processes, proc: subprocess.Popen, out: Path) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
    procs.stop(proc)
    if out.exists():
        summarize_pyspy(out)


def summarize_pyspy(path: Path, top: int = 35) -> None:
    """Collapsed stacks -> the functions with the most samples, on-CPU only (inclusive and self)."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [f.rsplit(":", 1)[0] + ")" if f.endswith(")") and ":" in f else f
                  for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + count
    lines = [f"{path.name}: {total} samples (on-CPU, all processes of the tree)", "", "inclusive:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in sorted(inclusive.items(), key=lambda x: -x[1])[:top]]
    lines += ["", "self:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in sorted(own.items(), key=lambda x: -x[1])[:top]]
    (path.parent / (path.stem + "-top.txt")).write_text("\n".join(lines) + "\n")
    log(f"py-spy summary: {path.parent.name}/{path.stem}-top.txt")
