"""Benchmarks of gpu-mlaas: `python -m bench` (or `make bench`) prints each figure with the
command that reproduces it and writes them to `bench/results.json` (local, not committed).

Figures: vRA calls per lifecycle step against the minimal documented sequence (`vra_calls`),
vCenter sessions per provider process (`vra_calls`), wall time under injected vRA latency
against its critical path (`latency`), `plan` scaling (`plan_time`) and program evaluation
scaling under mocks (`program_eval`). Benchmarks measure; they assert nothing.
"""
