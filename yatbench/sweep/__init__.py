"""``yatbench sweep``: a grid of runs, executed in parallel, resumable, with failures kept apart.

- :mod:`yatbench.sweep.grid` reads a preset (``conf/sweep/<name>.yaml``), applies the command
  line's Hydra sweep syntax and composes + validates every point before anything runs;
- :mod:`yatbench.sweep.jobs` groups the runs into jobs and runs one job (in any process);
- :mod:`yatbench.sweep.executors` picks what runs the jobs: in this process, on a pool of local
  worker processes (:mod:`~yatbench.sweep.local_pool`), or through submitit (SLURM, or its local
  executor: :mod:`~yatbench.sweep.submitit_executor`); their settings and interface are in
  :mod:`yatbench.sweep.executor_base`;
- :mod:`yatbench.sweep.runner` ties them together: resume counts, progress, summary, exit code;
- :mod:`yatbench.sweep.params` counts and matches parameter budgets for the presets.
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "config", "rundir", "run")
