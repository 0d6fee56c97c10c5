"""A member's result card to share: a signed link, only once scores may be seen, nothing private."""

from __future__ import annotations

import io

from PIL import Image

from app.services.results import share
from tests.databases import TEST_SECRET
from tests.factories import make_member
from tests.fixtures.results import add, close
from tests.pagehelpers import page_login


def test_the_card_is_shared_by_a_signed_link_once_scores_are_public(client, session, results_arena):
    t, r = results_arena.tree, results_arena.rounds[0]
    me = make_member(session, t.a1, full_name="Phạm Thu Hà", phone="0914000001")
    other = make_member(session, t.a1, full_name="Đỗ Văn Nam", phone="0914000002")
    mine = add(session, r, me, score=4)
    add(session, r, other, score=5)
    session.commit()
    code = share.code_for(round_id=r.id, member_id=me.id, secret=TEST_SECRET)
    assert client.get(f"/r/{code}").status_code == 404  # the round is open: scores are not public yet
    close(session, results_arena)
    page = client.get(f"/r/{code}")  # no login
    assert page.status_code == 200
    assert "Phạm Thu Hà" in page.text and 'id="shared-score">4<' in page.text
    assert "Hạng 2/2 trong" in page.text and me.phone not in page.text and me.member_code not in page.text
    assert 'property="og:image"' in page.text
    image = client.get(f"/r/{code}.png")
    assert image.status_code == 200 and Image.open(io.BytesIO(image.content)).size == (1200, 630)
    forged = f"{r.id}-{other.id}-{code.rsplit('-', 1)[1]}"  # someone else's number, my signature
    assert client.get(f"/r/{forged}").status_code == 404
    assert client.get("/r/not-a-code").status_code == 404
    page_login(client, me.phone)
    result = client.get(f"/attempts/{mine.id}/result").text
    assert f'href="/r/{code}"' in result and "/certificate.pdf" in result
