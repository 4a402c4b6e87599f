//! Coded enums of a grassroots-democracy compliance check (Law 10/2022/QH15).

crate::coded_enum! {
    /// Status of a check: `draft → submitted → closed`, with `submitted → returned → submitted`
    /// when the reviewing officer sends it back for corrections.
    pub enum CheckStatus : "democracy.status" {
        /// Being filled in.
        Draft = ("draft", "Đang lập", "Draft"),
        /// Submitted for review.
        Submitted = ("submitted", "Đã gửi", "Submitted"),
        /// Returned to the checkers for corrections.
        Returned = ("returned", "Trả lại để bổ sung", "Returned"),
        /// Accepted and closed.
        Closed = ("closed", "Đã kết thúc", "Closed"),
    }
}

crate::coded_enum! {
    /// The law's groups of grassroots democracy, as checklist criteria groups.
    pub enum ChecklistGroup : "democracy.group" {
        /// What the commune publishes (dân biết, art. 11).
        Publication = ("publication", "Công khai thông tin", "Publication"),
        /// What the people discuss and decide (dân bàn, dân quyết, art. 15).
        PeopleDecide = ("people_decide", "Nhân dân bàn và quyết định", "People discuss and decide"),
        /// What the people comment on (art. 25).
        PeopleComment = ("people_comment", "Nhân dân tham gia ý kiến", "People comment"),
        /// How the people check and supervise (arts. 30–40).
        PeopleSupervise =
            ("people_supervise", "Nhân dân kiểm tra, giám sát", "People check and supervise"),
    }
}

crate::coded_enum! {
    /// Result of one checklist item.
    pub enum ItemOutcome : "democracy.item_result" {
        /// Met.
        Met = ("met", "Đạt", "Met"),
        /// Partly met.
        PartlyMet = ("partly_met", "Đạt một phần", "Partly met"),
        /// Not met.
        NotMet = ("not_met", "Không đạt", "Not met"),
        /// Not applicable in this commune and period.
        NotApplicable = ("not_applicable", "Không áp dụng", "Not applicable"),
    }
}

crate::coded_enum! {
    /// Overall rating of the check.
    pub enum Rating : "democracy.rating" {
        /// Good.
        Good = ("good", "Tốt", "Good"),
        /// Fair.
        Fair = ("fair", "Khá", "Fair"),
        /// Average.
        Average = ("average", "Trung bình", "Average"),
        /// Weak.
        Weak = ("weak", "Yếu", "Weak"),
    }
}

crate::coded_enum! {
    /// Progress of a remediation item.
    pub enum RemediationStatus : "democracy.remediation_status" {
        /// Not started.
        Open = ("open", "Chưa thực hiện", "Open"),
        /// Under way.
        InProgress = ("in_progress", "Đang thực hiện", "In progress"),
        /// Done.
        Done = ("done", "Đã hoàn thành", "Done"),
    }
}

crate::coded_enum! {
    /// How information was published (hình thức công khai).
    pub enum PublicationForm : "democracy.publication_form" {
        /// Posted at the commune office.
        OfficePosting = ("office_posting", "Niêm yết tại trụ sở", "Posted at the office"),
        /// Loudspeaker system.
        Loudspeaker = ("loudspeaker", "Hệ thống truyền thanh", "Loudspeaker"),
        /// Commune website or portal.
        Website = ("website", "Cổng, trang thông tin điện tử", "Website"),
        /// Through the village head.
        VillageHead = (
            "village_head",
            "Thông qua trưởng thôn, tổ trưởng tổ dân phố",
            "Through the village head"
        ),
        /// At a meeting.
        Meeting = ("meeting", "Tại hội nghị", "At a meeting"),
        /// Another form.
        Other = ("other", "Hình thức khác", "Other"),
    }
}
