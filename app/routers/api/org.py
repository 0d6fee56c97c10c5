from __future__ import annotations

from app.deps import CurrentActor, RequireOrganiser, SessionDep
from app.models.org import MemberPublic, UnitCreate, UnitPublic
from app.routers.base import make_router
from app.services.org import members, units

router = make_router(tags=["organisation"])


@router.get("/me", response_model=MemberPublic)
async def me(actor: CurrentActor) -> MemberPublic:
    # Everything is in the actor that authentication loaded (or found cached): no database, no thread.
    return members.actor_public(actor)


@router.get("/units", response_model=list[UnitPublic])
def list_units(actor: CurrentActor, session: SessionDep) -> list:
    return units.list_all(session=session)


@router.post("/units", response_model=UnitPublic, status_code=201)
def create_unit(data: UnitCreate, actor: RequireOrganiser, session: SessionDep):
    return units.create(session=session, actor=actor, data=data)
