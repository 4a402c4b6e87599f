//! Coded enums of a leaders' direct dialogue with citizens.

crate::coded_enum! {
    /// Status of a dialogue.
    pub enum DialogueStatus : "dialogue.status" {
        /// Planned (đã lên kế hoạch), not held yet.
        Planned = ("planned", "Đã lên kế hoạch", "Planned"),
        /// Held (đã tổ chức); commitments are being followed up.
        Held = ("held", "Đã tổ chức, đang theo dõi cam kết", "Held, commitments followed up"),
        /// Every commitment done (hoàn thành).
        Closed = ("closed", "Đã hoàn thành các cam kết", "All commitments done"),
        /// Cancelled (hủy) before it was held.
        Cancelled = ("cancelled", "Đã hủy", "Cancelled"),
    }
}

crate::coded_enum! {
    /// What kind of meeting with citizens it is.
    pub enum DialogueType : "dialogue.type" {
        /// Đối thoại trực tiếp định kỳ: the periodic direct dialogue.
        Periodic = ("periodic", "Đối thoại trực tiếp định kỳ", "Periodic direct dialogue"),
        /// Đối thoại chuyên đề, đột xuất: on one matter (a project, a land recovery).
        Thematic = ("thematic", "Đối thoại chuyên đề, đột xuất", "Dialogue on one matter"),
        /// Tiếp công dân định kỳ của người đứng đầu: a leader's citizen-reception day.
        ReceptionDay = (
            "reception_day",
            "Tiếp công dân định kỳ của người đứng đầu",
            "Leader's citizen-reception day"
        ),
    }
}

crate::coded_enum! {
    /// Who chairs it.
    pub enum ChairRole : "dialogue.chair_role" {
        /// Bí thư Đảng ủy xã: head of the commune's Party committee.
        PartySecretary = ("party_secretary", "Bí thư Đảng ủy", "Party secretary"),
        /// Chủ tịch UBND xã.
        CommuneChairman = ("commune_chairman", "Chủ tịch Ủy ban nhân dân", "People's Committee chairman"),
        /// Phó Bí thư, Chủ tịch HĐND.
        DeputySecretary = (
            "deputy_secretary",
            "Phó Bí thư, Chủ tịch Hội đồng nhân dân",
            "Deputy secretary, People's Council chairman"
        ),
        /// Phó Chủ tịch UBND (được ủy quyền).
        ViceChairman = ("vice_chairman", "Phó Chủ tịch Ủy ban nhân dân", "Vice-chairman"),
    }
}

impl ChairRole {
    /// Whether the head of the Party committee or of the government chairs (the directive's
    /// "người đứng đầu").
    pub fn is_head(&self) -> bool {
        matches!(self, ChairRole::PartySecretary | ChairRole::CommuneChairman)
    }
}

crate::coded_enum! {
    /// A group of participants, counted (never named).
    pub enum ParticipantGroup : "dialogue.participant_group" {
        /// Citizens (nhân dân).
        Citizens = ("citizens", "Nhân dân", "Citizens"),
        /// Village heads and elders (trưởng thôn, người có uy tín).
        VillageLeaders = ("village_leaders", "Trưởng thôn, người có uy tín", "Village heads and elders"),
        /// Front and mass organisations (Mặt trận, đoàn thể).
        MassOrganisations = ("mass_organisations", "Mặt trận Tổ quốc, đoàn thể", "Front and mass organisations"),
        /// Officials of the commune (cán bộ, công chức).
        Officials = ("officials", "Cán bộ, công chức", "Officials"),
        /// Businesses (doanh nghiệp, hộ kinh doanh).
        Businesses = ("businesses", "Doanh nghiệp, hộ kinh doanh", "Businesses"),
        /// Others.
        Other = ("other", "Thành phần khác", "Others"),
    }
}

crate::coded_enum! {
    /// How an issue raised was answered.
    pub enum IssueAnswer : "dialogue.issue_answer" {
        /// Trả lời, giải thích trực tiếp tại buổi đối thoại.
        OnTheSpot = ("on_the_spot", "Trả lời trực tiếp tại buổi đối thoại", "Answered on the spot"),
        /// Cam kết giải quyết: a commitment (who, what, by when), followed up until done.
        Commitment = ("commitment", "Cam kết giải quyết", "Commitment made"),
        /// Chuyển cơ quan có thẩm quyền.
        Referred = ("referred", "Chuyển cơ quan có thẩm quyền", "Referred to the competent body"),
        /// Tiếp thu, ghi nhận.
        Noted = ("noted", "Tiếp thu, ghi nhận", "Noted"),
    }
}
