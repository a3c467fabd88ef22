"""Rules of the units family (see the rules catalogue)."""
