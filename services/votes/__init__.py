"""Council roll-call votes: deputies, sessions, decisions and each deputy's vote.

Modules: `models` (tables), `normalize` (values, names, results), `decoding` and `archive`
(bytes, encodings, ZIP limits), `formats` (parsers of the published formats), `resolve`
(deputy matching), `importer` and `store` (the import service), `queries` and `stats`
(what the screens show), `follow`, `publishing`, `report` (the import report).

This package imports nothing at load time: `services.models` pulls in `services.votes.models`.
"""
