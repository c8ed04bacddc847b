"""The studio's style guide as people read it: a badge for the panel, and a Markdown document of the
approved profiles (with who approved them, their version and their settings) for a team to review."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from paramlab.profiles.model import Profile


def badge(profile: Profile) -> str:
    """"✓ Approved" / "🔒 Locked" with who and when, or "" for a profile outside the guide."""
    parts = []
    if profile.approved:
        who = f" by {profile.approved_by}" if profile.approved_by else ""
        when = f" on {profile.approved_at:%Y-%m-%d}" if profile.approved_at else ""
        parts.append(f"✓ Approved{who}{when}")
    if profile.locked:
        parts.append("🔒 Locked")
    if parts and profile.version:
        parts.append(f"version {profile.version}")
    return " · ".join(parts)


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def guide_markdown(profiles: Iterable[Profile], *, title: str = "Parameter style guide",
                   now: datetime | None = None) -> str:
    """The approved profiles, one section each; stored profiles outside the guide are listed at the end."""
    stored = [profile for profile in profiles if not profile.starter]
    approved = [profile for profile in stored if profile.approved]
    others = [profile for profile in stored if not profile.approved]
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# {title}", "", f"Exported from the ParamLab ledger on {stamp}: {len(approved)} approved "
             f"profile(s).", ""]
    for profile in approved:
        lines += [f"## {profile.name}", "", badge(profile), ""]
        if profile.description:
            lines += [f"**When to use:** {profile.description}", ""]
        if profile.model_scope:
            lines += [f"**Checkpoint:** {profile.model_scope}", ""]
        if profile.updated_by or profile.updated_at:
            by = f" by {profile.updated_by}" if profile.updated_by else ""
            at = f" on {profile.updated_at:%Y-%m-%d %H:%M}" if profile.updated_at else ""
            lines += [f"Last changed{by}{at}.", ""]
        lines += ["| setting | value |", "|---|---|"]
        lines += [f"| {_cell(key)} | {_cell(value)} |" for key, value in profile.settings.items()]
        lines.append("")
    if others:
        lines += ["## Not in the guide", ""]
        lines += [f"- {profile.name}" + (" (locked)" if profile.locked else "") for profile in others]
        lines.append("")
    return "\n".join(lines)
