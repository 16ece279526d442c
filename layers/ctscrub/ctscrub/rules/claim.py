"""Rule family: claim (being written)."""
