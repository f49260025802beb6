"""The dashboard benchmark (issue 15): ``.venv/bin/python -m bench.dashboard``."""
