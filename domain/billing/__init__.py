"""Billing: what the agency pays the desk, and when (SPEC §5, §7).

One room for every rule about money leaving the agency for a cycle: the means of payment
(`profiles`), the one charge path (`charges`), the billing history (`invoices`), what the next
cycle costs (`renewal`), how long a renewal may meet an unreachable gateway (`retry`), the daily run
that charges every account due (`run`, one transaction per `batch`, sharing `run_state`), and a
renewal a person asks for (`manual_renewal`). Import the module you need; nothing is re-exported here.
"""
