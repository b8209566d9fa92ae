"""Models (filled in by the customers work)."""
