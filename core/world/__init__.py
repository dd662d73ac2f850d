"""The world the model reads: session and work beads, the simulated runtime, the clock."""
