"""Benchmarks. `make bench` runs them all and writes bench/results.json.

Every goal is a ratio to the best this machine does at the same thing, measured in the same
run (bench.common says how a benchmark is written, bench/README.md what each one measures).
"""
