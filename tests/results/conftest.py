"""The results tests' fixtures. The results arena (results_arena: two rounds to add finished attempts to and
rank), which the contest pages use too, is in tests/fixtures/results.py, and the quiz world these tests
close and re-score (quiz_world) in tests/fixtures/quiz.py; the board people are in tests/results/helpers.py."""
