"""Hromada bot: the transport side (Telegram wiring, middlewares, scheduler, entry point)."""
