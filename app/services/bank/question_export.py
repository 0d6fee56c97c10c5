"""A topic's questions as a file: XLSX in the import template's columns, or Moodle XML.

Either file imports back (app.services.bank.question_import) as the same questions: kind, text, options
and which are correct, explanation; XLSX also keeps difficulty, source and tags; Moodle XML keeps tags,
and difficulty as a "Mức độ: …" tag, since the format has no field for it (Moodle keeps tags).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from sqlmodel import Session, col, select

from app.models import Question, QuestionOption, Topic
from app.models.bank import QuestionKind
from app.services.bank import question_rules
from app.services.bank import questions as bank
from app.services.bank.import_base import DIFFICULTY_LABELS, DIFFICULTY_TAG
from app.services.bank.import_sheet import sheet_row, workbook_bytes
from app.services.kit.files import XLSX, ascii_slug
from app.services.kit.text import clean, fold
from app.services.org.access import Actor

MOODLE_XML = "application/xml"


@dataclass
class Export:
    content: bytes
    filename: str  # ASCII
    display_name: str  # with the topic's Vietnamese name
    media_type: str


def load(
    *, session: Session, actor: Actor, topic_id: int, include_inactive: bool = False
) -> tuple[Topic, list[tuple[Question, list[QuestionOption]]]]:
    """The topic (404 outside the actor's subtrees) and its questions with their options, in id order."""
    topic, _unit = bank.get_topic(session=session, actor=actor, topic_id=topic_id)
    stmt = select(Question).where(Question.topic_id == topic.id)
    if not include_inactive:
        stmt = stmt.where(col(Question.active).is_(True))
    questions = list(session.exec(stmt.order_by(col(Question.id))).all())
    options = bank.options_of(session=session, question_ids=[q.id for q in questions if q.id is not None])
    return topic, [(q, options[q.id]) for q in questions if q.id is not None]


def _names(topic: Topic, ext: str) -> tuple[str, str]:
    base = f"cau-hoi-{ascii_slug(topic.name, fallback=str(topic.id))}"
    return f"{base}.{ext}", f"Câu hỏi - {topic.name}.{ext}"


def to_xlsx(*, session: Session, actor: Actor, topic_id: int, include_inactive: bool = False) -> Export:
    topic, items = load(session=session, actor=actor, topic_id=topic_id, include_inactive=include_inactive)
    rows = [
        sheet_row(
            kind=q.kind,
            text=q.text,
            options=[(o.text, o.correct) for o in opts],
            explanation=q.explanation,
            difficulty=q.difficulty,
            source_ref=q.source_ref,
            tags=question_rules.tags_list(q.tags),
        )
        for q, opts in items
    ]
    filename, display = _names(topic, "xlsx")
    return Export(workbook_bytes(rows), filename, display, XLSX)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # what XML 1.0 cannot carry at all
_TRUE_WORDS = {"dung", "true", "d", "t", "co", "yes"}


def _x(value: str) -> str:
    """Text that XML can hold, whatever was stored before input was cleaned."""
    return _NOT_XML.sub("", value)


def _text_block(parent: Element, tag: str, value: str, *, paragraph: bool = True) -> Element:
    # Moodle writes HTML here; our text is plain, so it is escaped (then XML-escaped once more on output).
    element = SubElement(parent, tag, {"format": "html"})
    value = _x(value)
    body = "<br>\n".join(html.escape(line) for line in value.split("\n"))  # our line breaks are HTML's <br>
    SubElement(element, "text").text = f"<p>{body}</p>" if paragraph and value else body
    return element


def _is_true(options: list[QuestionOption]) -> bool:
    """Whether the statement of a true/false question is true: the option that says "Đúng" (or "True") is the
    right one. Options may be stored in either order ([Sai ✓, Đúng] was once exported as "true")."""
    for option in options:
        if fold(option.text).strip(" .") in _TRUE_WORDS:
            return option.correct
    return bool(options and options[0].correct)


def _category(name: str) -> str:
    """Moodle splits a category path at "/"; a slash inside a name is written "//"."""
    return "$course$/top/" + _x(name).replace("/", "//")


def _fraction(share: float) -> str:
    return f"{share:.7f}".rstrip("0").rstrip(".")


def moodle_xml(topic: Topic, items: list[tuple[Question, list[QuestionOption]]]) -> bytes:
    quiz = Element("quiz")
    category = SubElement(quiz, "question", {"type": "category"})
    SubElement(SubElement(category, "category"), "text").text = _category(topic.name)
    _text_block(category, "info", topic.description)
    for q, opts in items:
        kind = "truefalse" if q.kind == QuestionKind.true_false else "multichoice"
        element = SubElement(quiz, "question", {"type": kind})
        SubElement(SubElement(element, "name"), "text").text = _x(clean(q.text))[:80]
        _text_block(element, "questiontext", q.text)
        _text_block(element, "generalfeedback", q.explanation)
        SubElement(element, "defaultgrade").text = "1"
        SubElement(element, "penalty").text = "1" if kind == "truefalse" else "0.3333333"
        SubElement(element, "hidden").text = "0"
        if kind == "truefalse":
            truth = _is_true(opts)
            for word, is_truth in (("true", truth), ("false", not truth)):
                answer = SubElement(element, "answer", {"fraction": "100" if is_truth else "0", "format": "moodle_auto_format"})
                SubElement(answer, "text").text = word
                _text_block(answer, "feedback", "", paragraph=False)
        else:
            single = q.kind == QuestionKind.single
            right = sum(1 for o in opts if o.correct) or 1
            wrong = len(opts) - right or 1
            SubElement(element, "single").text = "true" if single else "false"
            SubElement(element, "shuffleanswers").text = "true"
            SubElement(element, "answernumbering").text = "ABCD"
            for option in opts:
                if single:
                    fraction = "100" if option.correct else "0"
                else:  # Moodle wants the correct shares to add up to 100 %; a wrong tick costs its share
                    fraction = _fraction(100 / right) if option.correct else "-" + _fraction(100 / wrong)
                answer = SubElement(element, "answer", {"fraction": fraction, "format": "html"})
                SubElement(answer, "text").text = html.escape(_x(option.text))
                _text_block(answer, "feedback", "", paragraph=False)
        tags = [*question_rules.tags_list(q.tags), DIFFICULTY_TAG.format(label=DIFFICULTY_LABELS.get(q.difficulty, q.difficulty))]
        tags_element = SubElement(element, "tags")
        for tag in tags:
            SubElement(SubElement(tags_element, "tag"), "text").text = _x(tag)
    indent(quiz)
    return tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"


def to_moodle_xml(*, session: Session, actor: Actor, topic_id: int, include_inactive: bool = False) -> Export:
    topic, items = load(session=session, actor=actor, topic_id=topic_id, include_inactive=include_inactive)
    filename, display = _names(topic, "xml")
    return Export(moodle_xml(topic, items), filename, display, MOODLE_XML)
