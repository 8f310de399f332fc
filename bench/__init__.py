"""Benchmarks. `make bench` runs them all and writes bench/results.json.

Every figure is reported as a ratio against a baseline measured in the same run, so results
from different machines can be compared.
"""
