"""The essays' fixtures: essay_world, an open campaign for the whole tree with its organisers and a writer.
The steps of writing (draft, submit) and the campaign's settings are in tests/essays/helpers.py."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models import Role
from tests.essays.helpers import EssayWorld, make_campaign
from tests.factories import make_member, make_tree


@pytest.fixture
def essay_world(session: Session) -> EssayWorld:
    t = make_tree(session)
    org = make_member(session, t.root, roles=((Role.organiser, t.root),))
    cell_org = make_member(session, t.a1, roles=((Role.organiser, t.a1),))
    other_org = make_member(session, t.b, roles=((Role.organiser, t.b),))
    member = make_member(session, t.a1, full_name="Nguyễn Thị Ánh Tuyết")
    return EssayWorld(
        session=session, tree=t, org=org, cell_org=cell_org, other_org=other_org, member=member, campaign=make_campaign(session, org)
    )
