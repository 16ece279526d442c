"""Rule family: dates (being written)."""
