"""What citywatch refuses or cleans from outside input: file reads, terminal text, sizes it models."""
