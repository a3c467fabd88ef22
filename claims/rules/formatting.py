"""Rules of the formatting family (see the rules catalogue)."""
