"""Real vendors behind the provider port (`domain.ports.Provider`).

- `activecampaign.ActiveCampaignProvider`: ActiveCampaign's Partners Hub API (child accounts,
  snapshots, locale catalogs) over HTTP.
- `manual.ManualProvider`: a vendor without an API; every action becomes a portal task (SPEC §9).

The built-in simulated vendor stays in `domain.simulated`.
"""
