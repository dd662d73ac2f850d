"""Modal screens: help, value dialogs."""
