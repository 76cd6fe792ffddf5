"""The keys table of docs/policy.md is generated and current: tools/policy_reference.py."""

from __future__ import annotations

import subprocess
import sys

from tests.core.tool_loader import ROOT, load_tool

TOOL = ROOT / "tools" / "policy_reference.py"


def test_the_policy_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(TOOL), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_stale_reference_is_replaced_and_statuses_are_shown() -> None:
    tool = load_tool("policy_reference")
    stale = f"intro\n{tool.BEGIN}\n| old | row |\n{tool.END}\noutro\n"
    fresh = tool.rendered(stale)
    assert fresh != stale
    assert fresh.startswith("intro\n") and fresh.endswith("outro\n")
    assert "| `funds.split.<name>.vesting_days` | integer ≥ 0 | enforced | `0` |" in fresh
    assert "| `backing.reserve_assets` | array of string not empty | enforced | `[]` |" in fresh
    assert "| `eligibility.membership_period_months` | integer ≥ 1 | declared |  |" in fresh
    assert "| `funds.split.<name>.share_bps` | integer ≥ 0, ≤ 10000 | enforced |  |" in fresh
    assert "| `policy.title` | string not empty | descriptive |  |" in fresh
    assert tool.rendered(fresh) == fresh
