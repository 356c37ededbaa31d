"""The channels the bot talks through, as adapters: base.py (what an outbox transport is),
registry.py (which channels exist), and one package per channel (telegram/, viber/), each
turning its own events into updates and rendering what the bot sends."""
