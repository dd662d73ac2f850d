"""citywatch core: a faithful, deterministic model of Gas City's session reconciler.

Nothing in this package imports textual; the TUI and the headless CLI are both thin
layers over the calls defined here.
"""
