"""Demo question bank: "Cuộc thi tìm hiểu Nghị quyết Đại hội Đảng bộ thành phố Thủ Dầu Một lần thứ XII, nhiệm kỳ 2020–2025".

Content rules (the platform is used by real Party members):
- questions rest on widely known, stable facts: the Party Statute (Điều lệ Đảng), national documents whose number
  and subject are well established, and general principles;
- nothing here quotes a figure, target or date from the city's own resolution. Where a question follows the
  resolution's general direction rather than its text, its source is SRC_ILLUSTRATIVE ("Minh hoạ (demo)");
- SRC_DEMO ("Tài liệu tìm hiểu (demo)") marks general knowledge; a named document is cited only when certain.

Every question goes through bank.check_question before it is stored (load_bank raises on any problem).
"""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.models import Topic, Unit
from app.services import bank

SRC_DEMO = "Tài liệu tìm hiểu (demo)"
SRC_ILLUSTRATIVE = "Minh hoạ (demo)"
SRC_STATUTE = "Điều lệ Đảng Cộng sản Việt Nam"
SRC_XIII = "Văn kiện Đại hội XIII của Đảng"
SRC_749 = "Quyết định 749/QĐ-TTg (2020) – Chương trình Chuyển đổi số quốc gia"

Option = tuple[str, bool]


def _q(kind: str, text: str, options: list[Option], explanation: str, difficulty: str, source_ref: str,
       tags: list[str]) -> dict[str, Any]:
    """One question. Options written correct-first are rotated (deterministically, by the text) so that the right
    answer does not always come first: a round may turn option shuffling off, and study mode shows the stored order.
    Options in a natural order (numbers, years) are written in that order and left alone."""
    if kind != "true_false" and options[0][1]:
        k = sum(map(ord, text)) % len(options)
        options = options[k:] + options[:k]
    return {"kind": kind, "text": text, "options": options, "explanation": explanation, "difficulty": difficulty,
            "source_ref": source_ref, "tags": tags}


def _tf(text: str, answer: bool, explanation: str, difficulty: str, source_ref: str, tags: list[str]) -> dict[str, Any]:
    return _q("true_false", text, [(bank.TRUE_FALSE[0], answer), (bank.TRUE_FALSE[1], not answer)], explanation,
              difficulty, source_ref, tags)


# --- 1. Urban renewal and civilised urban lifestyle -------------------------------------------------------
URBAN = [
    _q("single", "Thành phố Thủ Dầu Một giữ vai trò gì đối với tỉnh Bình Dương?",
       [("Là tỉnh lỵ, trung tâm hành chính – chính trị của tỉnh", True),
        ("Là thành phố trực thuộc Trung ương", False),
        ("Là đặc khu hành chính – kinh tế", False),
        ("Là một huyện nông thôn của tỉnh", False)],
       "Thủ Dầu Một là tỉnh lỵ của tỉnh Bình Dương, nơi đặt trụ sở các cơ quan lãnh đạo, quản lý của tỉnh. "
       "Thành phố là đô thị trực thuộc tỉnh, không phải thành phố trực thuộc Trung ương.",
       "easy", SRC_DEMO, ["Thủ Dầu Một", "đô thị"]),
    _q("single", "Thành phố Thủ Dầu Một được công nhận là đô thị loại I trực thuộc tỉnh Bình Dương vào năm nào?",
       [("Năm 2012", False), ("Năm 2015", False), ("Năm 2017", True), ("Năm 2020", False)],
       "Năm 2017, Thủ tướng Chính phủ công nhận thành phố Thủ Dầu Một là đô thị loại I trực thuộc tỉnh Bình Dương.",
       "medium", SRC_DEMO, ["Thủ Dầu Một", "đô thị loại I"]),
    _q("single", "Theo quy định về phân loại đô thị, đô thị ở nước ta được chia thành bao nhiêu loại?",
       [("4 loại", False), ("5 loại", False), ("6 loại", True), ("7 loại", False)],
       "Đô thị được phân thành 6 loại: loại đặc biệt, loại I, loại II, loại III, loại IV và loại V.",
       "medium", SRC_DEMO, ["đô thị loại I"]),
    _q("single", "Thành phố Thủ Dầu Một nằm ven con sông nào?",
       [("Sông Sài Gòn", True), ("Sông Tiền", False), ("Sông Hậu", False), ("Sông Vàm Cỏ Đông", False)],
       "Thủ Dầu Một nằm ven sông Sài Gòn; không gian ven sông là một lợi thế trong chỉnh trang, phát triển đô thị.",
       "easy", SRC_DEMO, ["Thủ Dầu Một"]),
    _q("single", "Theo định hướng chung của Nghị quyết, việc chỉnh trang, phát triển đô thị Thủ Dầu Một hướng tới "
       "mục tiêu nào?",
       [("Đô thị văn minh, hiện đại, thông minh, nâng cao chất lượng sống của người dân", True),
        ("Mở rộng diện tích đất sản xuất nông nghiệp trong khu trung tâm", False),
        ("Hạn chế đầu tư hạ tầng đô thị để dồn nguồn lực cho nơi khác", False),
        ("Di dời toàn bộ dân cư ra khỏi khu vực trung tâm", False)],
       "Câu hỏi minh hoạ theo tinh thần chung: chỉnh trang, phát triển đô thị nhằm xây dựng đô thị văn minh, hiện đại, "
       "thông minh, vì chất lượng sống của Nhân dân.",
       "easy", SRC_ILLUSTRATIVE, ["chỉnh trang đô thị"]),
    _q("single", "Định hướng phát triển đô thị nào được tỉnh Bình Dương triển khai thông qua Đề án xây dựng thành phố "
       "thông minh?",
       [("Ứng dụng công nghệ thông tin, đổi mới sáng tạo vào quản lý và phát triển đô thị", True),
        ("Chuyển các phường nội thành thành xã nông thôn", False),
        ("Dừng thu hút đầu tư để giữ nguyên hiện trạng đô thị", False),
        ("Bỏ quy hoạch chung, để các khu vực tự phát triển", False)],
       "Bình Dương triển khai Đề án xây dựng thành phố thông minh, lấy ứng dụng công nghệ và đổi mới sáng tạo làm động "
       "lực nâng cao năng lực quản lý, chất lượng đô thị.",
       "medium", SRC_DEMO, ["đô thị thông minh"]),
    _q("multiple", "Những hành vi nào sau đây thể hiện nếp sống văn minh đô thị? (chọn 2 đáp án)",
       [("Bỏ rác đúng nơi, đúng giờ thu gom theo quy định", True),
        ("Không lấn chiếm vỉa hè, lòng đường để buôn bán", True),
        ("Đốt rác, lá cây trong khu dân cư", False),
        ("Để xe trên vỉa hè, chắn lối đi của người đi bộ", False)],
       "Giữ vệ sinh chung và trả lại vỉa hè, lòng đường cho người đi bộ, phương tiện là những biểu hiện cụ thể của nếp "
       "sống văn minh đô thị; đốt rác hay để xe chắn lối đi đều là hành vi cần loại bỏ.",
       "easy", SRC_DEMO, ["văn minh đô thị"]),
    _q("multiple", "Theo Luật Bảo vệ môi trường năm 2020, chất thải rắn sinh hoạt của hộ gia đình, cá nhân được phân "
       "loại theo những nhóm nào sau đây? (chọn 2 đáp án)",
       [("Chất thải rắn có khả năng tái sử dụng, tái chế", True),
        ("Chất thải thực phẩm", True),
        ("Chất thải phóng xạ", False),
        ("Chất thải công nghiệp nguy hại", False)],
       "Luật Bảo vệ môi trường năm 2020 quy định phân loại chất thải rắn sinh hoạt thành: chất thải rắn có khả năng tái "
       "sử dụng, tái chế; chất thải thực phẩm; và chất thải rắn sinh hoạt khác.",
       "hard", "Luật Bảo vệ môi trường năm 2020", ["phân loại rác", "môi trường"]),
    _tf("Phân loại chất thải rắn sinh hoạt tại nguồn giúp tăng khả năng tái chế và giảm lượng rác phải chôn lấp.", True,
        "Khi rác được phân loại ngay tại hộ gia đình, phần có thể tái chế và chất thải thực phẩm được xử lý riêng, nhờ đó "
        "giảm lượng rác phải chôn lấp và ô nhiễm môi trường.",
        "easy", SRC_DEMO, ["phân loại rác"]),
    _tf("Chỉnh trang đô thị chỉ là trách nhiệm của chính quyền, người dân không cần tham gia.", False,
        "Chỉnh trang đô thị thực hiện theo phương châm \"Nhà nước và Nhân dân cùng làm\"; sự đồng thuận, đóng góp của "
        "người dân là yếu tố quyết định thành công.",
        "easy", SRC_DEMO, ["chỉnh trang đô thị"]),
    _q("single", "Cuộc vận động do Mặt trận Tổ quốc Việt Nam chủ trì gắn trực tiếp với xây dựng đô thị văn minh có tên "
       "là gì?",
       [("\"Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh\"", True),
        ("\"Người Việt Nam ưu tiên dùng hàng Việt Nam\"", False),
        ("\"Mỗi gia đình một doanh nghiệp\"", False),
        ("\"Toàn dân tham gia xuất khẩu lao động\"", False)],
       "Cuộc vận động \"Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh\" do Mặt trận Tổ quốc Việt Nam chủ trì "
       "là nền tảng để vận động Nhân dân tham gia xây dựng đô thị văn minh.",
       "medium", SRC_DEMO, ["văn minh đô thị", "Mặt trận"]),
    _q("single", "Phát triển mảng xanh đô thị tiếp nối phong trào \"Tết trồng cây\". Phong trào này do ai phát động?",
       [("Chủ tịch Hồ Chí Minh", True), ("Chủ tịch Tôn Đức Thắng", False), ("Đại tướng Võ Nguyên Giáp", False),
        ("Thủ tướng Phạm Văn Đồng", False)],
       "Chủ tịch Hồ Chí Minh phát động phong trào \"Tết trồng cây\" từ năm 1959; trồng và chăm sóc cây xanh là một nội "
       "dung của chỉnh trang, làm đẹp đô thị.",
       "easy", SRC_DEMO, ["mảng xanh"]),
    _q("single", "Nguyên tắc nào cần bảo đảm trong bồi thường, hỗ trợ, tái định cư khi thực hiện các dự án chỉnh trang, "
       "phát triển đô thị?",
       [("Công khai, minh bạch, đúng pháp luật, hài hòa lợi ích của Nhà nước, người dân và nhà đầu tư", True),
        ("Ưu tiên tuyệt đối lợi ích của nhà đầu tư", False),
        ("Chỉ thông báo cho người dân sau khi đã thu hồi đất", False),
        ("Không cần lấy ý kiến người dân chịu ảnh hưởng", False)],
       "Làm tốt công tác bồi thường, giải phóng mặt bằng đòi hỏi công khai, minh bạch, đúng pháp luật và hài hòa lợi ích "
       "các bên; đây là điều kiện để tạo đồng thuận và đẩy nhanh tiến độ dự án.",
       "medium", SRC_DEMO, ["chỉnh trang đô thị"]),
    _q("single", "Chỉ thị 27-CT/TW năm 1998 của Bộ Chính trị (khóa VIII) đề cập đến nội dung nào?",
       [("Thực hiện nếp sống văn minh trong việc cưới, việc tang, lễ hội", True),
        ("Phát triển kinh tế biển", False),
        ("Cải cách chính sách tiền lương", False),
        ("Xây dựng lực lượng dân quân tự vệ", False)],
       "Chỉ thị 27-CT/TW của Bộ Chính trị về thực hiện nếp sống văn minh trong việc cưới, việc tang, lễ hội là cơ sở lâu "
       "dài cho việc xây dựng nếp sống văn minh ở khu dân cư.",
       "hard", SRC_DEMO, ["nếp sống văn minh"]),
]

# --- 2. The double task ------------------------------------------------------------------------------------
DOUBLE_TASK = [
    _q("single", "Thông điệp \"5K\" của Bộ Y tế trong phòng, chống dịch Covid-19 gồm những nội dung nào?",
       [("Khẩu trang – Khử khuẩn – Khoảng cách – Không tụ tập – Khai báo y tế", True),
        ("Khẩu trang – Khám bệnh – Kiểm tra – Không đi lại – Kê khai tài sản", False),
        ("Khử khuẩn – Kháng sinh – Khoảng cách – Không tụ tập – Khẩn cấp", False),
        ("Khẩu trang – Không ra đường – Không làm việc – Không học tập – Khai báo", False)],
       "Thông điệp 5K của Bộ Y tế gồm: Khẩu trang, Khử khuẩn, Khoảng cách, Không tụ tập, Khai báo y tế.",
       "easy", SRC_DEMO, ["Covid-19", "5K"]),
    _q("single", "\"Nhiệm vụ kép\" trong thời kỳ dịch Covid-19 được hiểu như thế nào?",
       [("Vừa phòng, chống dịch hiệu quả, vừa duy trì, phục hồi và phát triển kinh tế - xã hội", True),
        ("Vừa phòng, chống dịch, vừa tạm dừng mọi hoạt động sản xuất", False),
        ("Chỉ tập trung phát triển kinh tế, không cần các biện pháp phòng dịch", False),
        ("Vừa phát triển du lịch, vừa mở rộng lễ hội đông người", False)],
       "Nhiệm vụ kép là thực hiện đồng thời hai mục tiêu: bảo vệ sức khỏe, tính mạng Nhân dân trước dịch bệnh và giữ "
       "vững, phục hồi, phát triển kinh tế - xã hội.",
       "easy", SRC_DEMO, ["nhiệm vụ kép"]),
    _q("single", "Phương án \"3 tại chỗ\" được nhiều doanh nghiệp ở Bình Dương áp dụng năm 2021 để duy trì sản xuất "
       "gồm những gì?",
       [("Sản xuất tại chỗ – ăn tại chỗ – nghỉ ngơi tại chỗ", True),
        ("Khám tại chỗ – điều trị tại chỗ – cách ly tại chỗ", False),
        ("Mua tại chỗ – bán tại chỗ – giao hàng tại chỗ", False),
        ("Học tại chỗ – thi tại chỗ – xét tuyển tại chỗ", False)],
       "Phương án \"3 tại chỗ\" (sản xuất, ăn, nghỉ ngơi tại chỗ) giúp doanh nghiệp duy trì hoạt động trong điều kiện "
       "giãn cách, hạn chế lây lan dịch bệnh ra cộng đồng.",
       "medium", SRC_DEMO, ["nhiệm vụ kép", "doanh nghiệp"]),
    _q("single", "Nghị quyết 128/NQ-CP ngày 11/10/2021 của Chính phủ ban hành Quy định tạm thời về nội dung nào?",
       [("\"Thích ứng an toàn, linh hoạt, kiểm soát hiệu quả dịch Covid-19\"", True),
        ("Thực hiện giãn cách xã hội trên phạm vi toàn quốc", False),
        ("Miễn thuế thu nhập cá nhân cho toàn bộ người lao động", False),
        ("Đóng cửa toàn bộ các cửa khẩu quốc tế", False)],
       "Nghị quyết 128/NQ-CP chuyển trạng thái phòng, chống dịch sang \"thích ứng an toàn, linh hoạt, kiểm soát hiệu quả\", "
       "tạo điều kiện khôi phục sản xuất, kinh doanh.",
       "hard", "Nghị quyết 128/NQ-CP (2021)", ["Covid-19", "thích ứng an toàn"]),
    _q("single", "Theo Nghị quyết 128/NQ-CP, cấp độ dịch Covid-19 được phân thành mấy cấp?",
       [("3 cấp", False), ("4 cấp", True), ("5 cấp", False), ("6 cấp", False)],
       "Cấp độ dịch gồm 4 cấp: cấp 1 – nguy cơ thấp (xanh), cấp 2 – nguy cơ trung bình (vàng), cấp 3 – nguy cơ cao (cam), "
       "cấp 4 – nguy cơ rất cao (đỏ).",
       "medium", "Nghị quyết 128/NQ-CP (2021)", ["thích ứng an toàn"]),
    _q("multiple", "Những biện pháp nào sau đây góp phần thực hiện \"nhiệm vụ kép\"? (chọn 2 đáp án)",
       [("Tiêm vắc xin phòng Covid-19 đầy đủ theo khuyến cáo", True),
        ("Doanh nghiệp xây dựng phương án sản xuất an toàn phòng dịch", True),
        ("Đóng cửa toàn bộ doanh nghiệp vô thời hạn", False),
        ("Tụ tập đông người khi dịch đang lây lan", False)],
       "Tiêm vắc xin và sản xuất an toàn vừa bảo vệ sức khỏe người dân, vừa giữ được hoạt động kinh tế; đóng cửa vô thời "
       "hạn hay tụ tập đông người đều đi ngược mục tiêu kép.",
       "easy", SRC_DEMO, ["nhiệm vụ kép"]),
    _q("single", "Phương châm \"bốn tại chỗ\" trong phòng, chống thiên tai, dịch bệnh gồm những nội dung nào?",
       [("Chỉ huy tại chỗ, lực lượng tại chỗ, vật tư – phương tiện tại chỗ, hậu cần tại chỗ", True),
        ("Ăn tại chỗ, ngủ tại chỗ, làm việc tại chỗ, học tập tại chỗ", False),
        ("Khám tại chỗ, xét nghiệm tại chỗ, điều trị tại chỗ, cách ly tại chỗ", False),
        ("Thu tại chỗ, chi tại chỗ, quyết toán tại chỗ, kiểm toán tại chỗ", False)],
       "\"Bốn tại chỗ\" gồm chỉ huy, lực lượng, vật tư – phương tiện và hậu cần tại chỗ, giúp địa phương chủ động ứng phó "
       "ngay từ cơ sở.",
       "medium", SRC_DEMO, ["bốn tại chỗ"]),
    _tf("Trong phòng, chống dịch Covid-19, Đảng và Nhà nước xác định bảo vệ sức khỏe, tính mạng của Nhân dân là trên "
        "hết, trước hết.", True,
        "Quan điểm xuyên suốt trong phòng, chống dịch là đặt sức khỏe, tính mạng của Nhân dân lên trên hết, trước hết.",
        "easy", SRC_DEMO, ["Covid-19"]),
    _tf("Thực hiện \"nhiệm vụ kép\" có nghĩa là chỉ tập trung phát triển kinh tế, tạm gác công tác phòng, chống dịch.",
        False,
        "Nhiệm vụ kép đòi hỏi làm đồng thời cả hai việc: phòng, chống dịch hiệu quả và phát triển kinh tế - xã hội, "
        "không xem nhẹ mặt nào.",
        "easy", SRC_DEMO, ["nhiệm vụ kép"]),
    _q("multiple", "Những văn bản nào sau đây là chính sách của Chính phủ hỗ trợ người dân, người lao động gặp khó khăn "
       "do đại dịch Covid-19? (chọn 2 đáp án)",
       [("Nghị quyết 42/NQ-CP năm 2020 về các biện pháp hỗ trợ người dân gặp khó khăn do đại dịch", True),
        ("Nghị quyết 68/NQ-CP năm 2021 về chính sách hỗ trợ người lao động và người sử dụng lao động", True),
        ("Nghị định 61/2018/NĐ-CP về cơ chế một cửa, một cửa liên thông", False),
        ("Quyết định 749/QĐ-TTg năm 2020 về Chương trình Chuyển đổi số quốc gia", False)],
       "Nghị quyết 42/NQ-CP (2020) và Nghị quyết 68/NQ-CP (2021) là hai gói chính sách hỗ trợ người dân, người lao động và "
       "người sử dụng lao động bị ảnh hưởng bởi dịch Covid-19.",
       "hard", SRC_DEMO, ["an sinh xã hội", "Covid-19"]),
    _q("single", "Trình tự các bước cơ bản trong phòng, chống dịch Covid-19 được áp dụng ở nước ta là gì?",
       [("Ngăn chặn – phát hiện – cách ly – khoanh vùng – dập dịch", True),
        ("Dập dịch – ngăn chặn – phát hiện – báo cáo – tổng kết", False),
        ("Phát hiện – báo cáo – chờ hướng dẫn – cách ly", False),
        ("Khoanh vùng – phong tỏa toàn tỉnh – tạm dừng sản xuất", False)],
       "Phương châm \"ngăn chặn – phát hiện – cách ly – khoanh vùng – dập dịch\" giúp kiểm soát dịch sớm, gọn, hạn chế "
       "ảnh hưởng tới sản xuất và đời sống.",
       "medium", SRC_DEMO, ["Covid-19"]),
    _q("single", "Chương trình phục hồi và phát triển kinh tế - xã hội được Chính phủ ban hành năm 2022 nhằm mục đích "
       "chủ yếu nào?",
       [("Hỗ trợ doanh nghiệp, người dân phục hồi sản xuất, kinh doanh và thúc đẩy tăng trưởng sau đại dịch", True),
        ("Thay thế toàn bộ các biện pháp phòng, chống dịch", False),
        ("Chỉ hỗ trợ các doanh nghiệp có vốn đầu tư nước ngoài", False),
        ("Tăng thuế để bù đắp chi phí phòng, chống dịch", False)],
       "Năm 2022, Chính phủ triển khai Chương trình phục hồi và phát triển kinh tế - xã hội để hỗ trợ doanh nghiệp, "
       "người dân khôi phục sản xuất, kinh doanh và lấy lại đà tăng trưởng.",
       "medium", SRC_DEMO, ["phục hồi kinh tế"]),
    _q("single", "Trong chiến dịch tiêm chủng vắc xin phòng Covid-19 quốc gia, người dân được tiêm theo hình thức nào?",
       [("Miễn phí", True), ("Tự chi trả toàn bộ chi phí", False), ("Chi trả một nửa chi phí", False),
        ("Chỉ người có bảo hiểm y tế mới được tiêm", False)],
       "Vắc xin phòng Covid-19 trong chiến dịch tiêm chủng quốc gia được tiêm miễn phí cho người dân, với sự đóng góp "
       "của ngân sách và Quỹ vắc xin phòng Covid-19.",
       "easy", SRC_DEMO, ["vắc xin"]),
]

# --- 3. Digital transformation, online public services and administrative reform ------------------------------
DIGITAL = [
    _q("single", "Dịch vụ công trực tuyến mức độ 4 là dịch vụ như thế nào?",
       [("Người dân thực hiện trực tuyến toàn bộ: nộp hồ sơ, thanh toán phí, lệ phí (nếu có); kết quả trả trực tuyến "
         "hoặc qua bưu chính", True),
        ("Chỉ cung cấp thông tin về thủ tục hành chính trên mạng", False),
        ("Cho phép tải mẫu đơn về điền, sau đó nộp hồ sơ trực tiếp", False),
        ("Nộp hồ sơ trực tuyến nhưng phải đến cơ quan nộp phí và nhận kết quả", False)],
       "Theo Nghị định 43/2011/NĐ-CP, mức độ 4 là mức cao nhất: toàn bộ quy trình, kể cả thanh toán, được thực hiện "
       "trực tuyến. Nay Nghị định 42/2022/NĐ-CP gọi là dịch vụ công trực tuyến toàn trình.",
       "medium", "Nghị định 43/2011/NĐ-CP", ["dịch vụ công trực tuyến"]),
    _q("single", "Theo Nghị định 42/2022/NĐ-CP, dịch vụ công trực tuyến được chia thành những loại nào?",
       [("Dịch vụ công trực tuyến toàn trình và dịch vụ công trực tuyến một phần", True),
        ("Dịch vụ công trực tuyến cấp tỉnh và cấp huyện", False),
        ("Dịch vụ công trực tuyến có phí và miễn phí", False),
        ("Dịch vụ công trực tuyến mức 1 đến mức 6", False)],
       "Nghị định 42/2022/NĐ-CP thay cách phân chia 4 mức độ bằng hai loại: dịch vụ công trực tuyến toàn trình và dịch vụ "
       "công trực tuyến một phần.",
       "hard", "Nghị định 42/2022/NĐ-CP", ["dịch vụ công trực tuyến"]),
    _q("single", "Địa chỉ truy cập Cổng Dịch vụ công quốc gia là gì?",
       [("dichvucong.gov.vn", True), ("dichvucong.com.vn", False), ("congdichvu.vn", False),
        ("dichvucongquocgia.net", False)],
       "Cổng Dịch vụ công quốc gia có địa chỉ dichvucong.gov.vn; tên miền .gov.vn dành cho cơ quan nhà nước, giúp người "
       "dân tránh các trang giả mạo.",
       "easy", SRC_DEMO, ["Cổng Dịch vụ công quốc gia"]),
    _q("single", "Chương trình Chuyển đổi số quốc gia xác định ba trụ cột nào?",
       [("Chính phủ số (chính quyền số), kinh tế số, xã hội số", True),
        ("Hạ tầng số, nhân lực số, tài chính số", False),
        ("Thương mại điện tử, ngân hàng số, giáo dục số", False),
        ("Phần cứng, phần mềm, mạng viễn thông", False)],
       "Quyết định 749/QĐ-TTg năm 2020 phê duyệt Chương trình Chuyển đổi số quốc gia với ba trụ cột: phát triển Chính "
       "phủ số, kinh tế số và xã hội số; ở địa phương là chính quyền số.",
       "easy", SRC_749, ["chuyển đổi số"]),
    _q("single", "Theo Chương trình Chuyển đổi số quốc gia, yếu tố nào đóng vai trò quyết định trong chuyển đổi số?",
       [("Nhận thức", True), ("Vốn đầu tư", False), ("Thiết bị phần cứng", False), ("Phần mềm nhập khẩu", False)],
       "Chương trình Chuyển đổi số quốc gia nêu rõ: nhận thức đóng vai trò quyết định trong chuyển đổi số.",
       "medium", SRC_749, ["chuyển đổi số"]),
    _q("single", "Theo Chương trình Chuyển đổi số quốc gia, ai là trung tâm của chuyển đổi số?",
       [("Người dân", True), ("Doanh nghiệp công nghệ nước ngoài", False), ("Các chuyên gia công nghệ", False),
        ("Riêng cơ quan nhà nước", False)],
       "Chương trình xác định người dân là trung tâm của chuyển đổi số: chuyển đổi số phải vì người dân và mang lại lợi "
       "ích thiết thực cho người dân.",
       "easy", SRC_749, ["chuyển đổi số"]),
    _q("single", "Cơ chế một cửa, một cửa liên thông trong giải quyết thủ tục hành chính được quy định tại văn bản nào?",
       [("Nghị định 61/2018/NĐ-CP", True), ("Nghị định 43/2011/NĐ-CP", False), ("Quyết định 749/QĐ-TTg", False),
        ("Luật Bảo vệ môi trường năm 2020", False)],
       "Nghị định 61/2018/NĐ-CP (được sửa đổi, bổ sung bởi Nghị định 107/2021/NĐ-CP) quy định về thực hiện cơ chế một "
       "cửa, một cửa liên thông trong giải quyết thủ tục hành chính.",
       "hard", "Nghị định 61/2018/NĐ-CP", ["một cửa", "cải cách hành chính"]),
    _q("single", "Cơ chế \"một cửa liên thông\" được hiểu là gì?",
       [("Các cơ quan có thẩm quyền phối hợp giải quyết thủ tục hành chính; người dân chỉ nộp hồ sơ và nhận kết quả tại "
         "một đầu mối", True),
        ("Mỗi cơ quan tự tiếp nhận hồ sơ riêng, người dân đến từng nơi", False),
        ("Người dân phải tự chuyển hồ sơ giữa các cơ quan liên quan", False),
        ("Chỉ giải quyết thủ tục hành chính qua điện thoại", False)],
       "Một cửa liên thông là phương thức phối hợp giữa các cơ quan trong hướng dẫn, tiếp nhận, giải quyết và trả kết quả "
       "một thủ tục hoặc nhóm thủ tục có liên quan, thông qua Bộ phận Một cửa.",
       "medium", "Nghị định 61/2018/NĐ-CP", ["một cửa"]),
    _q("multiple", "Những lợi ích nào sau đây người dân nhận được khi sử dụng dịch vụ công trực tuyến? (chọn 2 đáp án)",
       [("Giảm thời gian, chi phí đi lại", True),
        ("Theo dõi được tình trạng giải quyết hồ sơ", True),
        ("Không phải tuân thủ thành phần hồ sơ theo quy định", False),
        ("Được miễn mọi nghĩa vụ tài chính", False)],
       "Dịch vụ công trực tuyến giúp giảm thời gian, chi phí và cho phép tra cứu tiến độ hồ sơ; thành phần hồ sơ và phí, "
       "lệ phí vẫn theo quy định.",
       "easy", SRC_DEMO, ["dịch vụ công trực tuyến"]),
    _q("multiple", "Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021–2030 (Nghị quyết 76/NQ-CP) có "
       "những nội dung nào sau đây? (chọn 2 đáp án)",
       [("Cải cách thủ tục hành chính", True),
        ("Xây dựng và phát triển Chính phủ điện tử, Chính phủ số", True),
        ("Bãi bỏ chế độ công vụ", False),
        ("Tư nhân hóa toàn bộ dịch vụ hành chính công", False)],
       "Chương trình gồm sáu nội dung: cải cách thể chế; cải cách thủ tục hành chính; cải cách tổ chức bộ máy; cải cách "
       "chế độ công vụ; cải cách tài chính công; xây dựng và phát triển Chính phủ điện tử, Chính phủ số.",
       "hard", "Nghị quyết 76/NQ-CP (2021)", ["cải cách hành chính"]),
    _q("single", "Đề án 06 của Chính phủ (Quyết định 06/QĐ-TTg năm 2022) tập trung vào nội dung nào?",
       [("Phát triển ứng dụng dữ liệu về dân cư, định danh và xác thực điện tử phục vụ chuyển đổi số quốc gia", True),
        ("Xây dựng đường cao tốc Bắc – Nam", False),
        ("Phát triển du lịch cộng đồng", False),
        ("Sắp xếp lại các trường đại học công lập", False)],
       "Đề án 06 về phát triển ứng dụng dữ liệu dân cư, định danh và xác thực điện tử là nền tảng để đơn giản hóa thủ tục "
       "hành chính, phát triển dịch vụ công trực tuyến.",
       "hard", "Quyết định 06/QĐ-TTg (2022)", ["Đề án 06", "chuyển đổi số"]),
    _q("single", "Ứng dụng định danh điện tử quốc gia do Bộ Công an phát triển có tên là gì?",
       [("VNeID", True), ("VssID", False), ("Bluezone", False), ("eTax", False)],
       "VNeID là ứng dụng định danh điện tử quốc gia của Bộ Công an; tài khoản định danh điện tử dùng để đăng nhập, thực "
       "hiện nhiều dịch vụ công trực tuyến.",
       "easy", SRC_DEMO, ["Đề án 06"]),
    _tf("Ngày 10 tháng 10 hằng năm là Ngày Chuyển đổi số quốc gia.", True,
        "Thủ tướng Chính phủ quyết định lấy ngày 10/10 hằng năm là Ngày Chuyển đổi số quốc gia, bắt đầu từ năm 2022.",
        "medium", SRC_DEMO, ["chuyển đổi số"]),
    _q("single", "Thước đo quan trọng để đánh giá chất lượng phục vụ của cơ quan hành chính nhà nước là gì?",
       [("Sự hài lòng của người dân, doanh nghiệp", True), ("Số lượng văn bản được ban hành", False),
        ("Số lượng cán bộ, công chức", False), ("Mức kinh phí chi thường xuyên", False)],
       "Cải cách hành chính lấy sự hài lòng của người dân, doanh nghiệp làm thước đo chất lượng phục vụ của cơ quan nhà "
       "nước.",
       "medium", SRC_DEMO, ["cải cách hành chính"]),
]

# --- 4. Party building and the political system ------------------------------------------------------------
PARTY = [
    _q("single", "Nguyên tắc tổ chức cơ bản của Đảng Cộng sản Việt Nam là gì?",
       [("Tập trung dân chủ", True), ("Đa nguyên chính trị", False), ("Phân quyền tuyệt đối", False),
        ("Tự do cá nhân", False)],
       "Điều lệ Đảng xác định Đảng lấy tập trung dân chủ làm nguyên tắc tổ chức cơ bản.",
       "easy", SRC_STATUTE, ["tập trung dân chủ"]),
    _q("single", "Trong xây dựng Đảng, tự phê bình và phê bình được xác định là gì?",
       [("Nguyên tắc sinh hoạt của Đảng, quy luật phát triển của Đảng", True),
        ("Hoạt động tự nguyện, không bắt buộc", False),
        ("Việc riêng của cấp ủy cấp trên", False),
        ("Chỉ thực hiện khi có đảng viên vi phạm kỷ luật", False)],
       "Tự phê bình và phê bình là nguyên tắc sinh hoạt Đảng được ghi trong Điều lệ Đảng và là quy luật phát triển của "
       "Đảng, giúp mỗi tổ chức đảng, đảng viên sửa chữa khuyết điểm.",
       "medium", SRC_STATUTE, ["tự phê bình và phê bình"]),
    _q("single", "Nền tảng tư tưởng, kim chỉ nam cho hành động của Đảng là gì?",
       [("Chủ nghĩa Mác - Lênin và tư tưởng Hồ Chí Minh", True),
        ("Chủ nghĩa Mác - Lênin", False),
        ("Tư tưởng Hồ Chí Minh", False),
        ("Đường lối đổi mới", False)],
       "Đảng lấy chủ nghĩa Mác - Lênin và tư tưởng Hồ Chí Minh làm nền tảng tư tưởng, kim chỉ nam cho hành động.",
       "easy", SRC_STATUTE, ["nền tảng tư tưởng"]),
    _q("single", "Theo Điều lệ Đảng, thời kỳ dự bị của đảng viên là bao lâu?",
       [("6 tháng", False), ("12 tháng", True), ("18 tháng", False), ("24 tháng", False)],
       "Người được kết nạp vào Đảng phải trải qua thời kỳ dự bị 12 tháng, tính từ ngày chi bộ tổ chức lễ kết nạp.",
       "easy", SRC_STATUTE, ["đảng viên"]),
    _q("single", "Theo Điều lệ Đảng, chi bộ sinh hoạt thường kỳ như thế nào?",
       [("Mỗi tháng một lần", True), ("Mỗi quý một lần", False), ("Sáu tháng một lần", False),
        ("Mỗi năm một lần", False)],
       "Điều lệ Đảng quy định chi bộ sinh hoạt thường kỳ mỗi tháng một lần; nâng cao chất lượng sinh hoạt chi bộ là "
       "khâu quan trọng trong xây dựng Đảng.",
       "easy", SRC_STATUTE, ["sinh hoạt chi bộ"]),
    _q("single", "Nghị quyết Hội nghị Trung ương 4 khóa XII (năm 2016) về xây dựng, chỉnh đốn Đảng chỉ ra bao nhiêu biểu "
       "hiện suy thoái về tư tưởng chính trị, đạo đức, lối sống, \"tự diễn biến\", \"tự chuyển hóa\" trong nội bộ?",
       [("9 biểu hiện", False), ("18 biểu hiện", False), ("27 biểu hiện", True), ("36 biểu hiện", False)],
       "Nghị quyết Trung ương 4 khóa XII chỉ ra 27 biểu hiện: 9 biểu hiện suy thoái về tư tưởng chính trị, 9 về đạo đức, "
       "lối sống và 9 biểu hiện \"tự diễn biến\", \"tự chuyển hóa\".",
       "hard", "Nghị quyết Trung ương 4 khóa XII", ["chỉnh đốn Đảng"]),
    _q("single", "Theo Văn kiện Đại hội XIII của Đảng, nhiệm vụ nào được xác định là then chốt?",
       [("Xây dựng, chỉnh đốn Đảng", True), ("Phát triển kinh tế - xã hội", False), ("Phát triển văn hóa", False),
        ("Bảo đảm quốc phòng, an ninh", False)],
       "Đại hội XIII xác định: phát triển kinh tế - xã hội là trung tâm; xây dựng, chỉnh đốn Đảng là then chốt; phát triển "
       "văn hóa là nền tảng tinh thần; bảo đảm quốc phòng, an ninh là trọng yếu, thường xuyên.",
       "medium", SRC_XIII, ["chỉnh đốn Đảng"]),
    _q("single", "Hệ thống chính trị ở nước ta gồm những thành phần nào?",
       [("Đảng Cộng sản Việt Nam, Nhà nước, Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị - xã hội", True),
        ("Đảng Cộng sản Việt Nam và Nhà nước", False),
        ("Nhà nước và các doanh nghiệp nhà nước", False),
        ("Quốc hội, Chính phủ và các hiệp hội nghề nghiệp", False)],
       "Hệ thống chính trị gồm Đảng Cộng sản Việt Nam, Nhà nước Cộng hòa xã hội chủ nghĩa Việt Nam, Mặt trận Tổ quốc Việt "
       "Nam và các tổ chức chính trị - xã hội; Đảng vừa là một bộ phận, vừa là hạt nhân lãnh đạo hệ thống.",
       "medium", SRC_DEMO, ["hệ thống chính trị"]),
    _q("single", "Theo Điều lệ Đảng, Đoàn Thanh niên Cộng sản Hồ Chí Minh là gì đối với Đảng?",
       [("Đội dự bị tin cậy của Đảng", True), ("Cơ quan tham mưu của cấp ủy", False),
        ("Tổ chức độc lập, không chịu sự lãnh đạo của Đảng", False), ("Một cấp ủy đảng", False)],
       "Điều lệ Đảng xác định Đoàn Thanh niên Cộng sản Hồ Chí Minh là đội dự bị tin cậy của Đảng; Đảng lãnh đạo Đoàn.",
       "easy", SRC_STATUTE, ["Đoàn Thanh niên"]),
    _q("single", "Theo Điều lệ Đoàn, đoàn viên Đoàn Thanh niên Cộng sản Hồ Chí Minh là thanh niên Việt Nam trong độ tuổi "
       "nào?",
       [("Từ 14 đến 28 tuổi", False), ("Từ 16 đến 30 tuổi", True), ("Từ 18 đến 35 tuổi", False),
        ("Từ 15 đến 25 tuổi", False)],
       "Điều lệ Đoàn quy định thanh niên Việt Nam tuổi từ 16 đến 30 được xem xét kết nạp vào Đoàn.",
       "medium", "Điều lệ Đoàn Thanh niên Cộng sản Hồ Chí Minh", ["Đoàn Thanh niên"]),
    _tf("\"Đảng lãnh đạo, Nhà nước quản lý, Nhân dân làm chủ\" là cơ chế vận hành tổng quát của hệ thống chính trị "
        "nước ta.", True,
        "Đây là cơ chế tổng quát được Đảng xác định qua các kỳ Đại hội, thể hiện mối quan hệ giữa Đảng, Nhà nước và Nhân dân.",
        "medium", SRC_DEMO, ["hệ thống chính trị"]),
    _tf("Đảng viên dự bị có quyền biểu quyết như đảng viên chính thức.", False,
        "Theo Điều lệ Đảng, đảng viên dự bị có các quyền như đảng viên chính thức, trừ quyền biểu quyết, ứng cử và bầu cử "
        "cơ quan lãnh đạo của Đảng.",
        "medium", SRC_STATUTE, ["đảng viên"]),
    _q("single", "Phương châm công tác dân vận được Đại hội XIII của Đảng bổ sung, phát triển là gì?",
       [("Dân biết, dân bàn, dân làm, dân kiểm tra, dân giám sát, dân thụ hưởng", True),
        ("Dân biết, dân bàn, dân làm, dân kiểm tra", False),
        ("Dân biết, dân làm, dân hưởng", False),
        ("Dân nghe, dân hiểu, dân tin, dân theo", False)],
       "Đại hội XIII bổ sung \"dân giám sát, dân thụ hưởng\" vào phương châm \"dân biết, dân bàn, dân làm, dân kiểm tra\".",
       "hard", SRC_XIII, ["dân vận"]),
    _q("single", "Chỉ thị 05-CT/TW năm 2016 của Bộ Chính trị khóa XII về nội dung gì?",
       [("Đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh", True),
        ("Tăng cường công tác phòng, chống thiên tai", False),
        ("Đổi mới căn bản, toàn diện giáo dục và đào tạo", False),
        ("Phát triển kinh tế tư nhân", False)],
       "Chỉ thị 05-CT/TW ngày 15/5/2016 của Bộ Chính trị về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách "
       "Hồ Chí Minh.",
       "medium", "Chỉ thị 05-CT/TW (2016)", ["học tập và làm theo Bác"]),
    _q("multiple", "Theo Điều lệ Đảng, cùng với tập trung dân chủ, Đảng còn thực hiện những nguyên tắc nào sau đây? "
       "(chọn 2 đáp án)",
       [("Tự phê bình và phê bình", True),
        ("Đoàn kết trên cơ sở Cương lĩnh chính trị và Điều lệ Đảng", True),
        ("Đa nguyên, đa đảng", False),
        ("Tam quyền phân lập", False)],
       "Điều lệ Đảng nêu: Đảng thực hiện các nguyên tắc tự phê bình và phê bình, đoàn kết trên cơ sở Cương lĩnh chính trị "
       "và Điều lệ Đảng, gắn bó mật thiết với Nhân dân, hoạt động trong khuôn khổ Hiến pháp và pháp luật.",
       "hard", SRC_STATUTE, ["nguyên tắc tổ chức"]),
]

# --- 5. Programmes and plans implementing the resolution --------------------------------------------------
PROGRAMMES = [
    _q("single", "Sau Đại hội, để đưa Nghị quyết vào cuộc sống, Ban Chấp hành Đảng bộ thành phố cần làm gì trước tiên?",
       [("Tổ chức học tập, quán triệt Nghị quyết và ban hành chương trình hành động, kế hoạch thực hiện", True),
        ("Chờ đến cuối nhiệm kỳ mới triển khai", False),
        ("Chỉ gửi Nghị quyết lưu trữ tại văn phòng", False),
        ("Giao toàn bộ cho từng đảng viên tự thực hiện", False)],
       "Câu hỏi minh hoạ theo nguyên tắc chung: Nghị quyết được học tập, quán triệt và cụ thể hóa bằng chương trình hành "
       "động, kế hoạch với nhiệm vụ, giải pháp cụ thể.",
       "easy", SRC_ILLUSTRATIVE, ["chương trình hành động"]),
    _q("single", "Giữa hai kỳ hội nghị Ban Chấp hành, cơ quan nào lãnh đạo và kiểm tra việc thực hiện nghị quyết đại hội "
       "của đảng bộ thành phố?",
       [("Ban Thường vụ Thành ủy", True), ("Ủy ban nhân dân thành phố", False), ("Hội đồng nhân dân thành phố", False),
        ("Ủy ban Mặt trận Tổ quốc thành phố", False)],
       "Theo Điều lệ Đảng, giữa hai kỳ hội nghị, ban thường vụ cấp ủy lãnh đạo và kiểm tra việc thực hiện nghị quyết của "
       "đại hội, nghị quyết, chỉ thị của cấp ủy cấp mình và cấp trên.",
       "medium", SRC_STATUTE, ["lãnh đạo thực hiện"]),
    _q("single", "Cơ quan nào quyết định kế hoạch phát triển kinh tế - xã hội của thành phố?",
       [("Hội đồng nhân dân thành phố", True), ("Ủy ban Mặt trận Tổ quốc thành phố", False),
        ("Đoàn Thanh niên thành phố", False), ("Hội Liên hiệp Phụ nữ thành phố", False)],
       "Hội đồng nhân dân là cơ quan quyền lực nhà nước ở địa phương, quyết định kế hoạch phát triển kinh tế - xã hội; "
       "Ủy ban nhân dân xây dựng, trình và tổ chức thực hiện.",
       "medium", SRC_DEMO, ["chính quyền địa phương"]),
    _q("single", "Trong thực hiện Nghị quyết, Ủy ban nhân dân thành phố có vai trò chủ yếu nào?",
       [("Cụ thể hóa thành kế hoạch, tổ chức thực hiện và quản lý, điều hành trên các lĩnh vực", True),
        ("Ban hành Nghị quyết Đại hội Đảng bộ", False),
        ("Bầu Ban Chấp hành Đảng bộ thành phố", False),
        ("Thay cấp ủy quyết định công tác cán bộ của Đảng", False)],
       "Ủy ban nhân dân là cơ quan hành chính nhà nước ở địa phương, cụ thể hóa chủ trương của cấp ủy và nghị quyết của "
       "Hội đồng nhân dân thành kế hoạch, giải pháp và tổ chức thực hiện.",
       "easy", SRC_DEMO, ["chính quyền địa phương"]),
    _q("single", "Việc đánh giá kết quả thực hiện Nghị quyết vào giữa nhiệm kỳ thường được gọi là gì?",
       [("Sơ kết giữa nhiệm kỳ", True), ("Tổng kết toàn khóa", False), ("Quyết toán ngân sách", False),
        ("Tổng kết lịch sử Đảng bộ", False)],
       "Sơ kết giữa nhiệm kỳ giúp đánh giá tiến độ, chỉ ra hạn chế và bổ sung giải pháp cho nửa nhiệm kỳ còn lại; tổng "
       "kết được tiến hành khi kết thúc nhiệm kỳ.",
       "easy", SRC_DEMO, ["sơ kết và tổng kết"]),
    _q("multiple", "Những chủ thể nào sau đây thực hiện giám sát việc thực hiện các chương trình, kế hoạch của chính "
       "quyền thành phố? (chọn 2 đáp án)",
       [("Hội đồng nhân dân thành phố", True),
        ("Mặt trận Tổ quốc và các tổ chức chính trị - xã hội", True),
        ("Các doanh nghiệp nước ngoài", False),
        ("Các hãng thông tấn quốc tế", False)],
       "Hội đồng nhân dân giám sát hoạt động của chính quyền; Mặt trận Tổ quốc và các tổ chức chính trị - xã hội thực "
       "hiện giám sát và phản biện xã hội.",
       "medium", SRC_DEMO, ["giám sát"]),
    _q("single", "Tinh thần phân công \"rõ người, rõ việc, rõ thời gian, rõ trách nhiệm\" khi triển khai kế hoạch thực "
       "hiện Nghị quyết nhằm mục đích gì?",
       [("Mỗi nhiệm vụ có người chịu trách nhiệm, tiến độ và kết quả cụ thể để kiểm tra, đánh giá", True),
        ("Giảm số lượng nhiệm vụ phải thực hiện", False),
        ("Chuyển toàn bộ trách nhiệm cho cấp cơ sở", False),
        ("Thay thế việc kiểm tra, giám sát", False)],
       "Phân công rõ ràng giúp tránh chồng chéo, đùn đẩy và là căn cứ để kiểm tra, đánh giá kết quả thực hiện.",
       "medium", SRC_ILLUSTRATIVE, ["tổ chức thực hiện"]),
    _q("single", "Kết quả thực hiện Nghị quyết được sử dụng như thế nào trong đánh giá tổ chức đảng và đảng viên?",
       [("Là một căn cứ để đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên hằng năm", True),
        ("Không liên quan đến việc đánh giá, xếp loại", False),
        ("Chỉ dùng để khen thưởng cá nhân Bí thư", False),
        ("Chỉ được xem xét khi kết thúc nhiệm kỳ", False)],
       "Việc thực hiện nhiệm vụ chính trị, trong đó có các chỉ tiêu, nhiệm vụ của Nghị quyết, là nội dung quan trọng "
       "khi đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên hằng năm.",
       "medium", SRC_ILLUSTRATIVE, ["đánh giá xếp loại"]),
    _q("single", "Theo Văn kiện Đại hội XIII của Đảng, ba đột phá chiến lược là gì?",
       [("Hoàn thiện thể chế; phát triển nguồn nhân lực; xây dựng hệ thống kết cấu hạ tầng đồng bộ, hiện đại", True),
        ("Phát triển nông nghiệp; mở rộng xuất khẩu; tăng vốn đầu tư nước ngoài", False),
        ("Cải cách tiền lương; tinh giản biên chế; cổ phần hóa doanh nghiệp", False),
        ("Phát triển du lịch; thương mại; dịch vụ tài chính", False)],
       "Ba đột phá chiến lược gồm: hoàn thiện thể chế phát triển; phát triển nguồn nhân lực, nhất là nhân lực chất lượng "
       "cao; xây dựng hệ thống kết cấu hạ tầng đồng bộ, hiện đại. Các địa phương cụ thể hóa trong chương trình của mình.",
       "hard", SRC_XIII, ["đột phá chiến lược"]),
    _q("single", "Các chương trình, kế hoạch thực hiện Nghị quyết của thành phố cần bảo đảm yêu cầu nào?",
       [("Thống nhất với chủ trương của cấp ủy cấp trên và phù hợp với điều kiện thực tế của thành phố", True),
        ("Độc lập hoàn toàn với định hướng của tỉnh và Trung ương", False),
        ("Sao chép nguyên văn chương trình của địa phương khác", False),
        ("Chỉ nêu mục tiêu chung, không cần giải pháp cụ thể", False)],
       "Câu hỏi minh hoạ theo nguyên tắc chung: chương trình của cấp dưới cụ thể hóa nghị quyết, chủ trương của cấp trên, "
       "gắn với điều kiện, tiềm năng của địa phương.",
       "medium", SRC_ILLUSTRATIVE, ["chương trình hành động"]),
    _q("multiple", "Những hình thức nào sau đây giúp đưa Nghị quyết đến với cán bộ, đảng viên và Nhân dân? "
       "(chọn 2 đáp án)",
       [("Học tập, quán triệt Nghị quyết tại các chi bộ, đảng bộ", True),
        ("Tổ chức các cuộc thi tìm hiểu Nghị quyết, kể cả thi trực tuyến", True),
        ("Chỉ lưu văn bản Nghị quyết trong tủ hồ sơ", False),
        ("Chỉ phổ biến trong Ban Thường vụ", False)],
       "Học tập, quán triệt và các cuộc thi tìm hiểu là những cách giúp cán bộ, đảng viên và Nhân dân nắm vững, tự giác "
       "thực hiện Nghị quyết.",
       "easy", SRC_DEMO, ["tuyên truyền"]),
    _q("single", "Luật Thực hiện dân chủ ở cơ sở có hiệu lực thi hành từ ngày nào?",
       [("01/01/2023", False), ("01/7/2023", True), ("01/01/2024", False), ("01/7/2024", False)],
       "Luật Thực hiện dân chủ ở cơ sở được Quốc hội thông qua năm 2022, có hiệu lực từ ngày 01/7/2023, tạo cơ sở để "
       "Nhân dân tham gia, giám sát việc thực hiện các chương trình, kế hoạch ở cơ sở.",
       "hard", "Luật Thực hiện dân chủ ở cơ sở năm 2022", ["dân chủ ở cơ sở"]),
    _tf("Chương trình hành động thực hiện Nghị quyết chỉ ban hành một lần và không được điều chỉnh, bổ sung trong nhiệm "
        "kỳ.", False,
        "Qua sơ kết, kiểm tra, cấp ủy có thể điều chỉnh, bổ sung giải pháp cho phù hợp với tình hình, như khi phải ứng "
        "phó với dịch Covid-19.",
        "medium", SRC_ILLUSTRATIVE, ["chương trình hành động"]),
    _q("single", "Khi dịch Covid-19 diễn biến phức tạp, yêu cầu đặt ra đối với việc thực hiện các chỉ tiêu của Nghị "
       "quyết là gì?",
       [("Linh hoạt điều chỉnh giải pháp, vừa phòng, chống dịch vừa phấn đấu đạt mức cao nhất các chỉ tiêu", True),
        ("Tạm dừng thực hiện toàn bộ Nghị quyết đến khi hết dịch", False),
        ("Bỏ qua các biện pháp phòng dịch để bảo đảm chỉ tiêu", False),
        ("Hủy bỏ các chỉ tiêu, không đánh giá kết quả", False)],
       "Câu hỏi minh hoạ theo tinh thần chung: trong bối cảnh dịch bệnh, các cấp vừa phòng, chống dịch, vừa điều chỉnh "
       "giải pháp linh hoạt để thực hiện tốt nhất các mục tiêu của Nghị quyết.",
       "medium", SRC_ILLUSTRATIVE, ["nhiệm vụ kép", "tổ chức thực hiện"]),
]

DEMO_TOPICS: list[dict[str, Any]] = [
    {"name": "Chỉnh trang, phát triển đô thị và xây dựng nếp sống văn minh đô thị",
     "description": "Vị trí, vai trò của thành phố Thủ Dầu Một; chỉnh trang, phát triển đô thị theo hướng văn minh, "
                    "hiện đại, thông minh; nếp sống văn minh đô thị và bảo vệ môi trường.",
     "questions": URBAN},
    {"name": "Nhiệm vụ kép: vừa phòng, chống dịch Covid-19, vừa phát triển kinh tế - xã hội",
     "description": "Các quan điểm, biện pháp phòng, chống dịch Covid-19 và phục hồi, phát triển kinh tế - xã hội.",
     "questions": DOUBLE_TASK},
    {"name": "Chuyển đổi số, dịch vụ công trực tuyến và cải cách hành chính",
     "description": "Chuyển đổi số với ba trụ cột chính quyền số, kinh tế số, xã hội số; dịch vụ công trực tuyến; "
                    "cơ chế một cửa, một cửa liên thông và cải cách hành chính.",
     "questions": DIGITAL},
    {"name": "Xây dựng, chỉnh đốn Đảng và hệ thống chính trị",
     "description": "Nguyên tắc tổ chức và sinh hoạt Đảng, công tác xây dựng, chỉnh đốn Đảng và hệ thống chính trị.",
     "questions": PARTY},
    {"name": "Các chương trình, kế hoạch thực hiện Nghị quyết",
     "description": "Việc học tập, quán triệt, cụ thể hóa, tổ chức thực hiện, kiểm tra, giám sát và sơ kết, tổng kết "
                    "Nghị quyết.",
     "questions": PROGRAMMES},
]


def checked_topics() -> list[tuple[dict[str, Any], list[bank.CleanQuestion]]]:
    """Every demo topic with its questions run through bank.check_question; raises ValueError on any problem."""
    out: list[tuple[dict[str, Any], list[bank.CleanQuestion]]] = []
    problems: list[str] = []
    for topic in DEMO_TOPICS:
        cleaned: list[bank.CleanQuestion] = []
        for q in topic["questions"]:
            clean_q, errors = bank.check_question(kind=q["kind"], text=q["text"], options=q["options"],
                                                  explanation=q["explanation"], difficulty=q["difficulty"],
                                                  source_ref=q["source_ref"], tags=q["tags"])
            problems += [f"{topic['name']} / {q['text'][:60]}: {e.field}: {e.message}" for e in errors]
            cleaned.append(clean_q)
        out.append((topic, cleaned))
    if problems:
        raise ValueError("Demo question bank is invalid:\n" + "\n".join(problems))
    return out


def load_bank(*, session: Session, unit: Unit, actor_id: int | None = None) -> list[Topic]:
    """Create the demo topics, owned by `unit`, and their questions. Flushes; the caller commits."""
    topics: list[Topic] = []
    for data, questions in checked_topics():  # check everything before writing anything
        topic = Topic(unit_id=unit.id, name=data["name"], description=data["description"], created_by_id=actor_id)
        session.add(topic)
        session.flush()
        for q in questions:
            bank.add_question(session=session, topic=topic, q=q, actor_id=actor_id)
        topics.append(topic)
    session.flush()
    return topics
