"""Four-eyes approvals (SPEC §1): above the agency's amount a charge waits for a second owner or
billing member, for 24 hours at most.

- `rules`: pure rules (is an approval needed, may this member decide now), unit-tested without a database.
- `requests`: the service: the threshold, asking, deciding, executing once, listing.
- `actions`: what a held action costs and how it runs, per kind, through the confirm step's own service.
- `expiry`: requests past their 24 hours, and the channel messages that must stop offering buttons.

Nothing is re-exported here: import the module that does the job.
"""
