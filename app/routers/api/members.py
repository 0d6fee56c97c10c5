from __future__ import annotations

from app.deps import RequireOrganiser, SecretDep, SessionDep
from app.models.org import MemberCreate, MemberPublic
from app.routers.base import make_router
from app.services.org import members

router = make_router(tags=["members"])


@router.post("/members", response_model=MemberPublic, status_code=201)
def create_member(data: MemberCreate, actor: RequireOrganiser, session: SessionDep, secret: SecretDep) -> MemberPublic:
    member = members.create(session=session, actor=actor, data=data, secret=secret)
    return members.to_public(session=session, member=member)
