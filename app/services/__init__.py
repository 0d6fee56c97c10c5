"""The domain services. Importing any of them installs the data rules that must hold whoever writes: the stored
turnout counts follow every member and attempt change (results.tally)."""

from app.services.results import tally as _tally  # noqa: F401  (installs its listeners)
