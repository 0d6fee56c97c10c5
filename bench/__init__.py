"""Load and size benchmarks (`make bench`, `python -m bench.run`); results go to bench/RESULTS.md."""
