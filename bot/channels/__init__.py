"""Messenger channels: each turns its own events into updates and renders what the bot sends."""
