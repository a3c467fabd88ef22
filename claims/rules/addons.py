"""Rules of the addons family (see the rules catalogue)."""
