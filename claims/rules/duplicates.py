"""Rules of the duplicates family (see the rules catalogue)."""
