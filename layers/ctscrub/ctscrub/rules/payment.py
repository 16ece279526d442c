"""Rule family: payment (being written)."""
