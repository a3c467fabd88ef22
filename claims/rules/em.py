"""Rules of the em family (see the rules catalogue)."""
