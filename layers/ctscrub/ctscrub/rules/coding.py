"""Rule family: coding (being written)."""
