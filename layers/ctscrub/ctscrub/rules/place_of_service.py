"""Rule family: place_of_service (being written)."""
