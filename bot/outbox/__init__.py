"""The outbox worker loop, written once for every channel (see worker.py for the guarantees):
budget.py shares an account's rate between processes, throttle.py paces one process,
worker.py claims, sends through a channel's Transport and records, run.py starts one sender
per configured channel.

Kept empty of imports: channel transports import the worker, and the runner imports the
channels' registry.
"""
