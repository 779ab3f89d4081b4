"""Small helpers shared by several test files."""

from __future__ import annotations

import os

from metagrad.progress import NullProgress

# for pipelines whose numbers are only checked for plumbing: XLA skips its expensive passes
# (about halves a Brax program's compile time on 2 CPU cores)
FAST_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


def use_fast_compile(monkeypatch) -> None:
    """Add ``FAST_COMPILE`` to ``XLA_FLAGS`` for this test and its subprocesses."""
    monkeypatch.setenv("XLA_FLAGS", f"{os.environ.get('XLA_FLAGS', '')} {FAST_COMPILE}".strip())


class Interrupted(Exception):
    pass


class InterruptAfter(NullProgress):
    """A progress reporter that simulates a kill after ``limit`` finished work units."""

    def __init__(self, limit):
        super().__init__()
        self.limit, self.count = limit, 0

    def update(self, n=1):
        self.count += n
        if self.count >= self.limit:
            raise Interrupted
