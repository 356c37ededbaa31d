"""Thin conversation handlers, one router per feature."""
