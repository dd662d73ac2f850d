"""Scenario files: parsing, running, expectations, the check report and the run's trace."""
