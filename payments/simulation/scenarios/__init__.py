"""Bundled scenario files (package data): ``thai-nguyen.toml`` and its ``targets.toml``."""
