"""The model an operator drives (`facade.Model`), a patrol step, scale_check runs, invariants."""
