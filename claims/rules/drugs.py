"""Rules of the drugs family (see the rules catalogue)."""
