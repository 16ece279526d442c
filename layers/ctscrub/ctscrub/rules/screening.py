"""Rule family: screening (being written)."""
