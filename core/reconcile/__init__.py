"""One controller tick: hygiene, drain-ack finalization, desired build, sync, bead reconcile."""
