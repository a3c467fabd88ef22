"""Rules of the demographic family (see the rules catalogue)."""
