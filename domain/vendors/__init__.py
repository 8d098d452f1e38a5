"""Real vendors behind the provider port (`domain.ports.Provider`).

- `activecampaign.ActiveCampaignProvider`: ActiveCampaign's Partners Hub API (child accounts,
  snapshots, locale catalogs) over HTTP.
- `manual.ManualProvider`: a vendor without an API; every action becomes a portal task (SPEC §9).
- `tasks`: portal tasks, what a person does in the vendor's portal when its API does not offer it.

The built-in simulated vendor stays in `domain.simulated`.
"""
