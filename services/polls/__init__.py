"""Consultation polls: moderators ask, verified residents answer once, results go out once.

`rules` (limits), `validation` (every field a moderator types), `access` (staff only),
`manage` (create, preview, publish, edit before the first answer, close early), `listing`
(open and closed polls, paged), `eligibility` (whether a resident may answer now, or why
not), `answers` (a resident's view of a poll, answering and changing the answer),
`remembered` (what stays with a poll's version, kept so a first answer reads nothing),
`results` (tally, percentages, text bars), `export` (anonymised CSV),
`chart` (the results picture, matplotlib drawn lazily), `media` (the stored chart the
outbox refers to), `jobs` (opening announcements, closing, results: see `JOBS`).

This package imports nothing at load time: `services.models` pulls in `services.polls.models`.
"""
