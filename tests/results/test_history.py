"""A member's history across rounds (scores, ranks, certificates) and essays, and the public archive of finished
contests with the winners of their sealed rounds."""

from __future__ import annotations

from tests.factories import make_member
from tests.fixtures.results import add, seal_first_round
from tests.pagehelpers import page_login


def test_my_history_lists_rounds_with_certificates_and_the_archive_is_public(client, session, results_arena):
    t, r1 = results_arena.tree, results_arena.rounds[0]
    me = make_member(session, t.a1, full_name="Vũ Minh Châu", phone="0915000001")
    mine = add(session, r1, me, score=5)
    session.commit()
    assert "Kết quả Tuần 1" not in client.get("/archive").text  # week 2 is still to come: not finished
    seal_first_round(session, results_arena, [("Giải Nhất", 1)])
    page_login(client, me.phone)
    history = client.get("/me/history")
    assert history.status_code == 200
    html = history.text
    assert f'href="/attempts/{mine.id}/result"' in html and f"/attempts/{mine.id}/certificate.pdf" in html
    assert f"/rounds/{r1.id}/winners" in html and 'id="no-essays"' in html
    assert 'href="/me/history"' in client.get("/").text
    # once every round of the contest has closed, it is in the public archive with its sealed rounds
    results_arena.rounds[1].status = "closed"
    session.add(results_arena.rounds[1])
    session.commit()
    client.cookies.clear()
    archive = client.get("/archive")
    assert archive.status_code == 200 and results_arena.contest.title in archive.text
    assert f'href="/rounds/{r1.id}/winners"' in archive.text and f"/rounds/{results_arena.rounds[1].id}/winners" not in archive.text
