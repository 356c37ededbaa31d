"""The council's districts and each resident's one.

`rules` (DistrictRules: DISTRICTS names + the DISTRICTS_TABLE street table, built once at
start-up), `streets` (street names and building numbers folded for comparison), `table` (the
CSV table and its lookup), `residents` (a resident's district: derive, ask once, change,
and the audience condition for broadcasts and polls).
"""
