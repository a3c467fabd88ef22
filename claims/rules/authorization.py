"""Rules of the authorization family (see the rules catalogue)."""
