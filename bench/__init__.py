"""Benchmarks: scripts that print numbers and compare against a baseline in the same run."""
