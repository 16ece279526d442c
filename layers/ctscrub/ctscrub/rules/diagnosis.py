"""Rule family: diagnosis (being written)."""
