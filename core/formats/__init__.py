"""Text forms Gas City writes and reads: Go durations, Go's parse errors, bead metadata, RFC 3339."""
