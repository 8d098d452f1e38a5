"""The business core of Reseller Desk. Nothing below this package imports Slack."""
