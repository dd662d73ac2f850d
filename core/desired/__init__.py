"""The desired state: which sessions a city should have this tick, and why (buildDesiredState)."""
