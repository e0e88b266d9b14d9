"""Benchmarks of the performance budgets in DESIGN.md, each figure measured beside its baseline in one run.

Run as `python -m bench --size N` (or `make bench SIZE=N`). The harness makes its own PostgreSQL database and
Redis key prefix, starts the processes it measures (Mitto simulator, Celery workers, gunicorn) as subprocesses,
and always removes them again.
"""
