"""Notices to the agency channel (SPEC §8): rules decide what is due, the sweep enqueues it in the
outbox, delivery claims and marks rows so each notice is posted once whatever runs it and how often.

Posting itself is the Slack adapter's job (`bot.jobs.notifier`); nothing here imports Slack.
"""
