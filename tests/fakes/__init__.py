"""Test doubles of outside systems (never of our own code)."""
