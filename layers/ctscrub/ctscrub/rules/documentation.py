"""Rule family: documentation (being written)."""
