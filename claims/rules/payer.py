"""Rules of the payer family (see the rules catalogue)."""
