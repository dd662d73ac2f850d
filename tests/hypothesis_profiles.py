"""Hypothesis profiles for the property tests, chosen by HYPOTHESIS_PROFILE.

- ci (the default): a modest number of examples, no deadline, new examples on every run from
  the run's seed (tests/conftest.py: HYPOTHESIS_SEED, else random; printed in the report header
  and under a failing property, so `HYPOTHESIS_SEED=N` reruns a failure exactly);
- dev: the same, with more examples; a failure is kept in .hypothesis/ and replayed first;
- deep: random and ten times longer, for hunting.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much]

settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True, suppress_health_check=_QUIET)
settings.register_profile("dev", max_examples=300, deadline=None, print_blob=True, suppress_health_check=_QUIET)
settings.register_profile("deep", max_examples=1000, deadline=None, print_blob=True, suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
