"""The contest tests' fixtures. The contest API tests act as the organisers of api_tokens
(tests/fixtures/org.py), and closing a round by hand from its page runs in the results arena
(results_arena, tests/fixtures/results.py); each module's own world (`w`, `topic`) stays in it."""
