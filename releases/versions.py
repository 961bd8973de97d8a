"""Semantic versions: a release's type must agree with its bump from production."""

from __future__ import annotations

import re
from typing import NamedTuple

from django.core.exceptions import ValidationError

from .models import SEMVER_RE, Release, ReleaseType, Stage, semver_validator

_SEMVER = re.compile(SEMVER_RE)


class Version(NamedTuple):
    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def bump(self, release_type: str) -> Version:
        if release_type == ReleaseType.MAJOR:
            return Version(self.major + 1, 0, 0)
        if release_type == ReleaseType.MINOR:
            return Version(self.major, self.minor + 1, 0)
        return Version(self.major, self.minor, self.patch + 1)


def parse(value: str) -> Version:
    match = _SEMVER.match(value or "")
    if not match:
        raise ValidationError({"version": semver_validator.message})
    return Version(*(int(part) for part in match.groups()))


def production_base(exclude_pk: int | None = None) -> Release | None:
    """The highest version in production that was not rolled back: versions are bumped from it.

    By version, not by deploy time, so a deliberate downgrade or an older release shipped late
    never drags the base back under releases already planned from it.
    """
    qs = Release.objects.known_good().by_version()
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def bump_of(base: Version, new: Version) -> str | None:
    """Which kind of bump `new` is from `base`, or None if it is not a forward bump."""
    if new.major > base.major and new.minor == 0 and new.patch == 0:
        return ReleaseType.MAJOR
    if new.major == base.major and new.minor > base.minor and new.patch == 0:
        return ReleaseType.MINOR
    if new.major == base.major and new.minor == base.minor and new.patch > base.patch:
        return ReleaseType.PATCH
    return None


def _not_a_bump(new: Version, base: Version, base_release: Release) -> str:
    """Why `new` is no bump of `base`, in the words a release manager would use."""
    where = f"{base}, the version of {base_release.name}, the highest release in production"
    if new <= base:
        return f"{new} does not come after {where}."
    if new.major > base.major:
        return (
            f"{new} is not a valid major bump from {where}: a major release resets the minor "
            f"and patch numbers, so the next major version is {base.bump(ReleaseType.MAJOR)}."
        )
    return (
        f"{new} is not a valid minor bump from {where}: a minor release resets the patch "
        f"number, so the next minor version is {base.bump(ReleaseType.MINOR)}."
    )


def validate(*, version: str, release_type: str, exclude_pk: int | None = None) -> None:
    """Refuse a malformed version, a duplicate, or a type that disagrees with the bump.

    Checked when a release is created or its version or type changes (`validate_change`), never
    on later saves: a release in flight stays editable when a higher version ships meanwhile.
    """
    new = parse(version)
    if release_type not in ReleaseType.values:
        raise ValidationError({"release_type": "Choose patch, minor or major."})
    taken = Release.objects.exclude(stage=Stage.CANCELLED).filter(version=str(new))
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"version": f"Another release already has version {new}."})
    base_release = production_base(exclude_pk)
    if base_release is None:
        return  # The first release to production may start anywhere.
    base = parse(base_release.version)
    kind = bump_of(base, new)
    if kind is None:
        raise ValidationError({"version": _not_a_bump(new, base, base_release)})
    if kind != release_type:
        raise ValidationError(
            {
                "release_type": f"{new} is a {kind} bump from {base} (the highest release in "
                f"production), so the release type must be {kind}, not {release_type}. "
                f"Suggested {release_type} version: {suggest(release_type=release_type)}."
            }
        )


def validate_change(
    release: Release | None, *, version: str | None, release_type: str | None
) -> None:
    """`validate` for a new release, or for an existing one whose version or type changes."""
    if not version or not release_type:
        return
    if release is None or release.pk is None:
        validate(version=version, release_type=release_type)
    elif (version, release_type) != (release.version, release.release_type):
        validate(version=version, release_type=release_type, exclude_pk=release.pk)


def is_downgrade(release: Release) -> Release | None:
    """The release in production with a higher version than `release`, if there is one."""
    base_release = production_base(exclude_pk=release.pk)
    if base_release is not None and parse(release.version) < parse(base_release.version):
        return base_release
    return None


def suggest(*, release_type: str, after: str = "") -> str:
    """The next free version of this type after the last release that reached production, or
    after `after` where that is newer (a fix-forward patch follows the release it fixes, even
    one whose deploy failed and so never reached production)."""
    base_release = production_base()
    bases = [parse(v) for v in (base_release.version if base_release else "", after) if v]
    if not bases:
        start = {"major": Version(1, 0, 0), "minor": Version(0, 1, 0), "patch": Version(0, 0, 1)}
        candidate = start[release_type]
    else:
        candidate = max(bases).bump(release_type)
    taken = set(Release.objects.exclude(stage=Stage.CANCELLED).values_list("version", flat=True))
    # Another planned release may already hold the next number: take the one after it.
    while str(candidate) in taken:
        candidate = (
            Version(candidate.major, candidate.minor, candidate.patch + 1)
            if release_type == ReleaseType.PATCH
            else candidate.bump(release_type)
        )
    return str(candidate)
