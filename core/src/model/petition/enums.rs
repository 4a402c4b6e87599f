//! Coded enums of a citizens' petition (Law on Complaints 02/2011/QH13, Law on Denunciations
//! 25/2018/QH14, Law on Citizen Reception 42/2013/QH13).

crate::coded_enum! {
    /// Status of a petition: where its handling stands. "Overdue" is computed from the
    /// deadlines, never stored.
    pub enum PetitionStatus : "petition.status" {
        /// Tiếp nhận: received, not yet classified.
        Received = ("received", "Đã tiếp nhận", "Received"),
        /// Thụ lý: accepted for resolution by the commune.
        Accepted = ("accepted", "Đã thụ lý", "Accepted"),
        /// Đang xác minh: being verified.
        Verifying = ("verifying", "Đang xác minh", "Being verified"),
        /// Đã giải quyết: resolved by a decision (or answered, for a recommendation).
        Resolved = ("resolved", "Đã giải quyết", "Resolved"),
        /// Đã thi hành: the decision has been carried out.
        Enforced = ("enforced", "Đã tổ chức thi hành", "Decision carried out"),
        /// Chuyển đơn: sent to the competent body.
        Forwarded = ("forwarded", "Đã chuyển cơ quan có thẩm quyền", "Forwarded"),
        /// Trả lại đơn, hướng dẫn: returned to the petitioner with guidance.
        Returned = ("returned", "Đã trả lại, hướng dẫn", "Returned with guidance"),
        /// Lưu đơn: kept without acceptance (anonymous, duplicate, already resolved).
        Filed = ("filed", "Lưu đơn, không thụ lý", "Filed, not accepted"),
        /// Rút đơn: withdrawn by the petitioner.
        Withdrawn = ("withdrawn", "Đã rút đơn", "Withdrawn"),
    }
}

crate::coded_enum! {
    /// Type of petition (loại đơn).
    pub enum PetitionType : "petition.type" {
        /// Khiếu nại: against an administrative decision or act affecting the complainant.
        Complaint = ("complaint", "Khiếu nại", "Complaint"),
        /// Tố cáo: reporting a violation by an official or a body.
        Denunciation = ("denunciation", "Tố cáo", "Denunciation"),
        /// Kiến nghị: a recommendation.
        Recommendation = ("recommendation", "Kiến nghị", "Recommendation"),
        /// Phản ánh: a reflection (drawing attention to a matter).
        Reflection = ("reflection", "Phản ánh", "Reflection"),
    }
}

crate::coded_enum! {
    /// How the petition arrived (hình thức tiếp nhận).
    pub enum PetitionChannel : "petition.channel" {
        /// At a citizen-reception session (tiếp công dân trực tiếp).
        InPerson = ("in_person", "Trực tiếp tại buổi tiếp công dân", "In person at a reception"),
        /// By post or handed in (qua bưu chính, hòm thư).
        Post = ("post", "Qua bưu chính, hòm thư", "By post"),
        /// Online (cổng dịch vụ công, thư điện tử).
        Online = ("online", "Trực tuyến", "Online"),
        /// Forwarded by another body (cơ quan khác chuyển đến).
        Forwarded = ("forwarded", "Cơ quan khác chuyển đến", "Forwarded by another body"),
    }
}

crate::coded_enum! {
    /// What the petition is about (lĩnh vực).
    pub enum PetitionSubject : "petition.subject" {
        /// Đất đai.
        Land = ("land", "Đất đai", "Land"),
        /// Bồi thường, hỗ trợ, tái định cư, giải phóng mặt bằng.
        Compensation = (
            "compensation",
            "Bồi thường, hỗ trợ, tái định cư, giải phóng mặt bằng",
            "Compensation and site clearance"
        ),
        /// Chế độ, chính sách.
        Policy = ("policy", "Chế độ, chính sách", "Policies and entitlements"),
        /// Tư cách, hành vi của cán bộ, công chức.
        OfficialsConduct = (
            "officials_conduct",
            "Tư cách, hành vi của cán bộ, công chức",
            "Officials' conduct"
        ),
        /// Môi trường.
        Environment = ("environment", "Môi trường", "Environment"),
        /// Xây dựng, trật tự đô thị.
        Construction = ("construction", "Xây dựng, trật tự đô thị", "Construction and urban order"),
        /// Tư pháp, dân sự.
        Justice = ("justice", "Tư pháp, dân sự", "Justice and civil matters"),
        /// Khác.
        Other = ("other", "Lĩnh vực khác", "Other"),
    }
}

crate::coded_enum! {
    /// The body competent to resolve it (cơ quan có thẩm quyền giải quyết).
    pub enum CompetentBody : "petition.competent_body" {
        /// Chủ tịch UBND xã: the commune resolves it.
        CommuneChairman = ("commune_chairman", "Chủ tịch Ủy ban nhân dân xã", "Commune chairman"),
        /// Another body of the commune (Party committee, Front, police).
        CommuneOther = ("commune_other", "Cơ quan khác cấp xã", "Another commune body"),
        /// A city department or the city's chairman.
        City = ("city", "Cơ quan cấp thành phố", "A city body"),
        /// A court, procuracy or investigating body.
        Judicial = ("judicial", "Tòa án, Viện kiểm sát, cơ quan điều tra", "Judicial body"),
        /// Khác.
        Other = ("other", "Cơ quan khác", "Other body"),
    }
}

impl CompetentBody {
    /// Whether the commune itself resolves petitions addressed to this body.
    pub fn is_commune(&self) -> bool {
        matches!(
            self,
            CompetentBody::CommuneChairman | CompetentBody::CommuneOther
        )
    }
}

crate::coded_enum! {
    /// How complex the matter is; sets the resolution deadline and the extensions allowed.
    pub enum Complexity : "petition.complexity" {
        /// The usual case.
        Normal = ("normal", "Thông thường", "Normal"),
        /// Vụ việc phức tạp.
        Complex = ("complex", "Phức tạp", "Complex"),
        /// Vụ việc đặc biệt phức tạp.
        EspeciallyComplex = ("especially_complex", "Đặc biệt phức tạp", "Especially complex"),
    }
}

crate::coded_enum! {
    /// Why a petition was not accepted by the commune.
    pub enum NotAcceptedReason : "petition.not_accepted_reason" {
        /// Not the commune's to resolve: forwarded to the competent body.
        NotCompetent = ("not_competent", "Không thuộc thẩm quyền", "Not the commune's competence"),
        /// Anonymous or with a false name (đơn nặc danh, mạo danh).
        Anonymous = ("anonymous", "Đơn nặc danh, mạo danh", "Anonymous"),
        /// The same matter is already being handled (đơn trùng).
        Duplicate = ("duplicate", "Đơn trùng nội dung", "Duplicate"),
        /// Already resolved with a decision in force.
        AlreadyResolved = ("already_resolved", "Đã được giải quyết", "Already resolved"),
        /// Filed after the time limit.
        OutOfTime = ("out_of_time", "Hết thời hiệu", "Out of time"),
        /// Not enough information; the petitioner was guided to complete it.
        Incomplete = ("incomplete", "Thiếu thông tin, đã hướng dẫn", "Incomplete"),
    }
}

crate::coded_enum! {
    /// Result of the resolution (kết quả giải quyết).
    pub enum PetitionOutcome : "petition.outcome" {
        /// Khiếu nại đúng.
        Right = ("right", "Khiếu nại đúng", "Complaint right"),
        /// Khiếu nại đúng một phần.
        PartlyRight = ("partly_right", "Khiếu nại đúng một phần", "Complaint partly right"),
        /// Khiếu nại sai.
        Wrong = ("wrong", "Khiếu nại sai", "Complaint wrong"),
        /// Tố cáo đúng.
        True = ("true", "Tố cáo đúng", "Denunciation true"),
        /// Tố cáo đúng một phần.
        PartlyTrue = ("partly_true", "Tố cáo đúng một phần", "Denunciation partly true"),
        /// Tố cáo sai.
        Untrue = ("untrue", "Tố cáo sai", "Denunciation untrue"),
        /// Kiến nghị, phản ánh đã được trả lời, xử lý.
        Answered = ("answered", "Đã trả lời, xử lý", "Answered"),
    }
}

impl PetitionOutcome {
    /// Whether this outcome fits a petition of type `t`.
    pub fn fits(&self, t: PetitionType) -> bool {
        use PetitionOutcome::*;
        match t {
            PetitionType::Complaint => matches!(self, Right | PartlyRight | Wrong),
            PetitionType::Denunciation => matches!(self, True | PartlyTrue | Untrue),
            PetitionType::Recommendation | PetitionType::Reflection => *self == Answered,
        }
    }
}
