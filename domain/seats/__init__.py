"""License seats (SPEC §6): who holds a license, a new per-seat subscription, more licenses or user seats.

One room for the capability, split by what each module touches, so a rule is found by its job:

- `rules`: pure rules over plain data (email addresses, free licenses, the one-year term), tested
  without a database; `new_subscription`: the new-subscription form, checked field by field.
- `card`: what `/seats <account>` shows. `members`: add, activate, remove, replace, make administrator.
- `subscribe`: a new per-seat subscription and its first charge. `topup`: more licenses, or user
  seats on contact-tiered plans, and their reduction at renewal.
- `charging`: what the two charging services share (invoice lines, the stored result of a request).

The queries are in `domain.store.seats`, so no module here imports SQLAlchemy. Nothing is
re-exported here: import the module that does the job.
"""
