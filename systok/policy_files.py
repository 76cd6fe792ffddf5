"""The I/O edge of policies: find policy files, read them, choose one for a week.

``systok.core.policy`` parses text and knows nothing of files; this module decides
*which* file. Policies live in one folder, one file per version, named
``<version>.toml``. The folder is, in order: ``Settings.policy_dir`` (``SYSTOK_POLICY_DIR``),
the ``_policies`` folder shipped inside the installed package, or the repository's
``policies/`` next to the package (an editable install).

A week is governed by the policy with the latest ``effective_from`` not after it, so
adding a new policy file changes the economy only from its own week on and old weeks
replay with the policy they were settled with. ``Settings.policy``
(``SYSTOK_POLICY``) pins one version for every week instead.
"""

from __future__ import annotations

from pathlib import Path

from systok.config import Settings, get_settings
from systok.core.policy import Policy, parse_policy
from systok.core.weeks import IsoWeek
from systok.errors import PolicyInvalid, PolicyNotFound, PolicyProblem

POLICY_SUFFIX = ".toml"

_PACKAGE_DIR = Path(__file__).resolve().parent


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else get_settings()


def policy_dir(settings: Settings | None = None) -> Path:
    """The folder policies are read from (see the module docstring for the order).

    Raises:
        PolicyNotFound: when the configured folder does not exist, or no folder is found.
    """
    configured = _settings(settings).policy_dir
    if configured is not None:
        if not configured.is_dir():
            raise PolicyNotFound(
                f"policy folder {configured} (SYSTOK_POLICY_DIR) does not exist or is not a folder"
            )
        return configured
    for candidate in (_PACKAGE_DIR / "_policies", _PACKAGE_DIR.parent / "policies"):
        if candidate.is_dir():
            return candidate
    raise PolicyNotFound(
        "no policy folder: set SYSTOK_POLICY_DIR, or reinstall SysTok with its policies"
    )


def load_policy_file(path: Path | str) -> Policy:
    """Read and parse one policy file.

    Raises:
        PolicyNotFound: the file does not exist or cannot be read.
        PolicyInvalid: the file is refused; every problem is listed.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyNotFound(f"policy file {file} does not exist") from None
    except IsADirectoryError:
        raise PolicyNotFound(f"policy file {file} is a folder, not a file") from None
    except UnicodeDecodeError as error:
        problem = PolicyProblem(str(file), "(file)", f"not UTF-8 text: {error.reason}")
        raise PolicyInvalid([problem]) from None
    except OSError as error:
        raise PolicyNotFound(f"policy file {file} cannot be read: {error.strerror}") from None
    return parse_policy(text, source=str(file))


def policy_files(settings: Settings | None = None) -> list[Path]:
    """The policy files in the policy folder, sorted by name."""
    return sorted(policy_dir(settings).glob(f"*{POLICY_SUFFIX}"))


def list_policies(settings: Settings | None = None) -> list[Policy]:
    """Every policy in the folder, oldest ``effective_from`` first.

    Raises:
        PolicyInvalid: any file is refused, a file's name is not its version, or two
            policies take effect in the same week (the choice would be ambiguous).
            Problems of all files are reported together.
        PolicyNotFound: the folder holds no policy file.
    """
    files = policy_files(settings)
    if not files:
        raise PolicyNotFound(f"no policy files (*{POLICY_SUFFIX}) in {policy_dir(settings)}")
    policies: list[Policy] = []
    problems: list[PolicyProblem] = []
    for file in files:
        try:
            policy = load_policy_file(file)
        except PolicyInvalid as refused:
            problems.extend(refused.problems)
            continue
        if policy.version != file.stem:
            problems.append(
                PolicyProblem(
                    str(file),
                    "policy.version",
                    f"the file must be named {policy.version}{POLICY_SUFFIX} "
                    f"after the version it declares",
                )
            )
        policies.append(policy)
    by_week: dict[IsoWeek, Policy] = {}
    for policy in policies:
        other = by_week.get(policy.effective_from)
        if other is not None:
            problems.append(
                PolicyProblem(
                    policy.source,
                    "policy.effective_from",
                    f"{policy.effective_from} is also the start of {other.version}; "
                    "each policy must start in its own week",
                )
            )
        by_week[policy.effective_from] = policy
    if problems:
        raise PolicyInvalid(problems)
    return sorted(policies, key=lambda p: (p.effective_from, p.version))


def _looks_like_path(name_or_path: str | Path) -> bool:
    if isinstance(name_or_path, Path):
        return True
    return name_or_path.endswith(POLICY_SUFFIX) or "/" in name_or_path or "\\" in name_or_path


def load_policy(name_or_path: str | Path, settings: Settings | None = None) -> Policy:
    """A policy by version name (``stk-2025-04``) from the folder, or by file path.

    Raises:
        PolicyNotFound: no such version or file; the message lists the versions there are.
        PolicyInvalid: the file is refused.
    """
    if _looks_like_path(name_or_path):
        return load_policy_file(name_or_path)
    name = str(name_or_path)
    file = policy_dir(settings) / f"{name}{POLICY_SUFFIX}"
    if not file.is_file():
        known = ", ".join(p.stem for p in policy_files(settings)) or "none"
        raise PolicyNotFound(f"no policy {name!r} in {policy_dir(settings)} (known: {known})")
    policy = load_policy_file(file)
    if policy.version != name:
        problem = PolicyProblem(
            str(file), "policy.version", f"declares version {policy.version!r}, not {name!r}"
        )
        raise PolicyInvalid([problem])
    return policy


def pinned_policy(settings: Settings | None = None) -> Policy | None:
    """The policy pinned by ``SYSTOK_POLICY``, or None when nothing is pinned."""
    pinned = _settings(settings).policy
    return load_policy(pinned, settings) if pinned else None


def policy_for_week(week: IsoWeek, settings: Settings | None = None) -> Policy:
    """The policy that governs ``week``: the latest ``effective_from`` ≤ week.

    A version pinned in ``Settings.policy`` wins over the choice by week.

    Raises:
        PolicyNotFound: every policy starts after ``week``.
    """
    pinned = pinned_policy(settings)
    if pinned is not None:
        return pinned
    policies = list_policies(settings)
    governing = [p for p in policies if p.effective_from <= week]
    if not governing:
        first = policies[0]
        raise PolicyNotFound(
            f"no policy governs {week}: the earliest, {first.version}, "
            f"takes effect in {first.effective_from}"
        )
    return governing[-1]


def default_policy(settings: Settings | None = None) -> Policy:
    """The pinned policy if any, else the newest one (the latest ``effective_from``)."""
    pinned = pinned_policy(settings)
    if pinned is not None:
        return pinned
    return list_policies(settings)[-1]
