"""Rule family: modifiers (being written)."""
