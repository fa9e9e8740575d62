"""Benchmarks at clinic-network scale (issue 8). Not part of the test suite: see bench/README.md."""
