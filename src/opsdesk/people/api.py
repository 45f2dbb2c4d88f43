"""Engineers, skills and certifications API (staff only; thin edges)."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.params.functions import Query

from opsdesk.core.actors import signed_in
from opsdesk.core.api import answers, require_write
from opsdesk.core.pagination import Page
from opsdesk.core.routing import ObjectRoutes, add_object_routes
from opsdesk.core.schemas import Id

from . import queries, services
from .models import Absence, Certification, Engineer, Skill
from .schemas import (
    AbsenceIn,
    AbsenceOut,
    CertificationIn,
    CertificationOut,
    EngineerIn,
    EngineerOut,
    EngineerPatch,
    SkillIn,
    SkillOut,
)

router = Router()


@router.get("/engineers", response=list[EngineerOut], tags=["engineers"])
@paginate(Page)
def list_engineers(
    request: HttpRequest,
    region: str | None = Query(None, description="Home region code or id"),
    skill: str | None = Query(None, description="Skill code"),
    certification: str | None = Query(None, description="Certification code"),
    site: Id | None = Query(None, description="Has access, induction or clearance at this site"),
    active: bool | None = None,
    q: str | None = None,
) -> QuerySet[Engineer]:
    """Engineers (staff only)."""
    return queries.list_engineers(
        request.user, region=region, skill=skill, certification=certification, site=site, active=active, q=q
    )


@router.post("/engineers", response={201: EngineerOut}, tags=["engineers"])
@answers(409)
def create_engineer(request: HttpRequest, payload: EngineerIn) -> Status[Engineer]:
    """Add an engineer with skills, certifications and site access."""
    require_write(request, "engineers.write")
    engineer = services.save_engineer(None, payload.dict(), actor=signed_in(request.user))
    return Status(201, queries.get_engineer(request.user, engineer.pk))


@router.get("/skills", response=list[SkillOut], tags=["engineers"])
@paginate(Page)
def list_skills(request: HttpRequest) -> QuerySet[Skill]:
    """The skills catalogue."""
    return queries.list_skills(request.user)


@router.post("/skills", response={201: SkillOut}, tags=["engineers"])
@answers(409)
def create_skill(request: HttpRequest, payload: SkillIn) -> Status[Skill]:
    """Add a skill."""
    require_write(request, "engineers.write")
    return Status(201, services.create_skill(payload.dict(), actor=signed_in(request.user)))


@router.get("/certifications", response=list[CertificationOut], tags=["engineers"])
@paginate(Page)
def list_certifications(request: HttpRequest) -> QuerySet[Certification]:
    """The certification catalogue."""
    return queries.list_certifications(request.user)


@router.post("/certifications", response={201: CertificationOut}, tags=["engineers"])
@answers(409)
def create_certification(request: HttpRequest, payload: CertificationIn) -> Status[Certification]:
    """Add a certification type."""
    require_write(request, "engineers.write")
    return Status(201, services.create_certification(payload.dict(), actor=signed_in(request.user)))


@router.get("/engineers/{int:engineer_id}/absences", response=list[AbsenceOut], tags=["engineers"])
def list_absences(request: HttpRequest, engineer_id: Id) -> QuerySet[Absence]:
    """The engineer's absences, in date order."""
    return queries.list_absences(request.user, engineer=queries.get_engineer(request.user, engineer_id).pk)


@router.post("/engineers/{int:engineer_id}/absences", response={201: AbsenceOut}, tags=["engineers"])
def record_absence(request: HttpRequest, engineer_id: Id, payload: AbsenceIn) -> Status[Absence]:
    """Record time the engineer is away: eligibility and dispatch plans leave it out (re-plan the day after)."""
    engineer = queries.get_engineer(request.user, engineer_id)
    require_write(request, "engineers.write")
    return Status(201, services.record_absence(engineer, payload.dict(), actor=signed_in(request.user)))


add_object_routes(router, ObjectRoutes(
    collection="engineers", noun="engineer", tag="engineers", permission="engineers.write",
    out=EngineerOut, get=queries.get_engineer, patch=EngineerPatch,
    update=services.save_engineer, delete=services.delete_engineer,
))
