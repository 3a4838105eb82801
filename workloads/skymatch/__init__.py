"""Sky-survey source matching: catalog cross-match on the sphere."""
