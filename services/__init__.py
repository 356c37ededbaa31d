"""Domain rules and data. Knows nothing of any messenger."""
