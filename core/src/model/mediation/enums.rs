//! Coded enums of a mediation case (Law 35/2013/QH13 on grassroots mediation).

crate::coded_enum! {
    /// Status of a mediation case.
    pub enum MediationStatus : "mediation.status" {
        /// Đã tiếp nhận.
        Received = ("received", "Đã tiếp nhận", "Received"),
        /// Đang hòa giải.
        Mediating = ("mediating", "Đang hòa giải", "Mediating"),
        /// Hòa giải thành.
        Successful = ("successful", "Hòa giải thành", "Successful"),
        /// Hòa giải không thành.
        Unsuccessful = ("unsuccessful", "Hòa giải không thành", "Unsuccessful"),
        /// Dừng hòa giải.
        Stopped = ("stopped", "Dừng hòa giải", "Stopped"),
        /// Chuyển cơ quan có thẩm quyền.
        Referred = ("referred", "Chuyển cơ quan có thẩm quyền", "Referred"),
        /// Không thuộc phạm vi hòa giải.
        OutOfScope = ("out_of_scope", "Không thuộc phạm vi hòa giải", "Out of scope"),
    }
}

crate::coded_enum! {
    /// Why the team takes up the matter (căn cứ tiến hành hòa giải, Law 35/2013 art. 16).
    pub enum MediationBasis : "mediation.basis" {
        /// One party asked for mediation.
        OnePartyRequest = ("one_party_request", "Một bên yêu cầu hòa giải", "One party asked"),
        /// Both (all) parties asked.
        BothPartiesRequest =
            ("both_parties_request", "Các bên yêu cầu hòa giải", "Both parties asked"),
        /// The mediator witnessed or learnt of the matter directly.
        MediatorWitnessed = (
            "mediator_witnessed",
            "Hòa giải viên trực tiếp chứng kiến hoặc biết vụ, việc",
            "The mediator witnessed it"
        ),
        /// The team leader assigned it.
        LeaderAssigned =
            ("leader_assigned", "Theo phân công của tổ trưởng tổ hòa giải", "Assigned by the team leader"),
        /// Proposed by an agency, organisation or person concerned.
        AgencyProposal = (
            "agency_proposal",
            "Theo đề nghị của cơ quan, tổ chức, cá nhân liên quan",
            "Proposed by an agency"
        ),
    }
}

crate::coded_enum! {
    /// Statistical category (phạm vi thống kê), as counted in the official indicator.
    pub enum MediationCategory : "mediation.category" {
        /// Conflicts between parties (lifestyle, paths, water, shared spaces, hygiene…).
        Conflict = ("conflict", "Mâu thuẫn giữa các bên", "Conflict between parties"),
        /// Disputes arising from civil relations.
        Civil = ("civil", "Tranh chấp phát sinh từ quan hệ dân sự", "Civil dispute"),
        /// Disputes arising from marriage and family relations.
        MarriageFamily = (
            "marriage_family",
            "Tranh chấp phát sinh từ quan hệ hôn nhân và gia đình",
            "Marriage and family dispute"
        ),
        /// Minor violations not criminally prosecuted nor administratively fined.
        MinorViolation =
            ("minor_violation", "Vi phạm pháp luật nhỏ khác", "Other minor violation"),
    }
}

crate::coded_enum! {
    /// Kind of matter (loại việc), finer than the category.
    pub enum MediationSubtype : "mediation.subtype" {
        /// Land boundary.
        LandBoundary = ("land_boundary", "Ranh giới đất", "Land boundary"),
        /// Path or passage.
        Path = ("path", "Lối đi", "Path"),
        /// Water or electricity.
        WaterElectricity = ("water_electricity", "Điện, nước", "Water or electricity"),
        /// Debt or contract.
        DebtContract = ("debt_contract", "Vay nợ, hợp đồng", "Debt or contract"),
        /// Inheritance.
        Inheritance = ("inheritance", "Thừa kế", "Inheritance"),
        /// Between spouses.
        Spouses = ("spouses", "Vợ chồng", "Spouses"),
        /// Between parents and children.
        ParentsChildren = ("parents_children", "Cha mẹ và con", "Parents and children"),
        /// Maintenance (support payments).
        Maintenance = ("maintenance", "Cấp dưỡng", "Maintenance"),
        /// Divorce.
        Divorce = ("divorce", "Ly hôn", "Divorce"),
        /// Neighbourhood relations.
        Neighbourhood = ("neighbourhood", "Quan hệ láng giềng", "Neighbourhood"),
        /// Hygiene or environment.
        HygieneEnvironment = ("hygiene_environment", "Vệ sinh, môi trường", "Hygiene or environment"),
        /// Minor damage to property.
        MinorDamage = ("minor_damage", "Thiệt hại nhỏ về tài sản", "Minor damage"),
        /// Scuffle.
        Scuffle = ("scuffle", "Xô xát", "Scuffle"),
        /// Other.
        Other = ("other", "Khác", "Other"),
    }
}

impl MediationSubtype {
    /// Categories this subtype may be counted under (empty = any). Only clear contradictions are
    /// excluded: a family matter is not counted as a civil dispute, a debt is not a family one.
    pub fn allowed_categories(&self) -> &'static [MediationCategory] {
        use MediationCategory::*;
        match self {
            MediationSubtype::Spouses
            | MediationSubtype::ParentsChildren
            | MediationSubtype::Maintenance
            | MediationSubtype::Divorce => &[MarriageFamily],
            MediationSubtype::Inheritance => &[Civil, MarriageFamily],
            MediationSubtype::DebtContract => &[Civil],
            _ => &[],
        }
    }
}

crate::coded_enum! {
    /// Role of a party in the case.
    pub enum PartyRole : "mediation.party_role" {
        /// The party asking for mediation.
        Requesting = ("requesting", "Bên yêu cầu hòa giải", "Requesting party"),
        /// The other party.
        Other = ("other", "Bên còn lại", "Other party"),
        /// A person with related rights and obligations.
        Related = (
            "related",
            "Người có quyền lợi, nghĩa vụ liên quan",
            "Person with related rights"
        ),
    }
}

crate::coded_enum! {
    /// Why a matter is not mediated at the grassroots (Law 35/2013 art. 3).
    pub enum ExclusionReason : "mediation.exclusion_reason" {
        /// Harms the interests of the State or the public.
        PublicInterest = (
            "public_interest",
            "Xâm phạm lợi ích của Nhà nước, lợi ích công cộng",
            "Harms State or public interests"
        ),
        /// Civil-procedure law forbids mediating it.
        NotMediable = (
            "not_mediable",
            "Pháp luật tố tụng dân sự không được hòa giải",
            "Civil-procedure law forbids mediation"
        ),
        /// Must be criminally prosecuted or administratively fined.
        Prosecutable = (
            "prosecutable",
            "Phải truy cứu trách nhiệm hình sự hoặc xử phạt vi phạm hành chính",
            "Must be prosecuted or fined"
        ),
        /// Belongs to the commune People's Committee's mediation (e.g. land disputes).
        CommuneMediation = (
            "commune_mediation",
            "Thuộc thẩm quyền hòa giải của Ủy ban nhân dân cấp xã",
            "Mediated by the commune People's Committee"
        ),
        /// Another reason (explain in the note).
        Other = ("other", "Lý do khác", "Other reason"),
    }
}

crate::coded_enum! {
    /// State of an agreement's execution at a follow-up (theo dõi thực hiện thỏa thuận).
    pub enum FollowUpState : "mediation.follow_up_state" {
        /// Carried out.
        CarriedOut = ("carried_out", "Đã thực hiện", "Carried out"),
        /// Being carried out.
        InProgress = ("in_progress", "Đang thực hiện", "In progress"),
        /// Not carried out.
        NotCarriedOut = ("not_carried_out", "Không thực hiện", "Not carried out"),
    }
}

crate::coded_enum! {
    /// Competent authority a case is referred to.
    pub enum ReferralAgency : "mediation.referral_agency" {
        /// Commune People's Committee.
        CommuneCommittee = ("commune_committee", "Ủy ban nhân dân cấp xã", "Commune People's Committee"),
        /// Police.
        Police = ("police", "Công an", "Police"),
        /// Court.
        Court = ("court", "Tòa án nhân dân", "Court"),
        /// Another authority (name it).
        Other = ("other", "Cơ quan khác", "Other authority"),
    }
}
