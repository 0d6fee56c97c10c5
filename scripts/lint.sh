#!/usr/bin/env bash
# One lint for `make lint`, `make test` and the pre-commit hook: format, lint rules, types, complexity.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
"$BIN/ruff" format --check --quiet .
"$BIN/ruff" check --quiet .
if grep -q '^\[tool.mypy\]' pyproject.toml; then "$BIN/mypy"; fi
# No function above radon's grade C (cyclomatic complexity over 20): split it into named rules.
complex=$("$BIN/radon" cc --min D --show-complexity app)
if [ -n "$complex" ]; then
  echo "lint: functions above grade C (split them into named rules):" >&2
  echo "$complex" >&2
  exit 1
fi
echo "lint: clean"
