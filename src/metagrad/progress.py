"""A tiny progress reporter for long experiments (no dependencies, logs to stderr).

    progress = Progress(total=grid_points, desc="landscape")
    for ...:
        ...
        progress.update(1)
    progress.close()

Lines look like ``[landscape] 120/625 (19.2%) 3.1 it/s, elapsed 0:00:38, ETA 0:02:42`` and are
written at most every ``interval`` seconds (plus the first and the last update).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "NullProgress"]


def _fmt_seconds(s: float) -> str:
    if s != s or s == float("inf"):  # nan / inf
        return "?"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}"


class Progress:
    """Counts work units and logs rate and ETA to ``stream`` at most every ``interval`` seconds."""

    def __init__(self, total: int | None = None, desc: str = "progress", interval: float = 5.0,
                 stream: TextIO | None = None, clock=time.monotonic):
        self.total = total
        self.desc = desc
        self.interval = float(interval)
        self.stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self.start = clock()
        self.n = 0
        self._last_log: float | None = None
        self.lines_written = 0

    def set_total(self, total: int) -> None:
        self.total = total

    def line(self) -> str:
        elapsed = self._clock() - self.start
        rate = self.n / elapsed if elapsed > 0 else float("nan")
        if self.total:
            pct = 100.0 * self.n / self.total
            eta = (self.total - self.n) / rate if rate and rate == rate and rate > 0 else float("nan")
            return (f"[{self.desc}] {self.n}/{self.total} ({pct:.1f}%) {rate:.3g} it/s, "
                    f"elapsed {_fmt_seconds(elapsed)}, ETA {_fmt_seconds(eta)}")
        return f"[{self.desc}] {self.n} done, {rate:.3g} it/s, elapsed {_fmt_seconds(elapsed)}"

    def _emit(self) -> None:
        self.stream.write(self.line() + "\n")
        self.stream.flush()
        self._last_log = self._clock()
        self.lines_written += 1

    def update(self, n: int = 1) -> None:
        self.n += n
        now = self._clock()
        done = self.total is not None and self.n >= self.total
        if self._last_log is None or done or now - self._last_log >= self.interval:
            self._emit()

    def log(self, message: str) -> None:
        """Write a free-form message with the progress prefix."""
        self.stream.write(f"[{self.desc}] {message}\n")
        self.stream.flush()

    def close(self) -> None:
        if self._last_log is None or (self.total is not None and self.n < self.total):
            self._emit()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class NullProgress(Progress):
    """Progress that prints nothing (for tests and notebooks)."""

    def __init__(self, total: int | None = None, desc: str = "progress", **_):
        super().__init__(total, desc, stream=None)

    def _emit(self) -> None:
        self._last_log = self._clock()

    def log(self, message: str) -> None:
        pass
