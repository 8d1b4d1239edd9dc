"""Scenario files (TOML), one per strategy."""
