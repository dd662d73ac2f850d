"""`citywatch explain`: why a session has its identity and state, in operator words and JSON."""
