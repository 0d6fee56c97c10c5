"""The judges' pages: round audit view with filters and flags, one attempt in full with the decision form,
prizes shown then confirmed, the seal, the downloads (of the round and of the contest over its closed rounds),
and the audit log page; members are kept out."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import select

from app.models import Attempt, AttemptEvent, Member
from app.services.results import closing
from tests.factories import make_member
from tests.fixtures.results import add
from tests.pagehelpers import csrf_from, page_login


def _as(client, session, member: Member, phone: str) -> None:
    member.phone = phone
    session.add(member)
    session.commit()
    client.cookies.clear()
    assert page_login(client, phone).status_code == 303


def test_a_judge_audits_decides_awards_and_seals_in_the_browser_pages(client, session, results_arena):
    r = results_arena.rounds[0]
    t = results_arena.tree
    people = [
        make_member(session, u, full_name=n) for u, n in ((t.a1, "Nguyễn Thị Ánh Tuyết"), (t.a2, "Phạm Văn Đức"), (t.b1, "Lê Thị Hoa"))
    ]
    attempts = [add(session, r, m, score=s, duration_s=d) for m, s, d in zip(people, (5, 4, 3), (60, 2, 50), strict=True)]
    attempts[1].ip, attempts[1].user_agent = "203.0.113.7", "Mozilla/5.0 (Linux; Android 10) Zalo"
    session.add(AttemptEvent(attempt_id=attempts[1].id, kind="hide"))
    session.commit()
    judge = session.get(Member, results_arena.org.id)
    _as(client, session, judge, "0911000300")
    page = client.post(f"/contests/rounds/{r.id}/close", data={"csrf_token": csrf_from(client.get("/").text)}, follow_redirects=False)
    assert page.status_code == 303

    home = client.get("/judging")
    assert home.status_code == 200 and f"/judging/rounds/{r.id}" in home.text
    view = client.get(f"/judging/rounds/{r.id}")
    assert view.status_code == 200
    assert "Nguyễn Thị Ánh Tuyết" in view.text and "Làm quá nhanh (1)" in view.text
    fast = client.get(f"/judging/rounds/{r.id}?flag=too_fast")
    assert "Phạm Văn Đức" in fast.text and "Nguyễn Thị Ánh Tuyết" not in fast.text
    assert '<select id="f-unit" name="unit_code">' in view.text and "(CB-A1)</option>" in view.text  # a picker
    assert "1:00" in view.text and "0:02" in view.text  # durations as m:ss
    ranged = client.get(f"/judging/rounds/{r.id}?min_score=4&unit_code=DB-A")
    assert "Nguyễn Thị Ánh Tuyết" in ranged.text and "Lê Thị Hoa" not in ranged.text

    detail = client.get(f"/judging/attempts/{attempts[1].id}")
    assert detail.status_code == 200
    for text in ("203.0.113.7", "Zalo", "rời trang", "dưới mức tối thiểu", "Loại lượt thi"):
        assert text in detail.text
    token = csrf_from(detail.text)
    empty = client.post(f"/judging/attempts/{attempts[1].id}/decision", data={"csrf_token": token, "action": "disqualify", "reason": ""})
    assert empty.status_code == 422 and "Cần ghi lý do." in empty.text
    no_csrf = client.post(f"/judging/attempts/{attempts[1].id}/decision", data={"action": "disqualify", "reason": "x"})
    assert no_csrf.status_code == 403
    unconfirmed = client.post(
        f"/judging/attempts/{attempts[1].id}/decision",
        data={"csrf_token": token, "action": "disqualify", "reason": "Làm 5 câu trong 2 giây"},
    )
    assert unconfirmed.status_code == 422 and "ô xác nhận" in unconfirmed.text
    done = client.post(
        f"/judging/attempts/{attempts[1].id}/decision",
        data={"csrf_token": token, "action": "disqualify", "reason": "Làm 5 câu trong 2 giây", "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    said = client.get(done.headers["location"]).text
    assert 'id="decision-done"' in said and "Đã loại lượt thi này" in said
    session.expire_all()
    assert session.get(Attempt, attempts[1].id).disqualify_reason == "Làm 5 câu trong 2 giây"
    assert "Lượt thi bị loại" in client.get(f"/judging/rounds/{r.id}").text

    prizes = client.get(f"/judging/rounds/{r.id}/prizes")
    token = csrf_from(prizes.text)
    bad = client.post(f"/judging/rounds/{r.id}/prizes", data={"csrf_token": token, "name_1": "Giải Nhất", "count_1": "1", "cap": "150"})
    assert bad.status_code == 422 and "100%" in bad.text
    assert "(% số người dự thi" in prizes.text  # the label as written (it once came out garbled)
    capped = client.post(
        f"/judging/rounds/{r.id}/prizes",
        data={"csrf_token": token, "name_1": "Giải Nhất", "count_1": "1", "name_2": "Khuyến khích", "count_2": "2", "cap": "50"},
        follow_redirects=True,
    )
    assert "cho phép tối đa 1 giải (2 người dự thi), ít hơn 3 giải" in capped.text and "Khuyến khích 0/2" in capped.text
    saved = client.post(
        f"/judging/rounds/{r.id}/prizes",
        data={"csrf_token": token, "name_1": "Giải Nhất", "count_1": "1", "name_2": "Giải Nhì", "count_2": "1"},
        follow_redirects=True,
    )
    assert "chưa xác nhận" in saved.text and saved.text.index("Nguyễn Thị Ánh Tuyết") < saved.text.index("Lê Thị Hoa")
    confirmed = client.post(f"/judging/rounds/{r.id}/prizes/confirm", data={"csrf_token": token}, follow_redirects=True)
    assert "đã xác nhận" in confirmed.text

    unticked = client.post(f"/judging/rounds/{r.id}/seal", data={"csrf_token": token})
    assert unticked.status_code == 422
    sealed = client.post(f"/judging/rounds/{r.id}/seal", data={"csrf_token": token, "confirm": "yes"}, follow_redirects=True)
    assert 'id="digest"' in sealed.text and "Đã niêm phong" in sealed.text
    csv_file = client.get(f"/judging/rounds/{r.id}/export.csv?unit_code=ROOT")
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["Nguyễn Thị Ánh Tuyết", "Lê Thị Hoa"]
    pdf = client.get(f"/judging/rounds/{r.id}/export.pdf").content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Lượt thi bị loại" in text and "Làm 5 câu trong 2 giây" in text and "Phạm Văn Đức" in text
    contest_files = f"/judging/contests/{results_arena.contest.id}/export"
    assert f'{contest_files}.xlsx?unit_code=ROOT"' in sealed.text and f'{contest_files}.csv?unit_code=ROOT"' in sealed.text
    over_rounds = client.get(f"{contest_files}.csv?unit_code=ROOT")
    assert over_rounds.status_code == 200 and over_rounds.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(over_rounds.content.decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["Nguyễn Thị Ánh Tuyết", "Lê Thị Hoa"] and rows[0][-1] == f"Điểm: {r.title}"
    workbook = load_workbook(io.BytesIO(client.get(f"{contest_files}.xlsx").content))
    assert [c.value for c in workbook["Xếp hạng"]["A"]] == ["Hạng", 1, 2]

    log = client.get("/audit?action=round.")
    assert log.status_code == 200
    entries = log.text[log.text.index('id="entries"') :]
    for action in ("round.seal", "round.prizes_confirm", "round.close"):
        assert f'data-action="{action}"' in entries
    assert 'data-action="attempt.disqualify"' not in entries
    # sentences: who did what to what, with a link to it
    assert re.search(rf'niêm phong kết quả vòng thi <a href="/judging/rounds/{r.id}">#{r.id}</a>', entries)
    assert ">round.seal" not in entries.split("<details")[0]  # the machine name only in the technical view
    reasons = client.get("/audit?action=attempt.").text
    assert "loại lượt thi" in reasons and "(lý do: Làm 5 câu trong 2 giây)" in reasons
    exported = client.get("/audit/export.csv?action=attempt.disqualify")
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(lines) == 2 and lines[1][1] == "attempt.disqualify" and "Làm 5 câu trong 2 giây" in lines[1][8]
    assert client.get("/audit?since=hôm-qua").status_code == 422


def test_members_and_other_units_stay_out(client, session, results_arena):
    r = results_arena.rounds[0]
    people = [make_member(session, results_arena.tree.a1), make_member(session, results_arena.tree.b1)]
    attempts = [add(session, r, m, score=3) for m in people]
    closing.close_round(session=session, actor=results_arena.org, round_id=r.id)
    session.commit()
    _as(client, session, people[0], "0911000310")
    assert client.get("/judging").status_code == 403
    assert client.get(f"/judging/attempts/{attempts[0].id}").status_code == 403
    assert client.get(f"/judging/contests/{results_arena.contest.id}/export.xlsx").status_code == 403
    assert client.get("/audit").status_code == 403
    cell_judge = make_member(session, results_arena.tree.a1, roles=(("judge", results_arena.tree.a1),))
    _as(client, session, cell_judge, "0911000311")
    assert client.get(f"/judging/attempts/{attempts[1].id}").status_code == 404
    assert client.get(f"/judging/attempts/{attempts[0].id}").status_code == 200
    assert client.get(f"/judging/rounds/{r.id}/prizes").status_code == 403
    assert client.get(f"/judging/contests/{results_arena.contest.id}/export.csv?unit_code=CB-B1").status_code == 403
    own = client.get(f"/judging/contests/{results_arena.contest.id}/export.csv")
    assert own.status_code == 200
    assert [row[1] for row in csv.reader(io.StringIO(own.content.decode("utf-8-sig")))][1:] == [people[0].member_code]
    log = client.get("/audit")
    assert log.status_code == 200
    assert "<b>round.close</b>" not in log.text  # the round's acts happened at the root, outside the cell
    others = session.exec(select(Member).where(Member.unit_id == results_arena.tree.b1.id)).all()
    assert all(m.member_code not in log.text for m in others)


def test_a_judge_never_judges_their_own_attempt_and_no_key_shows_while_open(client, session, results_arena):
    """Found by an outside probe: a judge taking the round read the key of their own attempt on its judging
    page (a script scored 17/20 in 8.5 s) and could reinstate it. Own attempts are refused outright, and no
    attempt shows its key while the round is open."""
    from app.services.org.access import actor_for
    from app.services.quiz import attempts, starting

    r = results_arena.rounds[1]  # open now
    judge = session.get(Member, results_arena.org.id)
    mai = make_member(session, results_arena.tree.a1, full_name="Hoàng Thị Mai")
    taken = {}
    for who in (judge, mai):  # real attempts: drawn questions with their key
        taker = actor_for(session=session, member=who)
        taker.unit = session.get(type(results_arena.tree.a1), who.unit_id)
        attempt, _ = starting.start(session=session, actor=taker, round_id=r.id)
        attempts.submit(session=session, actor=taker, attempt_id=attempt.id)
        taken[who.id] = attempt
    own, other = taken[judge.id], taken[mai.id]
    session.commit()
    _as(client, session, judge, "0911000310")
    token = csrf_from(client.get("/").text)
    assert client.get(f"/judging/attempts/{own.id}").status_code == 403
    for action in ("disqualify", "reinstate"):
        r_own = client.post(
            f"/judging/attempts/{own.id}/decision", data={"csrf_token": token, "action": action, "reason": "x", "confirm": "yes"}
        )
        assert r_own.status_code == 403
    page = client.get(f"/judging/attempts/{other.id}")
    assert page.status_code == 200 and 'id="key-withheld"' in page.text
    assert "đáp án</b>" not in page.text and 'class="tag ok"' not in page.text
    # over the API as well: the judge's own attempt cannot be disqualified
    from tests.factories import api_token, bearer

    api = bearer(api_token(client, "0911000310"))
    assert client.post(f"/api/v1/attempts/{own.id}/disqualify", headers=api, json={"reason": "x"}).status_code == 403
    closing.close_round(session=session, actor=results_arena.org, round_id=r.id)
    session.commit()
    shown = client.get(f"/judging/attempts/{other.id}").text
    assert 'id="key-withheld"' not in shown and "đáp án</b>" in shown
