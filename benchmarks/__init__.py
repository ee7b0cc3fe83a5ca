"""Benchmarks: `make bench` (python -m benchmarks) runs them all and rewrites docs/benchmarks.md."""
