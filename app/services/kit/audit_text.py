"""The audit log read as sentences: who did what to what, with a link to it, in the reader's language. The stored
entries keep their machine names (action, entity, detail) for filters and the CSV; this is how a page says them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import N_
from app.i18n import translate
from app.models import AuditEntry

SENTENCES = {
    "auth.login": N_("{who} đăng nhập"),
    "auth.logout": N_("{who} đăng xuất"),
    "auth.change_password": N_("{who} đổi mật khẩu"),
    "member.create": N_("{who} tạo tài khoản {target}"),
    "member.create_admin": N_("{who} tạo tài khoản quản trị {target}"),
    "member.update": N_("{who} sửa thông tin tài khoản {target}"),
    "member.import": N_("{who} nhập danh sách hội viên từ tệp"),
    "member.activate": N_("{who} mở lại tài khoản {target}"),
    "member.deactivate": N_("{who} khóa tài khoản {target}"),
    "member.reset_password": N_("{who} đặt lại mật khẩu của tài khoản {target}"),
    "member.grant": N_("{who} cấp quyền cho tài khoản {target}"),
    "member.revoke": N_("{who} thu hồi quyền của tài khoản {target}"),
    "member.disqualify": N_("{who} loại mọi lượt thi của {target} trong một vòng"),
    "member.reinstate": N_("{who} khôi phục các lượt thi của {target} trong một vòng"),
    "member.foreign_match": N_("{who} gặp số điện thoại hoặc mã đã thuộc hội viên ngoài phạm vi được giao"),
    "unit.create": N_("{who} tạo đơn vị {target}"),
    "unit.update": N_("{who} sửa đơn vị {target}"),
    "unit.move": N_("{who} chuyển đơn vị {target} sang đơn vị cấp trên khác"),
    "topic.create": N_("{who} tạo chủ đề {target}"),
    "topic.study_publish": N_("{who} đổi chế độ ôn tập của chủ đề {target}"),
    "question.create": N_("{who} thêm câu hỏi {target}"),
    "question.update": N_("{who} sửa câu hỏi {target}"),
    "question.duplicate": N_("{who} nhân bản câu hỏi {target}"),
    "question.activate": N_("{who} đổi trạng thái dùng của câu hỏi {target}"),
    "question.import": N_("{who} nhập câu hỏi từ tệp vào chủ đề {target}"),
    "question.rescore": N_("{who} sửa đáp án và chấm lại câu hỏi {target}"),
    "contest.create": N_("{who} tạo cuộc thi {target}"),
    "contest.update": N_("{who} sửa cuộc thi {target}"),
    "contest.publish": N_("{who} công bố cuộc thi {target}"),
    "contest.auto_reminders": N_("{who} đổi cài đặt tự động nhắc nhở của cuộc thi {target}"),
    "contest.close": N_("{who} kết thúc cuộc thi {target}"),
    "round.update": N_("{who} sửa vòng thi {target}"),
    "round.close": N_("{who} đóng vòng thi {target}"),
    "round.flags": N_("{who} tính lại các dấu hiệu cần xem xét của vòng thi {target}"),
    "round.prize_rules": N_("{who} đặt cơ cấu giải của vòng thi {target}"),
    "round.prizes_confirm": N_("{who} xác nhận danh sách đạt giải của vòng thi {target}"),
    "round.seal": N_("{who} niêm phong kết quả vòng thi {target}"),
    "attempt.disqualify": N_("{who} loại lượt thi {target}"),
    "attempt.reinstate": N_("{who} khôi phục lượt thi {target}"),
    "essay_campaign.create": N_("{who} tạo cuộc viết bài thu hoạch {target}"),
    "essay_campaign.update": N_("{who} sửa cuộc viết bài thu hoạch {target}"),
    "essay.review": N_("{who} xem và nhận bài thu hoạch {target}"),
    "essay.return": N_("{who} trả lại bài thu hoạch {target} để sửa"),
    "essay.grade": N_("{who} chấm bài thu hoạch {target}"),
}
LINKS = {
    "round": "/judging/rounds/{id}",
    "attempt": "/judging/attempts/{id}",
    "contest": "/contests/{id}",
    "member": "/org/members/{id}",
    "unit": "/org/units/{id}",
    "topic": "/bank/topics/{id}",
    "question": "/bank/questions/{id}",
    "essay": "/essays/{id}",
    "essay_campaign": "/essays/campaigns/{id}/review",
}
# the details worth a clause of their own; the rest stays in the technical view
_WORDS = {
    "reason": N_("lý do: {value}"),
    "title": N_("tên: {value}"),
    "code": N_("mã: {value}"),
    "digest": N_("mã niêm phong: {value}"),
    "comment": N_("nhận xét: {value}"),
    "to": N_("đến: {value}"),
    "matches": N_("số trường hợp: {value}"),
}


@dataclass(frozen=True)
class Said:
    sentence: str  # "Nguyễn Văn A đóng vòng thi #12"
    target: str  # "#12", the part of the sentence that links
    link: str | None
    notes: list[str]  # "lý do: …"

    @property
    def parts(self) -> tuple[str, str, str]:
        """(before, target, after): the sentence around its linked target."""
        if not self.target or self.target not in self.sentence:
            return self.sentence, "", ""
        before, after = self.sentence.split(self.target, 1)
        return before, self.target, after


def say(entry: AuditEntry, who: str | None, locale: str) -> Said:
    target = f"#{entry.entity_id}" if entry.entity_id else ""
    name = who or translate(N_("Hệ thống"), locale)
    template = SENTENCES.get(entry.action)
    sentence = (
        translate(template, locale, who=name, target=target) if template else f"{name} · {entry.action} {entry.entity} {target}".strip()
    )
    link = LINKS[entry.entity].format(id=entry.entity_id) if entry.entity in LINKS and entry.entity_id else None
    detail: dict[str, Any] = entry.detail or {}
    notes = [translate(_WORDS[k], locale, value=detail[k]) for k in _WORDS if detail.get(k) not in (None, "")]
    return Said(sentence, target, link, notes)


def label(action: str, locale: str) -> str:
    """The action alone, for a filter: "Niêm phong kết quả vòng thi"."""
    template = SENTENCES.get(action)
    if template is None:
        return action
    text = " ".join(translate(template, locale, who="", target="").split())
    return text[:1].upper() + text[1:]
