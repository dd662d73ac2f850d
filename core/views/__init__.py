"""What the screens and JSON show, read from a ModelView: plan, roster, board, state JSON, config."""
