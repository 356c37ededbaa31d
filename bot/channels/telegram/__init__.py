"""Telegram: the client and its start-up (client.py), long polling (polling.py), the webhook
(webhook.py), command lists and profile (commands.py), length limits (limits.py), deep links
(links.py), showing screens (render.py) and the outbox transport (transport.py)."""
