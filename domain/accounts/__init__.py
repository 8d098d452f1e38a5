"""Resold accounts (SPEC §4): pure rules, services that change accounts, and the queries that find them.

`rules` and `filters` are plain functions over plain data; every other module takes a unit of work
and the ports it needs, checks the actor's role, audits, and commits.
"""
