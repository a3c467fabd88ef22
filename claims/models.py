"""Claims, their lines and their review. Filled in by the claim-entry and rules-engine issues."""
