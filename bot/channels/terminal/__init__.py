"""The terminal channel: `python -m bot chat` (a resident, or staff, typing in a terminal, to
the whole bot) and `python -m bot demo-data` (something for the chat to show).

Kept empty of imports so that the command line can name the subcommands (cli.py) without
loading the bot; run.py wires the process, chat.py turns input into updates, session.py
prints what the handlers send, transport.py what the outbox delivers.
"""
