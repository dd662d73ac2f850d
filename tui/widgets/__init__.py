"""The panels of the main screen: each renders core state and nothing else."""
