"""Process memory sampling from /proc (Linux), no dependency: peak RSS of a process tree while
something runs, per process and summed."""

from __future__ import annotations

import threading
from pathlib import Path


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces and parentheses.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_pids(root: int) -> list[int]:
    tree, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


class PeakRSS:
    """``with PeakRSS(roots) as peak: ...`` samples every ``interval`` s; afterwards
    ``peak.max_process_mib`` (the largest single process) and ``peak.max_total_mib``."""

    def __init__(self, roots, interval: float = 0.05) -> None:
        self.roots = roots if callable(roots) else (lambda: list(roots))
        self.interval = interval
        self.max_process_kib = 0
        self.max_total_kib = 0
        self.max_process_name = ""
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> None:
        pids = {p for root in self.roots() for p in tree_pids(root)}
        total = 0
        for pid in pids:
            kib = rss_kib(pid)
            total += kib
            if kib > self.max_process_kib:
                self.max_process_kib, self.max_process_name = kib, name(pid)
        self.max_total_kib = max(self.max_total_kib, total)
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def max_process_mib(self) -> float:
        return round(self.max_process_kib / 1024, 1)

    @property
    def max_total_mib(self) -> float:
        return round(self.max_total_kib / 1024, 1)
