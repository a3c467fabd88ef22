"""Rules of the modifiers family (see the rules catalogue)."""
