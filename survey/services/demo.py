"""The demo organisation: something to click through right after installing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from survey.extensions import db
from survey.models import Organization, Participant, Team, User
from survey.services.organizations import create_organization, create_team
from survey.services.users import create_user

DEMO_SLUG = "demo"
DEMO_NAME = "Northwind Demo"
#: Shared by every demo login; the demo is for trying the product, not for real data.
DEMO_PASSWORD = "mindgap-demo"  # noqa: S105
DEMO_USERS = (
    ("admin@demo.mindgap.test", "admin"),
    ("consultant@demo.mindgap.test", "consultant"),
    ("manager@demo.mindgap.test", "manager"),
)
#: (name, function, parent name, roster size). Sales Enablement stays below the anonymity
#: threshold on purpose, so reports show suppression at work.
DEMO_TEAMS = (
    ("Sales", "sales", None, 0),
    ("Marketing", "marketing", None, 0),
    ("Sales North", "sales", "Sales", 14),
    ("Sales South", "sales", "Sales", 12),
    ("Sales Enablement", "sales", "Sales", 3),
    ("Brand Marketing", "marketing", "Marketing", 11),
    ("Demand Generation", "marketing", "Marketing", 13),
)


@dataclass(frozen=True)
class DemoSummary:
    organization: Organization
    created: bool
    logins: tuple[tuple[str, str, str], ...]  # (email, password, role)


def load_demo() -> DemoSummary:
    """Create the demo organisation, its teams, roster and users; do nothing if it exists."""
    logins = tuple((email, DEMO_PASSWORD, role) for email, role in DEMO_USERS)
    organization = db.session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
    if organization is not None:
        return DemoSummary(organization, False, logins)

    organization = create_organization(DEMO_NAME, DEMO_SLUG)
    teams: dict[str, Team] = {}
    for name, function, parent, roster_size in DEMO_TEAMS:
        teams[name] = create_team(organization, name, function, parent=teams.get(parent))
        for number in range(1, roster_size + 1):
            handle = f"{name.lower().replace(' ', '.')}.{number:02d}"
            db.session.add(
                Participant(
                    organization=organization,
                    team=teams[name],
                    email=f"{handle}@demo.mindgap.test",
                    display_name=f"{name} member {number}",
                )
            )
    for email, role in DEMO_USERS:
        existing = db.session.scalar(select(User).where(User.email == email))
        if existing is None:
            create_user(email, DEMO_PASSWORD, role, None if role == "admin" else organization)
    db.session.flush()
    return DemoSummary(organization, True, logins)
