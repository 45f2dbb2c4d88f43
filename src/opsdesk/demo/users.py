"""Builder step for the demo's logins: one per staff role, engineers per region, one per client."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db.models import Q

from opsdesk.accounts import services as account_services
from opsdesk.accounts.models import User
from opsdesk.people.models import Engineer

from .context import DemoContext, Login, Plan
from .data import CLIENTS, DEMO_PASSWORD, FIRST_NAMES, LAST_NAMES, REGIONS
from .org import client_identity

# username, role, first name, last name, time zone; the `engineer` login is one of the engineers.
STAFF = (
    ("admin", "admin", "Alex", "Morgan", "Europe/London"),
    ("desk", "service_desk", "Priya", "Shah", "Europe/London"),
    ("dispatch", "dispatcher", "Tom", "Becker", "Europe/London"),
    ("engineer", "engineer", "", "", ""),
    ("commander", "incident_commander", "Grace", "Okafor", "Europe/London"),
    ("approver", "change_approver", "Lars", "Nilsson", "Europe/London"),
)
ROLE_ORDER = [role for _, role, *_ in STAFF] + ["client"]


def demo_usernames(plan: Plan) -> list[str]:
    """Every username a load of this plan creates (to refuse a load that would collide)."""
    engineers = [f"engineer-{r.code.lower()}" for r in REGIONS[1:]]
    clients = [f"client-{client_identity(n, c)[0]}" for n in range(plan.copies) for c in CLIENTS]
    return [s[0] for s in STAFF] + engineers + clients


def build_users(ctx: DemoContext) -> None:
    """Create the logins, link engineer logins to engineers, give all the demo password."""
    rng = ctx.rng("users")
    created: list[tuple[User, str]] = []
    first_engineer = {
        region: next(
            e
            for e in ctx.engineers
            if ctx.engineer_sites[e.pk].definition.region == region
            and ctx.engineer_sites[e.pk].copy == 0
        )
        for region in (r.code for r in REGIONS)
    }
    for username, role, first, last, zone in STAFF:
        if role == "engineer":
            created.append(_engineer_login(username, first_engineer[REGIONS[0].code]))
        else:
            user = account_services.create_user(
                username=username,
                role=role,
                email=f"{username}@opsdesk.example",
                first_name=first,
                last_name=last,
                check_password=False,
            )
            created.append((user, zone))
    for region in REGIONS[1:]:
        created.append(
            _engineer_login(f"engineer-{region.code.lower()}", first_engineer[region.code])
        )
    for copy in ctx.clients:
        for client in copy:
            names = rng.choice(REGIONS).code
            user = account_services.create_user(
                username=f"client-{client.code}",
                role="client",
                client=client,
                email=f"it-contact@{client.code}.example",
                first_name=rng.choice(FIRST_NAMES[names]),
                last_name=rng.choice(LAST_NAMES[names]),
                check_password=False,
            )
            created.append((user, "UTC"))
    # One PBKDF2 hash shared by all demo users: hashing each (about 0.3 s apiece) would make the
    # large demo slow, and the password is published anyway.
    hashed = make_password(DEMO_PASSWORD)
    User.objects.filter(pk__in=[u.pk for u, _ in created]).update(password=hashed)
    for user, zone in created:
        if zone and zone != "UTC":
            User.objects.filter(pk=user.pk).update(time_zone=zone)
    ctx.logins = [_login(u) for u in sorted((u for u, _ in created), key=_rank)]
    ctx.count("users", len(created))


def _engineer_login(username: str, engineer: Engineer) -> tuple[User, str]:
    """An engineer-role user for an existing engineer, linked to it."""
    first, _, last = engineer.name.partition(" ")
    user = account_services.create_user(
        username=username,
        role="engineer",
        email=engineer.email,
        first_name=first,
        last_name=last,
        check_password=False,
    )
    engineer.user = user
    Engineer.objects.filter(pk=engineer.pk).update(user=user)
    return user, engineer.time_zone


def _login(user: User) -> Login:
    """The printable form of a user."""
    client = user.client.code if user.client_id and user.client else ""
    return Login(user.username, user.role, client, user.get_full_name())


def demo_logins() -> list[Login]:
    """The demo's logins as they are in the database now (for a skipped load)."""
    staff = [s[0] for s in STAFF]
    users = User.objects.select_related("client").filter(
        Q(username__in=staff)
        | Q(username__startswith="engineer-")
        | Q(username__startswith="client-")
    )
    return [_login(u) for u in sorted(users, key=_rank)]


def _rank(user: User) -> tuple[int, bool, str]:
    """Staff roles in order (the `engineer` login first among engineers), then client users."""
    return (
        ROLE_ORDER.index(user.role) if user.role in ROLE_ORDER else len(ROLE_ORDER),
        user.username != "engineer",
        user.username,
    )
