"""The TT 124/2021 criteria sets as data (REGULATION.md §4) and their loader.

The texts are the verbatim Vietnamese of Điều 4 – Điều 7 (NFC, typographic quotes kept).
This module is the *first version* of each set: a fresh install loads it through the data
migration ``0003_tt124_criteria``. Never edit a text here to change what applies: legal
changes are made as a new version of the set (``certification.services.criteria.new_version``), so
assessments keep the version they were filled against.

Decisions about "không áp dụng" (N/A) are explained in ``docs/criteria.md``.
"""

from dataclasses import dataclass, field, replace

LEGAL_BASIS = "Thông tư 124/2021/TT-BCA (sửa đổi bởi Thông tư 48/2025/TT-BCA)"
YEAR_FROM = 2022

BOOLEAN = "boolean"
COUNT_THRESHOLD = "count_threshold"
COMPARISON = "comparison"
DERIVED = "derived"
GROUP = "group"

TEXTS = {
    "KDC-1": (
        "Quý I hằng năm, chi bộ có nghị quyết, khu dân cư có đăng ký phấn đấu đạt tiêu chuẩn “An toàn về an ninh, trật tự”; 100% hộ gia đình đang cư trú trên địa bàn đăng ký tham gia xây dựng khu dân cư “An toàn về an ninh, trật tự”."
    ),
    "KDC-2": (
        "Triển khai, thực hiện đầy đủ các chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước, các quy định của địa phương về công tác bảo đảm an ninh, trật tự."
    ),
    "KDC-3": ("Không để xảy ra một trong các trường hợp sau:"),
    "KDC-3a": ("Hoạt động chống Đảng, chống chính quyền, phá hoại khối đại đoàn kết toàn dân tộc;"),
    "KDC-3b": (
        "Hoạt động phá hoại các mục tiêu, công trình trọng điểm về kinh tế, văn hóa, xã hội, an ninh - quốc phòng;"
    ),
    "KDC-3c": ("Tuyên truyền, phát triển tín ngưỡng, tôn giáo trái pháp luật;"),
    "KDC-3d": (
        "Hoạt động lợi dụng tín ngưỡng, tôn giáo, dân tộc, tranh chấp, khiếu kiện gây phức tạp về an ninh, trật tự;"
    ),
    "KDC-3đ": ("Hoạt động ly khai, đòi tự trị;"),
    "KDC-3e": ("Mâu thuẫn, tranh chấp phức tạp, kéo dài trong nội bộ Nhân dân;"),
    "KDC-3g": (
        "Kích động, xúi giục, cưỡng ép, dụ dỗ, mua chuộc, lôi kéo người khác tập trung đông người khiếu nại, gây rối an ninh, trật tự công cộng hoặc lợi dụng việc khiếu nại để tuyên truyền chống Nhà nước; xâm phạm lợi ích của Nhà nước; xuyên tạc, vu khống, đe dọa, xúc phạm uy tín, danh dự của cơ quan, tổ chức, người có trách nhiệm được phân công giải quyết khiếu nại, tố cáo."
    ),
    "KDC-4": (
        "Tham gia, phối hợp thực hiện có hiệu quả công tác phòng ngừa tội phạm, tệ nạn xã hội và các vi phạm pháp luật khác ở khu dân cư, bao gồm:"
    ),
    "KDC-4a": (
        "Kiềm chế, kéo giảm các loại tội phạm, tệ nạn xã hội, các hành vi vi phạm pháp luật khác so với năm trước;"
    ),
    "KDC-4b": (
        "Không để xảy ra tội phạm nghiêm trọng trở lên (trừ trường hợp bất khả kháng) hoặc nếu có phải kịp thời phát hiện, sử dụng đồng bộ các biện pháp giảm thiểu hậu quả và báo cáo ngay cấp có thẩm quyền để xử lý;"
    ),
    "KDC-4c": (
        "Không phát sinh tụ điểm phức tạp về trật tự xã hội; không phát sinh người mắc tệ nạn xã hội; thực hiện có hiệu quả công tác quản lý, giáo dục, giúp đỡ các loại đối tượng đang cư trú trên địa bàn theo quy định của pháp luật;"
    ),
    "KDC-4d": (
        "Không để xảy ra cháy, nổ nghiêm trọng; tai nạn lao động chết người; sự cố nghiêm trọng theo quy định của pháp luật (trừ trường hợp bất khả kháng)."
    ),
    "KDC-5": (
        "Lực lượng tham gia bảo đảm an ninh, trật tự ở cơ sở được đánh giá hoàn thành nhiệm vụ trở lên và không có cá nhân vi phạm bị xử lý kỷ luật."
    ),
    "XA-1": (
        "Quý I hằng năm, Đảng ủy có nghị quyết; Ủy ban nhân dân xã, phường, thị trấn có kế hoạch về bảo đảm an ninh, trật tự và đăng ký phấn đấu đạt tiêu chuẩn “An toàn về an ninh, trật tự”; xây dựng, củng cố hoặc duy trì ít nhất 01 mô hình phong trào toàn dân bảo vệ an ninh Tổ quốc ở cơ sở hoạt động hiệu quả."
    ),
    "XA-2": ("Đạt các tiêu chí quy định tại khoản 2, khoản 3, khoản 4 Điều 4 Thông tư này."),
    "XA-3": (
        "Công an xã, phường, thị trấn chủ động nắm chắc tình hình, kịp thời tham mưu, đề xuất cấp ủy đảng, chính quyền các chủ trương, biện pháp và tổ chức thực hiện có hiệu quả công tác bảo đảm an ninh, trật tự và xây dựng phong trào toàn dân bảo vệ an ninh Tổ quốc trên địa bàn; không có cá nhân vi phạm bị xử lý kỷ luật."
    ),
    "XA-4": (
        "100% khu dân cư, cơ quan, doanh nghiệp, cơ sở giáo dục thuộc thẩm quyền hoặc được ủy quyền quản lý trên địa bàn đăng ký, trong đó có từ 70% trở lên được công nhận đạt tiêu chuẩn “An toàn về an ninh, trật tự”."
    ),
    "CQDN-1": (
        "Quý I hằng năm, tổ chức Đảng có nghị quyết chuyên đề riêng hoặc lồng ghép công tác bảo đảm an ninh, trật tự trong nghị quyết lãnh đạo, chỉ đạo hằng năm (đối với nơi có tổ chức Đảng); cơ quan, doanh nghiệp có kế hoạch về bảo đảm an ninh, trật tự và đăng ký phấn đấu đạt tiêu chuẩn “An toàn về an ninh, trật tự”; có nội quy, quy định bảo vệ cơ quan, doanh nghiệp, bảo vệ bí mật Nhà nước, bảo vệ chính trị nội bộ, an toàn lao động, phòng, chống cháy nổ, bảo vệ môi trường phù hợp với tình hình thực tiễn và quy định của pháp luật; 100% cán bộ, công chức, viên chức, người lao động được phổ biến quán triệt các nội quy, quy định nêu trên và tiêu chí xây dựng cơ quan, doanh nghiệp đạt tiêu chuẩn “An toàn về an ninh, trật tự”; có ít nhất 01 mô hình phong trào toàn dân bảo vệ an ninh Tổ quốc hoạt động hiệu quả."
    ),
    "CQDN-2": (
        "Triển khai, thực hiện đầy đủ các chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước, quy chế, chương trình, kế hoạch phối hợp với lực lượng Công an (nếu có) và các quy định của địa phương về công tác bảo đảm an ninh, trật tự."
    ),
    "CQDN-3": ("Không để xảy ra một trong các trường hợp sau:"),
    "CQDN-3a": ("Tuyên truyền, phát triển tín ngưỡng, tôn giáo trái pháp luật;"),
    "CQDN-3b": (
        "Hoạt động lợi dụng tín ngưỡng, tôn giáo, dân tộc, tranh chấp, khiếu kiện gây phức tạp về an ninh, trật tự;"
    ),
    "CQDN-3c": (
        "Kích động, xúi giục, cưỡng ép, dụ dỗ, mua chuộc, lôi kéo người khác tập trung đông người khiếu nại, gây rối an ninh, trật tự công cộng hoặc lợi dụng việc khiếu nại để tuyên truyền chống Nhà nước; xâm phạm lợi ích của Nhà nước; xuyên tạc, vu khống, đe dọa, xúc phạm uy tín, danh dự của cơ quan, tổ chức, người có trách nhiệm được phân công giải quyết khiếu nại, tố cáo;"
    ),
    "CQDN-3d": ("Đình công, lãn công trái pháp luật;"),
    "CQDN-3đ": (
        "Tội phạm nghiêm trọng trở lên (trừ trường hợp bất khả kháng) hoặc nếu có, kịp thời phát hiện, sử dụng đồng bộ các biện pháp giảm thiểu hậu quả và báo cáo ngay cấp có thẩm quyền để xử lý;"
    ),
    "CQDN-3e": ("Vi phạm các quy định về bảo vệ bí mật Nhà nước;"),
    "CQDN-3g": (
        "Cháy, nổ nghiêm trọng; tai nạn lao động chết người; sự cố nghiêm trọng; vi phạm môi trường, an toàn vệ sinh thực phẩm gây hậu quả nghiêm trọng trở lên theo quy định của pháp luật (trừ trường hợp bất khả kháng);"
    ),
    "CQDN-3h": (
        "Cán bộ, công chức, viên chức, người lao động bị xử phạt vi phạm hành chính trong lĩnh vực an ninh, trật tự hoặc mắc tệ nạn xã hội bị xử lý kỷ luật từ hình thức cảnh cáo trở lên."
    ),
    "CQDN-4": (
        "Lực lượng bảo vệ cơ quan, doanh nghiệp đạt danh hiệu “Tập thể lao động tiên tiến” hoặc được đánh giá “Hoàn thành tốt nhiệm vụ” trở lên (đối với những nơi đủ điều kiện bình xét danh hiệu thi đua), không có cá nhân bị kỷ luật từ hình thức cảnh cáo trở lên."
    ),
    "CQDN-5": (
        "70% trở lên số đầu mối trực thuộc (phòng, ban, tổ, đội) đạt danh hiệu “Tập thể lao động tiên tiến” hoặc được đánh giá “Hoàn thành tốt nhiệm vụ” trở lên (đối với những nơi đủ điều kiện bình xét danh hiệu thi đua), không có cá nhân bị kỷ luật từ hình thức cảnh cáo trở lên."
    ),
    "CSGD-1": (
        "Quý I hằng năm, tổ chức Đảng có nghị quyết chuyên đề riêng hoặc lồng ghép công tác bảo đảm an ninh, trật tự trong nghị quyết lãnh đạo, chỉ đạo hằng năm (đối với nơi có tổ chức Đảng), cơ sở giáo dục có kế hoạch về bảo đảm an ninh, trật tự và đăng ký phấn đấu đạt tiêu chuẩn “An toàn về an ninh, trật tự”; có nội quy, quy định bảo vệ cơ sở giáo dục, bảo vệ chính trị nội bộ, quản lý giáo dục người học, phòng, chống cháy nổ phù hợp với tình hình thực tiễn; 100% cán bộ, công nhân viên, người lao động, người dạy, người học được phổ biến quán triệt các nội quy, quy định nêu trên và tiêu chí xây dựng cơ sở giáo dục đạt tiêu chuẩn “An toàn về an ninh, trật tự”; có ít nhất 01 mô hình phong trào toàn dân bảo vệ an ninh Tổ quốc hoạt động hiệu quả."
    ),
    "CSGD-2": (
        "Triển khai, thực hiện đầy đủ các chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước, quy chế, chương trình, kế hoạch phối hợp với lực lượng Công an (nếu có), các quy định của địa phương về công tác bảo đảm an ninh, trật tự; có hình thức, biện pháp phối hợp quản lý học sinh giữa cơ sở giáo dục và Ban Đại diện cha mẹ học sinh (đối với cấp học phổ thông) trong công tác bảo đảm an ninh, trật tự."
    ),
    "CSGD-3": (
        "Không để xảy ra một trong các trường hợp quy định tại điểm a, b, c, đ, e và g khoản 3 Điều 6 Thông tư này."
    ),
    "CSGD-4": (
        "Không để xảy ra bạo lực học đường, cán bộ, công nhân viên, người lao động, người dạy, người học phạm tội hoặc mắc tệ nạn xã hội bị xử lý kỷ luật từ hình thức cảnh cáo trở lên."
    ),
    "CSGD-5": (
        "Lực lượng bảo vệ cơ sở giáo dục (nếu có) đạt danh hiệu “Tập thể lao động tiên tiến” hoặc được đánh giá “Hoàn thành tốt nhiệm vụ” trở lên (đối với những nơi đủ điều kiện bình xét danh hiệu thi đua), không có cá nhân bị kỷ luật từ hình thức cảnh cáo trở lên."
    ),
    "CSGD-6": (
        "70% trở lên số đầu mối trực thuộc (khoa, phòng, ban, tổ chuyên môn) đạt danh hiệu “Tập thể lao động tiên tiến” hoặc được đánh giá “Hoàn thành tốt nhiệm vụ” trở lên (đối với những nơi đủ điều kiện bình xét danh hiệu thi đua), không có cá nhân bị kỷ luật từ hình thức cảnh cáo trở lên."
    ),
}


# What the assessor expects to see (hồ sơ, minh chứng). Not legal text: guidance, editable per version.
NO_INCIDENT = (
    "Báo cáo tình hình an ninh, trật tự trong kỳ đánh giá, có xác nhận của Công an cấp xã "
    "về việc không xảy ra trường hợp này."
)
NO_INCIDENT_INSTITUTION = (
    "Báo cáo của đơn vị về tình hình an ninh, trật tự trong kỳ đánh giá, có xác nhận của cơ quan "
    "Công an quản lý địa bàn về việc không xảy ra trường hợp này."
)
PARTY_PART = "Phần nghị quyết của tổ chức Đảng chỉ áp dụng đối với nơi có tổ chức Đảng; các nội dung khác luôn áp dụng."
EMULATION_ONLY = (
    "Chỉ áp dụng đối với những nơi đủ điều kiện bình xét danh hiệu thi đua; nơi không đủ điều kiện "
    "chọn “Không áp dụng” và ghi chú việc không có cá nhân bị kỷ luật từ hình thức cảnh cáo trở lên."
)


@dataclass(frozen=True)
class Item:
    """One criterion of a shipped set. ``source`` = (family, code) of a shared item whose text is reused."""

    code: str
    parent: str = ""
    answer_type: str = BOOLEAN
    na_allowed: bool = False
    na_condition: str = ""
    threshold_percent: int | None = None
    evidence_hint: str = ""
    source: tuple[str, str] | None = None

    @property
    def text(self) -> str:
        return "" if self.source else TEXTS[self.code]


@dataclass(frozen=True)
class SetDefinition:
    family: str
    unit_kind: str
    name: str
    items: list[Item] = field(default_factory=list)
    legal_basis: str = LEGAL_BASIS
    year_from: int = YEAR_FROM


KDC_ITEMS = [
    Item(
        "KDC-1",
        answer_type=COUNT_THRESHOLD,
        threshold_percent=100,
        evidence_hint=(
            "Nghị quyết của chi bộ ban hành trong Quý I; bản đăng ký phấn đấu đạt tiêu chuẩn "
            "“An toàn về an ninh, trật tự” của khu dân cư; danh sách hộ gia đình đăng ký tham gia "
            "(số hộ đăng ký trên tổng số hộ đang cư trú: phải đủ 100%)."
        ),
    ),
    Item(
        "KDC-2",
        evidence_hint=(
            "Kế hoạch, biên bản họp triển khai các chủ trương, chính sách, pháp luật và quy định của "
            "địa phương về bảo đảm an ninh, trật tự; báo cáo kết quả thực hiện tại khu dân cư."
        ),
    ),
    Item("KDC-3", answer_type=GROUP),
    *[Item(f"KDC-3{letter}", parent="KDC-3", evidence_hint=NO_INCIDENT) for letter in "abcdđeg"],
    Item("KDC-4", answer_type=GROUP),
    Item(
        "KDC-4a",
        parent="KDC-4",
        answer_type=COMPARISON,
        evidence_hint=(
            "Số liệu tội phạm, tệ nạn xã hội và vi phạm pháp luật khác của kỳ đánh giá và của năm trước "
            "(thống kê của Công an cấp xã)."
        ),
    ),
    Item(
        "KDC-4b",
        parent="KDC-4",
        evidence_hint=(
            "Thống kê tội phạm của Công an cấp xã; nếu xảy ra tội phạm nghiêm trọng trở lên: báo cáo việc "
            "phát hiện, các biện pháp giảm thiểu hậu quả và việc báo cáo cấp có thẩm quyền (hoặc hồ sơ "
            "chứng minh trường hợp bất khả kháng)."
        ),
    ),
    Item(
        "KDC-4c",
        parent="KDC-4",
        evidence_hint=(
            "Danh sách các loại đối tượng đang được quản lý, giáo dục, giúp đỡ và kết quả thực hiện; xác nhận "
            "không phát sinh tụ điểm phức tạp về trật tự xã hội và người mắc tệ nạn xã hội."
        ),
    ),
    Item(
        "KDC-4d",
        parent="KDC-4",
        evidence_hint=(
            "Xác nhận không xảy ra cháy, nổ nghiêm trọng, tai nạn lao động chết người, sự cố nghiêm trọng; "
            "nếu có: hồ sơ chứng minh trường hợp bất khả kháng."
        ),
    ),
    Item(
        "KDC-5",
        evidence_hint=(
            "Kết quả đánh giá, phân loại lực lượng tham gia bảo vệ an ninh, trật tự ở cơ sở (hoàn thành nhiệm "
            "vụ trở lên); xác nhận không có cá nhân vi phạm bị xử lý kỷ luật."
        ),
    ),
]

# XA-2 = khoản 2, 3, 4 Điều 4 applied to the commune: the same items, text shared with the KDC set.
XA2_SHARED = ["KDC-2", "KDC-3", *[f"KDC-3{x}" for x in "abcdđeg"], "KDC-4", *[f"KDC-4{x}" for x in "abcd"]]


def _shared_items(prefix: str, family: str, items: list[Item], codes: list[str], code_for=None) -> list[Item]:
    """Items of ``prefix`` that reuse ``codes`` of ``family`` (flags copied, text via ``source``)."""
    by_code = {item.code: item for item in items}
    code_for = code_for or (lambda code: f"{prefix}/{code}")
    shared = []
    for code in codes:
        original = by_code[code]
        parent = code_for(original.parent) if original.parent in codes else prefix
        shared.append(replace(original, code=code_for(code), parent=parent, source=(family, code)))
    return shared


XA_ITEMS = [
    Item(
        "XA-1",
        evidence_hint=(
            "Nghị quyết của Đảng ủy ban hành trong Quý I; kế hoạch bảo đảm an ninh, trật tự và bản đăng ký "
            "phấn đấu của Ủy ban nhân dân cấp xã; hồ sơ về ít nhất 01 mô hình phong trào toàn dân bảo vệ an "
            "ninh Tổ quốc (quyết định thành lập, báo cáo kết quả hoạt động)."
        ),
    ),
    Item(
        "XA-2",
        answer_type=GROUP,
        evidence_hint="Như các tiêu chí tương ứng của khu dân cư, đánh giá trên toàn địa bàn cấp xã.",
    ),
    *_shared_items("XA-2", "tt124-kdc", KDC_ITEMS, XA2_SHARED),
    Item(
        "XA-3",
        evidence_hint=(
            "Báo cáo công tác của Công an cấp xã; các văn bản tham mưu, đề xuất cấp ủy đảng, chính quyền; "
            "xác nhận không có cá nhân vi phạm bị xử lý kỷ luật."
        ),
    ),
    Item(
        "XA-4",
        answer_type=DERIVED,
        threshold_percent=70,
        evidence_hint=(
            "Tính từ việc đăng ký và kết quả công nhận của các khu dân cư, cơ quan, doanh nghiệp, cơ sở giáo "
            "dục thuộc địa bàn: 100% đăng ký, từ 70% trở lên được công nhận."
        ),
    ),
]

CQDN_ITEMS = [
    Item(
        "CQDN-1",
        na_condition=PARTY_PART,
        evidence_hint=(
            "Nghị quyết của tổ chức Đảng trong Quý I (nơi có tổ chức Đảng); kế hoạch bảo đảm an ninh, trật "
            "tự; bản đăng ký phấn đấu; nội quy, quy định bảo vệ cơ quan, doanh nghiệp, bảo vệ bí mật Nhà "
            "nước, bảo vệ chính trị nội bộ, an toàn lao động, phòng, chống cháy nổ, bảo vệ môi trường; biên "
            "bản phổ biến, quán triệt cho 100% cán bộ, người lao động; hồ sơ mô hình phong trào."
        ),
    ),
    Item(
        "CQDN-2",
        na_condition=(
            "Phần quy chế, chương trình, kế hoạch phối hợp với lực lượng Công an chỉ áp dụng nếu có; các "
            "nội dung khác luôn áp dụng."
        ),
        evidence_hint=(
            "Quy chế, chương trình, kế hoạch phối hợp với lực lượng Công an (nếu có); báo cáo kết quả thực "
            "hiện các chủ trương, chính sách, pháp luật và quy định của địa phương về an ninh, trật tự."
        ),
    ),
    Item("CQDN-3", answer_type=GROUP),
    *[Item(f"CQDN-3{letter}", parent="CQDN-3", evidence_hint=NO_INCIDENT_INSTITUTION) for letter in "abcd"],
    Item(
        "CQDN-3đ",
        parent="CQDN-3",
        evidence_hint=(
            NO_INCIDENT_INSTITUTION + " Nếu xảy ra tội phạm nghiêm trọng trở lên: báo cáo việc phát hiện, "
            "các biện pháp giảm thiểu hậu quả và việc báo cáo cấp có thẩm quyền."
        ),
    ),
    *[Item(f"CQDN-3{letter}", parent="CQDN-3", evidence_hint=NO_INCIDENT_INSTITUTION) for letter in "egh"],
    Item(
        "CQDN-4",
        na_allowed=True,
        na_condition=EMULATION_ONLY,
        evidence_hint=(
            "Quyết định tặng danh hiệu “Tập thể lao động tiên tiến” hoặc kết quả đánh giá “Hoàn thành tốt "
            "nhiệm vụ” của lực lượng bảo vệ; xác nhận không có cá nhân bị kỷ luật từ hình thức cảnh cáo trở lên."
        ),
    ),
    Item(
        "CQDN-5",
        na_allowed=True,
        na_condition=EMULATION_ONLY,
        evidence_hint=(
            "Danh sách các đầu mối trực thuộc (phòng, ban, tổ, đội) và kết quả bình xét thi đua của từng "
            "đầu mối (từ 70% trở lên đạt); xác nhận không có cá nhân bị kỷ luật từ hình thức cảnh cáo trở lên."
        ),
    ),
]

# CSGD-3 = điểm a, b, c, đ, e, g khoản 3 Điều 6 (not d: strikes, not h).
CSGD3_SHARED = [f"CQDN-3{x}" for x in "abcđeg"]

CSGD_ITEMS = [
    Item(
        "CSGD-1",
        na_condition=PARTY_PART,
        evidence_hint=(
            "Nghị quyết của tổ chức Đảng trong Quý I (nơi có tổ chức Đảng); kế hoạch bảo đảm an ninh, trật "
            "tự; bản đăng ký phấn đấu; nội quy, quy định bảo vệ cơ sở giáo dục, bảo vệ chính trị nội bộ, "
            "quản lý giáo dục người học, phòng, chống cháy nổ; biên bản phổ biến, quán triệt cho 100% cán "
            "bộ, người dạy, người học; hồ sơ mô hình phong trào."
        ),
    ),
    Item(
        "CSGD-2",
        na_condition=(
            "Phần phối hợp với lực lượng Công an chỉ áp dụng nếu có; phần phối hợp với Ban Đại diện cha mẹ "
            "học sinh chỉ áp dụng đối với cấp học phổ thông; các nội dung khác luôn áp dụng."
        ),
        evidence_hint=(
            "Quy chế, chương trình, kế hoạch phối hợp với lực lượng Công an (nếu có); hình thức, biện pháp "
            "phối hợp quản lý học sinh với Ban Đại diện cha mẹ học sinh (cấp học phổ thông); báo cáo kết quả "
            "thực hiện."
        ),
    ),
    Item("CSGD-3", answer_type=GROUP),
    *_shared_items(
        "CSGD-3",
        "tt124-cqdn",
        CQDN_ITEMS,
        CSGD3_SHARED,
        code_for=lambda code: code.replace("CQDN-", "CSGD-"),
    ),
    Item(
        "CSGD-4",
        evidence_hint=(
            "Báo cáo của cơ sở giáo dục về tình hình an ninh, trật tự; xác nhận không xảy ra bạo lực học "
            "đường và không có cán bộ, người lao động, người dạy, người học phạm tội hoặc mắc tệ nạn xã hội "
            "bị xử lý kỷ luật từ hình thức cảnh cáo trở lên."
        ),
    ),
    Item(
        "CSGD-5",
        na_allowed=True,
        na_condition=(
            "Chỉ áp dụng đối với cơ sở giáo dục có lực lượng bảo vệ và đủ điều kiện bình xét danh hiệu thi "
            "đua; nơi không có chọn “Không áp dụng” và ghi chú việc không có cá nhân bị kỷ luật từ hình thức "
            "cảnh cáo trở lên."
        ),
        evidence_hint=(
            "Quyết định tặng danh hiệu “Tập thể lao động tiên tiến” hoặc kết quả đánh giá “Hoàn thành tốt "
            "nhiệm vụ” của lực lượng bảo vệ; xác nhận không có cá nhân bị kỷ luật từ hình thức cảnh cáo trở lên."
        ),
    ),
    Item(
        "CSGD-6",
        na_allowed=True,
        na_condition=EMULATION_ONLY,
        evidence_hint=(
            "Danh sách các đầu mối trực thuộc (khoa, phòng, ban, tổ chuyên môn) và kết quả bình xét thi đua "
            "của từng đầu mối (từ 70% trở lên đạt); xác nhận không có cá nhân bị kỷ luật từ hình thức cảnh "
            "cáo trở lên."
        ),
    ),
]

TT124_SETS = [
    SetDefinition(
        "tt124-kdc",
        "residential_area",
        "Tiêu chí khu dân cư đạt tiêu chuẩn “An toàn về an ninh, trật tự” (Điều 4)",
        KDC_ITEMS,
    ),
    SetDefinition(
        "tt124-xa",
        "commune",
        "Tiêu chí xã, phường, đặc khu đạt tiêu chuẩn “An toàn về an ninh, trật tự” (Điều 5)",
        XA_ITEMS,
    ),
    SetDefinition(
        "tt124-cqdn",
        "agency_enterprise",
        "Tiêu chí cơ quan, doanh nghiệp đạt tiêu chuẩn “An toàn về an ninh, trật tự” (Điều 6)",
        CQDN_ITEMS,
    ),
    SetDefinition(
        "tt124-csgd",
        "school",
        "Tiêu chí cơ sở giáo dục đạt tiêu chuẩn “An toàn về an ninh, trật tự” (Điều 7)",
        CSGD_ITEMS,
    ),
]

# Example score sheet (REGULATION §8): NOT an official scheme. 100 points over the KDC leaves.
EXAMPLE_FAMILY = "vi-du-kdc-bang-diem"
EXAMPLE_SET_NAME = "Ví dụ: tiêu chí khu dân cư kèm bảng điểm 100 điểm (không phải biểu mẫu chính thức)"
EXAMPLE_SHEET_NAME = "Bảng điểm ví dụ (không phải biểu mẫu chính thức)"
# code: (max points, deduction per incident, knock-out)
EXAMPLE_SCORE_ITEMS = {
    "KDC-1": (15, None, False),
    "KDC-2": (15, None, False),
    **{f"KDC-3{x}": (4, None, True) for x in "abcdđeg"},
    "KDC-4a": (10, 2, False),
    "KDC-4b": (8, 4, False),
    "KDC-4c": (8, 2, False),
    "KDC-4d": (8, 4, False),
    "KDC-5": (8, None, False),
}
EXAMPLE_GRADE_BANDS = {"excellent": 90, "good": 75, "average": 50, "weak": 0}


def _nfc(value: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", value).strip()


def load_tt124_sets(apps, schema_editor=None) -> None:
    """Create and publish the four TT 124 sets (version 1) unless their family exists already.

    Takes ``apps`` so a data migration can call it with historical models; ``django.apps.apps``
    works too. Shared items (XA-2, CSGD-3) take their text from the source criterion.
    """
    from django.utils import timezone

    CriteriaSet = apps.get_model("certification", "CriteriaSet")
    Criterion = apps.get_model("certification", "Criterion")
    now = timezone.now()
    for definition in TT124_SETS:
        if CriteriaSet.objects.filter(family=definition.family).exists():
            continue
        criteria_set = CriteriaSet.objects.create(
            family=definition.family,
            version=1,
            unit_kind=definition.unit_kind,
            name=definition.name,
            legal_basis=definition.legal_basis,
            year_from=definition.year_from,
            status="draft",
        )
        created: dict[str, object] = {}
        for order, item in enumerate(definition.items, start=1):
            source = None
            text = item.text
            if item.source:
                family, code = item.source
                source = (
                    Criterion.objects.filter(
                        criteria_set__family=family,
                        criteria_set__status="published",  # historical model: no IN_FORCE
                        code=code,
                    )
                    .order_by("-criteria_set__version")
                    .first()
                )
                if source is None:
                    raise LookupError(f"{item.code}: shared item {family}:{code} is missing")
                text = source.text
            created[item.code] = Criterion.objects.create(
                criteria_set=criteria_set,
                parent=created.get(item.parent) if item.parent else None,
                code=_nfc(item.code),
                text=_nfc(text),
                order=order,
                answer_type=item.answer_type,
                na_allowed=item.na_allowed,
                na_condition=_nfc(item.na_condition),
                threshold_percent=item.threshold_percent,
                evidence_hint=_nfc(item.evidence_hint),
                source=source,
            )
        CriteriaSet.objects.filter(pk=criteria_set.pk).update(status="published", published_at=now)


def load_example_score_sheet(apps, schema_editor=None) -> None:
    """A draft copy of the KDC set carrying the example 100-point sheet (never used by a campaign:
    drafts are not attached). Provinces copy the sheet onto their own set."""
    CriteriaSet = apps.get_model("certification", "CriteriaSet")
    Criterion = apps.get_model("certification", "Criterion")
    ScoreSheet = apps.get_model("certification", "ScoreSheet")
    ScoreItem = apps.get_model("certification", "ScoreItem")
    GradeBand = apps.get_model("certification", "GradeBand")
    if CriteriaSet.objects.filter(family=EXAMPLE_FAMILY).exists():
        return
    base = CriteriaSet.objects.filter(family="tt124-kdc").order_by("version").first()
    if base is None:
        return
    example = CriteriaSet.objects.create(
        family=EXAMPLE_FAMILY,
        version=1,
        unit_kind=base.unit_kind,
        name=EXAMPLE_SET_NAME,
        legal_basis=base.legal_basis,
        year_from=base.year_from,
        based_on=base,
        status="draft",
    )
    copies: dict[int, object] = {}
    for criterion in Criterion.objects.filter(criteria_set=base).order_by("order"):
        copies[criterion.pk] = Criterion.objects.create(
            criteria_set=example,
            parent=copies.get(criterion.parent_id),
            code=criterion.code,
            text=criterion.text,
            order=criterion.order,
            answer_type=criterion.answer_type,
            na_allowed=criterion.na_allowed,
            na_condition=criterion.na_condition,
            threshold_percent=criterion.threshold_percent,
            evidence_hint=criterion.evidence_hint,
        )
    by_code = {c.code: c for c in copies.values()}
    sheet = ScoreSheet.objects.create(
        criteria_set=example, name=EXAMPLE_SHEET_NAME, is_example=True, total_points=100
    )
    for code, (max_points, deduction, knockout) in EXAMPLE_SCORE_ITEMS.items():
        ScoreItem.objects.create(
            sheet=sheet,
            criterion=by_code[code],
            max_points=max_points,
            deduction=deduction,
            is_knockout=knockout,
        )
    for grade, min_points in EXAMPLE_GRADE_BANDS.items():
        GradeBand.objects.create(sheet=sheet, grade=grade, min_points=min_points)
