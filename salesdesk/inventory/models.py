"""Models (filled in by the inventory work)."""
