"""The "did you mean" hint of an unknown key is the same on every run: equally close candidates
are broken by name, not by the order a set happens to iterate in (which changes with the hash
seed between runs)."""

from __future__ import annotations

import os
import subprocess
import sys

from core.config.schema import suggest


def test_the_closest_key_is_suggested():
    assert suggest("idle_timout", {"idle_timeout", "max_session_age"}) == ' (did you mean "idle_timeout"?)'
    assert suggest("zzzzzzzz", {"idle_timeout"}) == ""


def test_equally_close_keys_break_by_name_whatever_the_order():
    # "scope" is one edit from both "scopa" and "scopb"
    assert suggest("scope", ["scopb", "scopa"]) == suggest("scope", ["scopa", "scopb"]) == ' (did you mean "scopa"?)'


def test_the_hint_does_not_change_with_the_hash_seed():
    code = ("from core.config.schema import suggest; "
            "print(suggest('tick', {'pick', 'kick', 'lick', 'nick', 'sick', 'wick', 'tack', 'tuck'}))")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    seen = {subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONHASHSEED=str(seed))).stdout for seed in range(6)}
    assert seen == {' (did you mean "kick"?)\n'}
