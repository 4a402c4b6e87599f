//! The dashboard's message catalogue: every label of the pages and exports, in Vietnamese (the
//! default) and English. Codes of records (categories, statuses, topics, ratings) are labelled
//! by danvan-core's coded enums instead ([`code_label`]).
//!
//! Templates read fields of [`Messages`] (`{{ m.login }}`), so a missing message is a compile
//! error, not a blank on screen.

use danvan_core::model::democracy::{CheckStatus, Rating};
use danvan_core::model::inspection::{ActivityType, InspectionStatus, Topic};
use danvan_core::model::mediation::{MediationCategory, MediationStatus, MediationSubtype};
use danvan_core::{Coded, Lang, RecordKind};

macro_rules! catalogue {
    ($($key:ident : $vi:literal, $en:literal;)*) => {
        /// Every message of the dashboard in one language.
        #[derive(Debug)]
        pub struct Messages {
            $(#[doc = $en] pub $key: &'static str,)*
        }
        /// Vietnamese.
        pub const VI: Messages = Messages { $($key: $vi,)* };
        /// English.
        pub const EN: Messages = Messages { $($key: $en,)* };
        /// Every (key, Vietnamese, English) triple, for tests.
        pub const ALL: &[(&str, &str, &str)] = &[$((stringify!($key), $vi, $en),)*];
    };
}

catalogue! {
    app_title: "Danvan — Theo dõi hòa giải, thanh tra nhân dân, dân chủ ở cơ sở", "Danvan — grassroots mediation, people's inspection and democracy";
    app_short: "Danvan", "Danvan";
    login_title: "Đăng nhập", "Log in";
    username: "Tên đăng nhập", "Username";
    password: "Mật khẩu", "Password";
    login_button: "Đăng nhập", "Log in";
    login_failed: "Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password.";
    login_throttled: "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.", "Too many failed attempts. Please try again in 15 minutes.";
    login_expired_form: "Biểu mẫu đã hết hạn, vui lòng đăng nhập lại.", "The form expired, please log in again.";
    login_busy: "Máy chủ đang bận kiểm tra đăng nhập khác, vui lòng thử lại sau vài giây.", "The server is busy checking other logins, please try again in a few seconds.";
    logout: "Đăng xuất", "Log out";
    language: "Ngôn ngữ", "Language";
    unit: "Đơn vị", "Unit";
    unit_code: "Mã đơn vị", "Unit code";
    period: "Kỳ báo cáo", "Reporting period";
    period_kind: "Loại kỳ", "Period kind";
    show: "Xem", "Show";
    as_of: "Số liệu tính đến ngày", "Figures as of";
    deadline: "Hạn nộp báo cáo", "Submission deadline";
    subunits: "Đơn vị trực thuộc", "Units below";
    no_subunits: "Không có đơn vị trực thuộc.", "No units below.";
    up: "Cấp trên", "Up";
    mediation: "Hòa giải ở cơ sở", "Grassroots mediation";
    inspection: "Thanh tra nhân dân", "People's inspection";
    democracy: "Thực hiện dân chủ ở cơ sở", "Grassroots democracy";
    petitions: "Tiếp công dân, giải quyết khiếu nại, tố cáo, kiến nghị, phản ánh", "Citizens' petitions";
    dialogues: "Đối thoại trực tiếp với Nhân dân", "Leaders' dialogues with citizens";
    indicator: "Chỉ tiêu", "Indicator";
    this_period: "Kỳ này", "This period";
    previous_period: "Kỳ trước", "Previous period";
    change: "Thay đổi", "Change";
    total: "Tổng cộng", "Total";
    unallocated: "Chưa phân bổ", "Not allocated";
    unallocated_from: "Chưa phân bổ (từ đơn vị cũ", "Not allocated (from former unit";
    direct: "Ghi nhận trực tiếp tại", "Entered directly under";
    info_only: "chỉ để tham khảo, không cộng vào tổng", "for information, not in the total";
    by_category: "Vụ việc theo phạm vi thống kê", "Cases by category";
    trend: "So với kỳ trước", "Compared with the previous period";
    ranking: "Xếp hạng các xã", "Ranking of communes";
    rank: "Hạng", "Rank";
    value: "Giá trị", "Value";
    completeness: "Tình hình gửi báo cáo", "Reporting completeness";
    expected: "Số đơn vị phải báo cáo", "Units expected to report";
    with_records: "Có số liệu", "With records";
    locked: "Đã khóa kỳ", "Locked";
    on_time: "Đúng hạn", "On time";
    late: "Muộn", "Late";
    missing: "Chưa gửi", "Missing";
    open: "Chưa đến hạn", "Not due yet";
    status: "Trạng thái", "Status";
    records_mediation: "Vụ việc hòa giải", "Mediation cases";
    records_inspection: "Hoạt động thanh tra", "Inspection activities";
    records_democracy: "Lượt kiểm tra dân chủ", "Democracy checks";
    locked_at: "Khóa lúc", "Locked at";
    locked_by: "Người khóa", "Locked by";
    lock_state: "Khóa kỳ", "Period lock";
    not_locked: "Chưa khóa kỳ báo cáo.", "The period is not locked.";
    lock_title: "Khóa kỳ báo cáo", "Lock the reporting period";
    lock_help: "Khóa kỳ lưu lại số liệu đã gửi; thay đổi đến sau sẽ được đếm là sửa đổi muộn.", "Locking keeps a snapshot of the figures; later changes are counted as late amendments.";
    lock_button: "Khóa kỳ báo cáo", "Lock period";
    lock_done: "Đã khóa kỳ báo cáo.", "The period is locked.";
    predecessors_note: "Đơn vị chưa thành lập trong kỳ này: số liệu là của các đơn vị cũ hợp thành đơn vị (sáp nhập toàn bộ; đơn vị chia tách chỉ tính phần được phân bổ).", "This unit did not exist yet in this period: the figures are those of the old units it was formed from (merged whole; a split unit only as far as its parts were allocated).";
    late_amendments: "Sửa đổi sau khi khóa kỳ", "Late amendments (after lock)";
    exports: "Tải về", "Downloads";
    export_moj: "Biểu 12 – Kết quả hòa giải ở cơ sở (mẫu Bộ Tư pháp, .xlsx)", "Form 12 – Grassroots mediation results (Ministry of Justice form, .xlsx)";
    export_moj_teams: "Biểu 11 – Tổ hòa giải, hòa giải viên (mẫu Bộ Tư pháp, .xlsx)", "Form 11 – Mediation teams and mediators (Ministry of Justice form, .xlsx)";
    records: "Danh sách hồ sơ", "Record list";
    records_only_commune: "Chỉ cán bộ cấp xã được xem hồ sơ cá nhân.", "Only commune officers see individual records.";
    record: "Hồ sơ", "Record";
    kind: "Loại", "Kind";
    category: "Phân loại", "Category";
    main_date: "Ngày", "Date";
    closed_on: "Ngày kết thúc", "Closed on";
    no_records: "Chưa có hồ sơ.", "No records yet.";
    petition_new: "Tiếp nhận đơn thư", "Receive a petition";
    petition_handle: "Xử lý đơn", "Handle the petition";
    received_on: "Ngày nhận đơn", "Received on";
    book_no: "Số vào sổ", "Book number";
    channel: "Hình thức tiếp nhận", "Channel";
    forwarded_by: "Cơ quan chuyển đến (nếu có)", "Forwarded by (if any)";
    petition_type: "Loại đơn", "Type";
    subject: "Lĩnh vực", "Field";
    id_number: "Số CCCD", "ID number";
    group_size: "Số người (đơn đông người)", "People (group petition)";
    competent_body: "Cơ quan có thẩm quyền giải quyết", "Competent body";
    competent_body_name: "Tên cơ quan (nếu ngoài xã)", "Body's name (outside the commune)";
    complexity: "Tính chất vụ việc", "Complexity";
    remote_area: "Vùng sâu, vùng xa, đi lại khó khăn", "Remote or difficult area";
    step: "Bước xử lý", "Step";
    step_on: "Ngày", "Day";
    step_reason: "Lý do", "Reason";
    step_note: "Ghi chú, nơi chuyển, nội dung", "Note, where forwarded, content";
    step_outcome: "Kết quả giải quyết", "Outcome";
    document_no: "Số văn bản", "Document number";
    extension_days: "Số ngày gia hạn (để trống: theo luật)", "Days of extension (empty: as the law sets)";
    extend: "Gia hạn giải quyết", "Extend the deadline";
    overdue_title: "Việc quá hạn (đơn thư, cam kết đối thoại, kiến nghị)", "Overdue (petitions, dialogue commitments, recommendations)";
    no_overdue: "Không có việc quá hạn.", "Nothing is overdue.";
    overdue_rule: "Quá hạn", "Overdue";
    due_on: "Hạn", "Due";
    days_late: "Số ngày quá hạn", "Days late";
    back: "Quay lại", "Back";
    personal_notice: "Hồ sơ có thông tin cá nhân: chỉ sử dụng cho công tác của xã.", "This record holds personal data: for the commune's work only.";
    summary: "Nội dung", "Summary";
    parties: "Các bên", "Parties";
    people: "Người trong hồ sơ (các bên, hòa giải viên, người được mời, thành viên)", "People in the record (parties, mediators, invited, members)";
    attachments: "Tệp đính kèm (biên bản, ảnh chụp)", "Attachments (minutes, photos)";
    attachment_pending: "chưa gửi lên máy chủ", "not on the server yet";
    mediators: "Hòa giải viên", "Mediators";
    petitioner: "Người gửi đơn", "Petitioner";
    full_record: "Toàn bộ hồ sơ", "Full record";
    name: "Họ tên", "Name";
    address: "Địa chỉ", "Address";
    phone: "Điện thoại", "Phone";
    rank_by: "Xếp hạng theo", "Rank by";
    no_data: "Không có số liệu", "No data";
    role: "Vai trò", "Role";
    chart_by_category: "Biểu đồ vụ việc theo phạm vi", "Chart of cases by category";
    chart_trend: "Biểu đồ so sánh với kỳ trước", "Chart compared with the previous period";
    chart_completeness: "Biểu đồ tình hình gửi báo cáo", "Chart of reporting completeness";
    received: "Tiếp nhận", "Received";
    successful: "Thành", "Successful";
    unsuccessful: "Không thành", "Unsuccessful";
    in_progress: "Đang giải quyết", "In progress";
    teams_title: "Tổ hòa giải và hòa giải viên", "Mediation teams and mediators";
    teams_link: "Tổ hòa giải, hòa giải viên", "Teams and mediators";
    team: "Tổ hòa giải", "Mediation team";
    team_name: "Tên tổ hòa giải", "Team name";
    village: "Thôn, tổ dân phố", "Village / residential group";
    established_on: "Ngày thành lập", "Established on";
    dissolved_on: "Ngày giải thể", "Dissolved on";
    in_force: "Đang hoạt động", "Active";
    dissolved: "Đã giải thể", "Dissolved";
    notes: "Ghi chú", "Notes";
    save: "Lưu", "Save";
    add_team: "Thêm tổ hòa giải", "Add a team";
    edit_team: "Sửa thông tin tổ", "Edit the team";
    dissolve: "Giải thể tổ", "Dissolve the team";
    dissolve_help: "Chỉ giải thể được khi mọi hòa giải viên đã thôi hoặc chuyển tổ trước ngày đó.", "A team can be dissolved only when every mediator has left or moved by that day.";
    add_mediator: "Thêm hòa giải viên", "Add a mediator";
    edit_mediator: "Sửa thông tin hòa giải viên", "Edit the mediator";
    mediator: "Hòa giải viên", "Mediator";
    sex: "Giới tính", "Sex";
    ethnicity: "Dân tộc", "Ethnicity";
    ethnic_minority: "Người dân tộc thiểu số", "Ethnic minority";
    legal_qualification: "Trình độ chuyên môn luật", "Legal qualification";
    trained: "Đã được tập huấn, bồi dưỡng nghiệp vụ hòa giải", "Trained in mediation skills";
    team_role: "Vai trò trong tổ", "Role in the team";
    recognised_on: "Ngày được công nhận", "Recognised on";
    left_on: "Ngày thôi làm hòa giải viên", "Left on";
    from_date: "Từ ngày", "From";
    to_date: "Đến ngày (không kể ngày này)", "Until (not including)";
    memberships: "Quá trình tham gia tổ", "Team memberships";
    move_team: "Chuyển tổ hoặc đổi vai trò", "Move to a team or change role";
    move_on: "Từ ngày", "From";
    end_term: "Thôi làm hòa giải viên", "End the mediator's term";
    current_members: "Hòa giải viên hiện nay", "Current mediators";
    past_members: "Đã thôi hoặc chuyển tổ", "Left or moved";
    no_teams: "Chưa có tổ hòa giải nào.", "No teams yet.";
    registry_notice: "Danh sách có thông tin cá nhân của hòa giải viên: chỉ sử dụng cho công tác của xã.", "The list holds mediators' personal data: for the commune's work only.";
    registry_counts_only: "Cấp trên xã chỉ xem số liệu tổng hợp, không xem danh sách.", "Above the commune only counts are shown, never names.";
    figures_title: "Số liệu tổ hòa giải, hòa giải viên", "Teams and mediators figures";
    fig_teams: "Số tổ", "Teams";
    fig_teams_new: "Tổ thành lập mới", "New teams";
    fig_mediators: "Số hòa giải viên", "Mediators";
    fig_female: "Nữ", "Women";
    fig_minority: "Dân tộc thiểu số", "Ethnic minority";
    fig_legal: "Có trình độ luật", "Legal qualification";
    fig_trained: "Đã được tập huấn", "Trained";
    fig_leaders: "Tổ trưởng", "Team leaders";
    fig_mediators_new: "Công nhận mới", "Newly recognised";
    fig_mediators_left: "Thôi làm", "Left";
    yes: "Có", "Yes";
    submitted_title: "Số liệu đã gửi so với hiện nay", "Submitted figures against now";
    submitted_link: "Xem số liệu đã gửi và các thay đổi sau khi khóa kỳ", "See the submitted figures and what changed since the lock";
    submitted_help: "Số liệu khi khóa kỳ (đã gửi) so với số liệu hiện nay; các hồ sơ thay đổi sau khi khóa kỳ giải thích chênh lệch.", "The figures as locked (submitted) against the figures now; the records changed since the lock explain the differences.";
    submitted_changed: "Số chỉ tiêu thay đổi", "Indicators changed";
    figure_locked: "Khi khóa kỳ (đã gửi)", "As locked (submitted)";
    figure_now: "Hiện nay", "Now";
    difference: "Chênh lệch", "Difference";
    explained_by: "Hồ sơ thay đổi (khi khóa → hiện nay)", "Changed records (as locked → now)";
    explained_sum: "Cộng các hồ sơ", "Records' total";
    changed_records: "Hồ sơ thay đổi sau khi khóa kỳ", "Records changed since the lock";
    no_changes: "Không có hồ sơ nào thay đổi sau khi khóa kỳ.", "No record changed since the lock.";
    record_short: "Mã hồ sơ (rút gọn)", "Record (short id)";
    entered_unit: "Đơn vị nhập", "Entered unit";
    changed_at: "Thay đổi lần cuối lúc", "Last changed at";
    changes: "Số lần thay đổi", "Changes";
    at_lock: "Khi khóa kỳ", "At the lock";
    at_lock_known: "Đã có", "Existed";
    at_lock_absent: "Chưa có (nhận sau khi khóa)", "Not yet (arrived after the lock)";
    at_lock_unknown: "Không lưu được (không phân bổ)", "Not kept (not attributed)";
    indicators_changed: "Chỉ tiêu bị ảnh hưởng", "Indicators affected";
    dvk_title: "Mô hình \"Dân vận khéo\"", "\"Dân vận khéo\" models";
    dvk_link: "Mô hình Dân vận khéo", "Dân vận khéo models";
    mass_report_link: "Báo cáo công tác dân vận", "Mass-mobilisation report";
    dvk_models: "Danh sách mô hình", "Models";
    dvk_name: "Tên mô hình", "Model name";
    dvk_field: "Lĩnh vực", "Field";
    dvk_participants: "Tập thể, cá nhân thực hiện (mỗi dòng một)", "Bodies and people carrying it out (one per line)";
    dvk_description: "Mô tả", "Description";
    dvk_started_on: "Ngày bắt đầu", "Started on";
    dvk_recognition: "Công nhận", "Recognition";
    dvk_recognised_level: "Cấp công nhận", "Recognised at level";
    dvk_recognised_by: "Cơ quan công nhận", "Recognising body";
    dvk_recognised_on: "Ngày công nhận", "Recognised on";
    dvk_not_recognised: "Chưa công nhận", "Not recognised yet";
    dvk_commendation: "Khen thưởng", "Commendation";
    dvk_commended: "Được khen thưởng", "Commended";
    dvk_commended_by: "Cơ quan khen thưởng", "Commending body";
    dvk_commended_form: "Hình thức khen thưởng", "Form of commendation";
    dvk_commended_on: "Ngày khen thưởng", "Commended on";
    dvk_ended_on: "Ngày dừng (từ ngày này không còn tính)", "Ended on (first day no longer counted)";
    dvk_end: "Dừng mô hình", "End the model";
    dvk_end_help: "Ngày dừng là ngày đầu tiên mô hình không còn được tính là đang có hiệu lực.", "The end day is the first day the model no longer counts as in force.";
    dvk_add: "Thêm mô hình", "Add a model";
    dvk_edit: "Sửa thông tin mô hình", "Edit the model";
    dvk_none: "Chưa có mô hình nào.", "No models yet.";
    dvk_notice: "Danh sách có tên tập thể, cá nhân thực hiện mô hình (có thể là thông tin cá nhân): chỉ sử dụng cho công tác của xã.", "The list names the bodies and people carrying the models out (possibly personal data): for the commune's work only.";
    dvk_counts_only: "Cấp trên xã chỉ xem số liệu, tên và lĩnh vực mô hình; không xem tập thể, cá nhân thực hiện.", "Above the commune only counts, model names and fields are shown, never the people carrying them out.";
    dvk_figures_title: "Số liệu mô hình \"Dân vận khéo\"", "\"Dân vận khéo\" figures";
    dvk_in_force: "Đang có hiệu lực", "In force";
    dvk_new: "Công nhận mới trong kỳ", "Recognised in the period";
    dvk_commended_period: "Khen thưởng trong kỳ", "Commended in the period";
    dvk_ended_period: "Dừng trong kỳ", "Ended in the period";
    dvk_own: "Mô hình của cấp này", "Models of this level";
    dvk_counting_help: "Mô hình được tính từ ngày công nhận đến trước ngày dừng; số đang có hiệu lực = số đầu kỳ + công nhận mới − dừng trong kỳ.", "A model counts from its recognition until the day before it ends; in force = in force at the start + recognised − ended in the period.";
    attention: "Cần chú ý", "Needs attention";
    attention_none: "Không có xã nào cần chú ý trong kỳ này.", "No commune needs attention in this period.";
    attention_all: "Xem tất cả xã cần chú ý trong bảng", "Show every commune needing attention in the table";
    communes_table: "Các xã, phường", "Communes";
    search_name: "Tìm theo tên", "Search by name";
    only_attention: "Chỉ xã cần chú ý", "Only communes needing attention";
    any_status: "Mọi tình trạng báo cáo", "Any report status";
    filter: "Lọc", "Filter";
    clear_filter: "Bỏ lọc", "Clear";
    report_status: "Báo cáo", "Report";
    no_match: "Không có xã nào khớp bộ lọc.", "No commune matches the filter.";
    col_received: "Hòa giải tiếp nhận", "Cases received";
    col_success_rate: "Tỷ lệ hòa giải thành", "Success rate";
    col_in_progress: "Đang hòa giải", "In progress";
    col_trend: "Xu hướng tiếp nhận", "Cases trend";
    col_recs_overdue: "Kiến nghị quá hạn", "Recommendations overdue";
    col_not_met: "Nội dung dân chủ không đạt", "Democracy items not met";
    col_petitions_overdue: "Đơn thư quá hạn", "Petitions overdue";
    col_dialogues_missing: "Đối thoại còn thiếu", "Dialogues missing";
    unit_totals: "Số liệu tổng hợp toàn đơn vị, biểu đồ, khóa kỳ", "Totals of the unit, charts, lock";
    printed_on: "In ngày", "Printed on";
    sort_by: "Sắp xếp theo", "Sort by";
}

/// The catalogue in `lang`.
pub fn messages(lang: Lang) -> &'static Messages {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// Label of a record code (category, subtype, status, topic, rating, kind) in `lang`; the code
/// itself when no enum knows it.
pub fn code_label(code: &str, lang: Lang) -> String {
    fn find<T: Coded>(code: &str, lang: Lang) -> Option<&'static str> {
        T::from_code(code).map(|v| v.label().get(lang))
    }
    find::<MediationCategory>(code, lang)
        .or_else(|| find::<MediationSubtype>(code, lang))
        .or_else(|| find::<MediationStatus>(code, lang))
        .or_else(|| find::<Topic>(code, lang))
        .or_else(|| find::<ActivityType>(code, lang))
        .or_else(|| find::<InspectionStatus>(code, lang))
        .or_else(|| find::<Rating>(code, lang))
        .or_else(|| find::<CheckStatus>(code, lang))
        .or_else(|| find::<RecordKind>(code, lang))
        .map_or_else(|| code.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_both_languages() {
        for (key, vi, en) in ALL {
            assert!(!vi.trim().is_empty(), "{key}: empty Vietnamese");
            assert!(!en.trim().is_empty(), "{key}: empty English");
        }
        assert_eq!(messages(Lang::Vi).login_title, "Đăng nhập");
        assert_eq!(messages(Lang::En).login_title, "Log in");
    }

    #[test]
    fn codes_get_core_labels() {
        assert_eq!(code_label("civil", Lang::En), "Civil dispute");
        assert_eq!(
            code_label("marriage_family", Lang::Vi),
            "Tranh chấp phát sinh từ quan hệ hôn nhân và gia đình"
        );
        assert_eq!(code_label("nonexistent_code", Lang::Vi), "nonexistent_code");
    }
}
