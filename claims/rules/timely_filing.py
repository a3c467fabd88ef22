"""Rules of the timely_filing family (see the rules catalogue)."""
