"""The org tests' fixtures. Each module builds the tree its tests need (its own `org`, shaped for what it
tests) with tests/factories.py, so none is shared here; the organisers logged in over the API that the
bank and contest tests act as (api_tokens) are in tests/fixtures/org.py."""
