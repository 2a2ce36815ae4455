"""CPU and memory of a process tree, sampled from /proc while it runs (Linux).

sfnflow's zygote sets SIGCHLD to SIG_IGN, so its workers are reaped by the kernel and
neither `wait4` nor RUSAGE_CHILDREN ever sees their CPU: the tree is sampled instead,
every `interval` seconds, keeping each process's last CPU figure and its largest RSS.
A process that lives less than one interval may be missed (Metaflow's tasks: measure
those with RUSAGE_CHILDREN, which sees them, as Metaflow waits for its children).
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Sample:
    cpu: dict[int, float] = field(default_factory=dict)  # pid -> user+system seconds, last seen
    rss: dict[int, int] = field(default_factory=dict)  # pid -> largest RSS in bytes
    parent: dict[int, int] = field(default_factory=dict)  # pid -> parent pid
    peak_tree_rss: int = 0  # the largest sum of the tree's RSS at one sampling

    def cpu_of(self, pids: set[int]) -> float:
        return sum(v for p, v in self.cpu.items() if p in pids)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, user+system CPU seconds, RSS bytes)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, int(fields[21]) * PAGE


class TreeSampler:
    """`with TreeSampler(pid) as s: ...` samples pid and its descendants until exit."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid, self.interval = pid, interval
        self.sample = Sample()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "TreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            self._once()
            if self._stop.wait(self.interval):
                return

    def _once(self) -> None:
        s = self.sample
        todo, tree_rss = [self.pid], 0
        while todo:
            pid = todo.pop()
            stat = _stat(pid)
            if stat is None:
                continue
            ppid, cpu, rss = stat
            s.parent[pid] = ppid
            s.cpu[pid] = max(cpu, s.cpu.get(pid, 0.0))
            s.rss[pid] = max(rss, s.rss.get(pid, 0))
            tree_rss += rss
            todo.extend(_children(pid))
        s.peak_tree_rss = max(s.peak_tree_rss, tree_rss)
