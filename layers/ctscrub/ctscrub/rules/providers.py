"""Rule family: providers (being written)."""
