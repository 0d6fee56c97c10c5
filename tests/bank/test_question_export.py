"""Question bank export: XLSX and Moodle XML, and the round trip export → import."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree

import pytest
from sqlmodel import select

from app.errors import NotFound
from app.models import Question, Topic
from app.services.bank import question_export as qe
from app.services.bank import question_import as qi
from app.services.bank import question_rules
from app.services.bank import questions as bank
from app.services.bank.schemas import OptionIn, QuestionCreate, TopicCreate
from app.services.org.access import Actor
from tests.factories import actor, make_member, make_tree

QUESTIONS = [
    QuestionCreate(
        topic_id=0,
        kind="single",
        text="Nghị quyết xác định mấy khâu đột phá?",
        options=[OptionIn(text="Hai"), OptionIn(text="Ba", correct=True), OptionIn(text="Bốn")],
        explanation="Ba khâu đột phá chiến lược.",
        difficulty="easy",
        source_ref="Phần II, mục 3",
        tags=["đột phá", "nghị quyết"],
    ),
    QuestionCreate(
        topic_id=0,
        kind="multiple",
        text="Ký hiệu nào là <b>thẻ HTML</b> & thực thể &amp;?",
        options=[
            OptionIn(text="<p>", correct=True),
            OptionIn(text="=5"),
            OptionIn(text="&lt;", correct=True),
            OptionIn(text="A, C"),
            OptionIn(text="Năm"),
            OptionIn(text="Sáu"),
            OptionIn(text="Bảy"),
            OptionIn(text="Tám", correct=True),
        ],
        difficulty="hard",
    ),
    QuestionCreate(
        topic_id=0,
        kind="true_false",
        text="Thủ Dầu Một là thành phố trực thuộc trung ương.",
        options=[OptionIn(text="Đúng"), OptionIn(text="Sai", correct=True)],
        explanation="Trực thuộc tỉnh Bình Dương (đến 2025).",
    ),
    QuestionCreate(
        topic_id=0,
        kind="true_false",
        text="Dịch vụ công mức độ 4 nộp hồ sơ trực tuyến.",
        options=[OptionIn(text="Đúng", correct=True), OptionIn(text="Sai")],
        difficulty="medium",
    ),
]


@dataclass(frozen=True)
class Ctx:
    org_a: Actor  # organiser of branch A, whose topics they are
    org_b: Actor  # organiser of branch B
    source: Topic  # holds QUESTIONS
    target: Topic  # empty


@pytest.fixture
def ctx(session) -> Ctx:
    t = make_tree(session)
    org_a = actor(session, make_member(session, t.a, roles=(("organiser", t.a),)))
    org_b = actor(session, make_member(session, t.b, roles=(("organiser", t.b),)))
    source = bank.create_topic(session=session, actor=org_a, data=TopicCreate(name="Đô thị văn minh"))
    target = bank.create_topic(session=session, actor=org_a, data=TopicCreate(name="Bản sao"))
    for data in QUESTIONS:
        bank.create_question(session=session, actor=org_a, data=data.model_copy(update={"topic_id": source.id}))
    session.commit()
    return Ctx(org_a=org_a, org_b=org_b, source=source, target=target)


def snapshot(session, topic_id: int, *, with_sheet_fields: bool) -> list[tuple]:
    questions = session.exec(select(Question).where(Question.topic_id == topic_id).order_by(Question.id)).all()
    options = bank.options_of(session=session, question_ids=[q.id for q in questions])
    out = []
    for q in questions:
        item = (q.kind, q.text, [(o.text, o.correct) for o in options[q.id]], q.explanation, q.difficulty, question_rules.tags_list(q.tags))
        out.append((*item, q.source_ref) if with_sheet_fields else item)
    return out


@pytest.mark.parametrize("fmt", ["xlsx", "xml"])
def test_round_trip(session, ctx, fmt):
    export = (qe.to_xlsx if fmt == "xlsx" else qe.to_moodle_xml)(session=session, actor=ctx.org_a, topic_id=ctx.source.id)
    assert export.filename == f"cau-hoi-do-thi-van-minh.{fmt}"
    result = qi.commit(session=session, actor=ctx.org_a, topic_id=ctx.target.id, content=export.content, filename=export.filename)
    session.commit()
    assert (result.created, result.skipped) == (len(QUESTIONS), [])
    sheet = fmt == "xlsx"  # Moodle XML has no field for the source reference
    assert snapshot(session, ctx.target.id, with_sheet_fields=sheet) == snapshot(session, ctx.source.id, with_sheet_fields=sheet)


def test_moodle_xml_is_what_moodle_expects(session, ctx):
    export = qe.to_moodle_xml(session=session, actor=ctx.org_a, topic_id=ctx.source.id)
    root = ElementTree.fromstring(export.content)
    assert root.tag == "quiz"
    questions = root.findall("question")
    assert [q.get("type") for q in questions] == ["category", "multichoice", "multichoice", "truefalse", "truefalse"]
    assert questions[0].findtext("category/text") == "$course$/top/Đô thị văn minh"
    single, multiple = questions[1], questions[2]
    assert single.findtext("single") == "true"
    assert [a.get("fraction") for a in single.findall("answer")] == ["0", "100", "0"]
    assert multiple.findtext("single") == "false"
    positive = [float(a.get("fraction")) for a in multiple.findall("answer") if float(a.get("fraction")) > 0]
    assert len(positive) == 3 and abs(sum(positive) - 100) < 0.001
    true_false = questions[3]
    assert [(a.findtext("text"), a.get("fraction")) for a in true_false.findall("answer")] == [("true", "0"), ("false", "100")]
    assert "Bình Dương" in true_false.findtext("generalfeedback/text")


def test_inactive_questions_are_left_out_unless_asked(session, ctx):
    first = session.exec(select(Question).order_by(Question.id)).first()
    first.active = False
    session.commit()
    export = qe.to_moodle_xml(session=session, actor=ctx.org_a, topic_id=ctx.source.id)
    assert len(ElementTree.fromstring(export.content).findall("question")) == len(QUESTIONS)  # category + 3
    export = qe.to_moodle_xml(session=session, actor=ctx.org_a, topic_id=ctx.source.id, include_inactive=True)
    assert len(ElementTree.fromstring(export.content).findall("question")) == len(QUESTIONS) + 1


def test_another_subtree_cannot_export(session, ctx):
    for fn in (qe.to_xlsx, qe.to_moodle_xml):
        with pytest.raises(NotFound):
            fn(session=session, actor=ctx.org_b, topic_id=ctx.source.id)


def test_moodle_xml_keys_a_true_false_by_its_words_and_survives_what_was_stored(session, ctx):
    """Found with Moodle's fixtures: a true/false stored as [Sai ✓, Đúng] was exported as "true"; a topic
    named with "/" became two categories; a control character stored before input was cleaned made the file
    unparseable."""
    from app.models import QuestionOption, Topic

    org, topic = ctx.org_a, ctx.source
    t = session.get(Topic, topic.id)
    t.name = "Nghị quyết 01/NQ-TU"
    q = bank.create_question(
        session=session,
        actor=org,
        data=QuestionCreate(
            topic_id=topic.id,
            kind="true_false",
            text="Câu đúng sai ngược thứ tự.",
            options=[OptionIn(text="Sai", correct=True), OptionIn(text="Đúng")],
        ),
    )
    stored = session.exec(select(QuestionOption).where(QuestionOption.question_id == q.id)).first()
    stored.text = "Sai\x01"  # as stored by an older version, before input dropped control characters
    session.add_all([t, stored])
    session.commit()
    out = qe.to_moodle_xml(session=session, actor=org, topic_id=topic.id)
    root = ElementTree.fromstring(out.content)  # parses: nothing XML cannot carry
    assert root.find("question/category/text").text == "$course$/top/Nghị quyết 01//NQ-TU"
    tf = [x for x in root.findall("question") if (x.findtext("questiontext/text") or "").startswith("<p>Câu đúng sai")][0]
    assert [(a.findtext("text"), a.get("fraction")) for a in tf.findall("answer")] == [("true", "0"), ("false", "100")]
