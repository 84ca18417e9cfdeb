"""The chapter's inputs on every Dask worker, for as long as a run needs them.

Scattered data is Dask's to move and to drop: its memory manager keeps one replica where no
task is waiting, and a worker lost with the last replica loses the data for good. A worker
plugin is the cluster's own way to give every worker, present or joining later (a restarted
worker too), the same state: the scheduler keeps the plugin and sets it up on each new worker.
The plugin carries the images as the dataset stores them (uint8, an eighth of the float64
pixels) and each worker makes the chapter's float64 inputs from them once.
"""

from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin

from reportgen.engine.profiles import CompactInputs, Inputs

_ON_THIS_WORKER: dict[str, Inputs] = {}


class InputsPlugin(WorkerPlugin):
    def __init__(self, name: str, compact: CompactInputs) -> None:
        self.name = name
        self.compact = compact

    def setup(self, worker) -> None:
        _ON_THIS_WORKER[self.name] = self.compact.expand()

    def teardown(self, worker) -> None:
        _ON_THIS_WORKER.pop(self.name, None)


def inputs_named(name: str) -> Inputs:
    """This worker's copy of the run's inputs (set up by the run's plugin)."""
    return _ON_THIS_WORKER[name]
