"""The vendors behind the accounts: real adapters and what their APIs do not offer (SPEC §9)."""
