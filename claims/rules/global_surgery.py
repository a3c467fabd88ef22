"""Rules of the global_surgery family (see the rules catalogue)."""
