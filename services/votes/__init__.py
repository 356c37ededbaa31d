"""Council roll-call votes: deputies, sessions, decisions and each deputy's vote.

Reading files: `archive` (uploads, ZIP limits), `decoding` (bytes to text), `formats`
(parsers of Annex 29/30 and e-voting JSON into plain records), `normalize` (votes, results,
names, numbers, dates). Importing: `importer` (the service: files in, `report` out), `store`
and `rolls` (plan, then bulk writes), `resolve` and `deputies_import` (who is who), `tallies`
(count checks, per-session statistics). Showing: `queries`, `stats`, `follow`, `publishing`,
with `views` (the frozen values they return). `models`, `rules` (limits), `access` (staff).

This package imports nothing at load time: `services.models` pulls in `services.votes.models`.
"""
