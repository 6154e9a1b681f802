"""Background work: the scheduler with its lease and run records, the job registry, the worker and
scheduler commands, and the process supervisors of `make run` and `make serve`."""
