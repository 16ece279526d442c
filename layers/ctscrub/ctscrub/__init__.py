"""ctscrub: a claim scrubber for chest CT (CPT 71250-71275) against Medicare rules."""

__version__ = "0.1.0"
RULESET_VERSION = "2026.11.1"
"""Version of the rule set and bundled reference data; stored on every upload record."""
