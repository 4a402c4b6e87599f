//! Coded enums of a people's inspection activity (Law 10/2022/QH15, Decree 59/2023).

crate::coded_enum! {
    /// Status of an inspection activity. "Overdue" is computed from the deadlines, never stored.
    pub enum InspectionStatus : "inspection.status" {
        /// Checking or supervising is under way.
        InProgress = ("in_progress", "Đang kiểm tra, giám sát", "In progress"),
        /// Recommendations drawn up by the board, not yet sent.
        Recommended = ("recommended", "Đã có kiến nghị", "Recommended"),
        /// Recommendations sent; waiting for the authority's answer.
        AwaitingAnswer = ("awaiting_answer", "Chờ trả lời kiến nghị", "Awaiting answer"),
        /// The authority answered and handled the matter.
        Handled = ("handled", "Đã được xử lý", "Handled"),
        /// Finished and reported to the Fatherland Front.
        Closed = ("closed", "Đã kết thúc", "Closed"),
    }
}

crate::coded_enum! {
    /// Form of the activity (hình thức).
    pub enum ActivityType : "inspection.activity_type" {
        /// Check that a matter the people decided is carried out.
        PeopleDecision = (
            "people_decision",
            "Kiểm tra việc thực hiện nội dung Nhân dân bàn, quyết định",
            "Check of a people's decision"
        ),
        /// Supervision of policy and law implementation.
        PolicyLaw = (
            "policy_law",
            "Giám sát việc thực hiện chính sách, pháp luật",
            "Supervision of policy and law"
        ),
        /// Supervision of complaint and denunciation handling.
        ComplaintHandling = (
            "complaint_handling",
            "Giám sát việc giải quyết khiếu nại, tố cáo",
            "Supervision of complaint handling"
        ),
        /// Supervision of the grassroots-democracy rules.
        DemocracyRules = (
            "democracy_rules",
            "Giám sát việc thực hiện dân chủ ở cơ sở",
            "Supervision of democracy rules"
        ),
        /// Supervision of a works project.
        WorksProject = ("works_project", "Giám sát công trình, dự án", "Supervision of a works project"),
        /// Verification of a citizen's report.
        CitizenReport = (
            "citizen_report",
            "Xác minh phản ánh, kiến nghị của công dân",
            "From a citizen's report"
        ),
    }
}

crate::coded_enum! {
    /// Why the activity takes place (căn cứ).
    pub enum InspectionBasis : "inspection.basis" {
        /// The board's annual programme.
        AnnualPlan = ("annual_plan", "Theo chương trình, kế hoạch năm", "Annual plan"),
        /// Assigned by the commune Fatherland Front committee.
        AssignedByFront = (
            "assigned_by_front",
            "Do Ủy ban Mặt trận Tổ quốc Việt Nam cấp xã giao",
            "Assigned by the Fatherland Front"
        ),
        /// A citizen's report or petition.
        CitizenReport = ("citizen_report", "Theo phản ánh, kiến nghị của công dân", "Citizen report"),
        /// Ad hoc (đột xuất).
        AdHoc = ("ad_hoc", "Đột xuất", "Ad hoc"),
    }
}

crate::coded_enum! {
    /// Who or what is checked or supervised (đối tượng).
    pub enum SubjectKind : "inspection.subject" {
        /// The commune People's Committee.
        CommuneCommittee = ("commune_committee", "Ủy ban nhân dân cấp xã", "Commune People's Committee"),
        /// A commune civil servant.
        CivilServant = ("civil_servant", "Cán bộ, công chức cấp xã", "Commune civil servant"),
        /// A part-time officer.
        PartTimeOfficer = ("part_time_officer", "Người hoạt động không chuyên trách", "Part-time officer"),
        /// A village head.
        VillageHead = ("village_head", "Trưởng thôn, tổ trưởng tổ dân phố", "Village head"),
        /// The owner of a works project.
        ProjectOwner = ("project_owner", "Chủ đầu tư", "Project owner"),
        /// Another subject.
        Other = ("other", "Đối tượng khác", "Other"),
    }
}

crate::coded_enum! {
    /// Field of the activity (lĩnh vực).
    pub enum Topic : "inspection.topic" {
        /// Budget and finance.
        BudgetFinance = ("budget_finance", "Ngân sách, tài chính", "Budget and finance"),
        /// Land, site clearance.
        LandClearance = ("land_clearance", "Đất đai, giải phóng mặt bằng", "Land and clearance"),
        /// Contributions of the people.
        Contributions = ("contributions", "Các khoản đóng góp của Nhân dân", "People's contributions"),
        /// Construction.
        Construction = ("construction", "Xây dựng cơ bản", "Construction"),
        /// Social policy.
        SocialPolicy = ("social_policy", "Chính sách xã hội", "Social policy"),
        /// Administrative procedures.
        AdminProcedures = ("admin_procedures", "Thủ tục hành chính", "Administrative procedures"),
        /// Publication of information.
        Publication = ("publication", "Công khai thông tin", "Publication"),
        /// Complaints and denunciations.
        Complaints = ("complaints", "Khiếu nại, tố cáo", "Complaints"),
        /// Other.
        Other = ("other", "Lĩnh vực khác", "Other"),
    }
}

crate::coded_enum! {
    /// Category of a finding.
    pub enum FindingCategory : "inspection.finding_category" {
        /// Finance.
        Finance = ("finance", "Tài chính", "Finance"),
        /// Land.
        Land = ("land", "Đất đai", "Land"),
        /// Procedure.
        Procedure = ("procedure", "Trình tự, thủ tục", "Procedure"),
        /// Transparency (publication).
        Transparency = ("transparency", "Công khai, minh bạch", "Transparency"),
        /// Conduct of officials.
        Conduct = ("conduct", "Tác phong, thái độ", "Conduct"),
        /// Other.
        Other = ("other", "Khác", "Other"),
    }
}

crate::coded_enum! {
    /// To whom a recommendation is addressed.
    pub enum Addressee : "inspection.addressee" {
        /// The chair of the commune People's Committee.
        CommuneChair = ("commune_chair", "Chủ tịch Ủy ban nhân dân cấp xã", "Commune chair"),
        /// A higher authority.
        HigherAuthority = ("higher_authority", "Cơ quan cấp trên", "Higher authority"),
        /// The commune Party committee.
        PartyCommittee = ("party_committee", "Cấp ủy Đảng", "Party committee"),
        /// The Fatherland Front committee.
        Front = ("front", "Ủy ban Mặt trận Tổ quốc Việt Nam cấp xã", "Fatherland Front"),
        /// Another addressee (name it).
        Other = ("other", "Cơ quan, tổ chức khác", "Other"),
    }
}

crate::coded_enum! {
    /// What the authority answered to a recommendation.
    pub enum ResponseResult : "inspection.response_result" {
        /// Accepted in full.
        Accepted = ("accepted", "Tiếp thu toàn bộ", "Accepted"),
        /// Partly accepted.
        Partly = ("partly", "Tiếp thu một phần", "Partly accepted"),
        /// Rejected.
        Rejected = ("rejected", "Không tiếp thu", "Rejected"),
        /// No answer received (recorded when the board gives up waiting).
        NoAnswer = ("no_answer", "Không trả lời", "No answer"),
    }
}

impl ResponseResult {
    /// Whether this is an actual answer (everything but `no_answer`).
    pub fn is_answer(&self) -> bool {
        *self != ResponseResult::NoAnswer
    }
}
