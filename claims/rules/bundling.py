"""Rules of the bundling family (see the rules catalogue)."""
