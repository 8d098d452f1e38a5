"""The Slack adapter: turns slash commands, modals and buttons into domain calls and back."""
