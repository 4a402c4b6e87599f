//! The indicators the dashboard and the CSV exports show, each with a stable key
//! (`mediation.successful`: the `data-indicator` attribute of its cells and the CSV column),
//! bilingual labels and how to read it from the aggregation engine's [`Indicators`].

use danvan_core::{Label, Lang, RecordKind};

use crate::aggregate::Indicators;

/// How a value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A count.
    Count,
    /// A share in 0..=1, shown as a percentage.
    Rate,
    /// An amount in VND.
    Money,
    /// An area in m².
    Area,
    /// Days (median).
    Days,
    /// A score.
    Score,
}

/// One indicator.
#[derive(Debug, Clone, Copy)]
pub struct Def {
    /// Stable key, `<kind>.<field>`.
    pub key: &'static str,
    /// Labels.
    pub label: Label,
    /// Display format.
    pub format: Format,
    /// Read the value (None = not defined, e.g. a rate with no denominator).
    pub get: fn(&Indicators) -> Option<f64>,
}

macro_rules! defs {
    ($($kind:ident . $field:ident : $fmt:ident, $vi:literal, $en:literal;)*) => {
        &[$(Def {
            key: concat!(stringify!($kind), ".", stringify!($field)),
            label: Label { vi: $vi, en: $en },
            format: Format::$fmt,
            get: |i: &Indicators| defs!(@get i.$kind.$field, $fmt),
        },)*]
    };
    (@get $e:expr, Count) => { Some($e as f64) };
    (@get $e:expr, Money) => { Some($e) };
    (@get $e:expr, Area) => { Some($e) };
    (@get $e:expr, Rate) => { $e };
    (@get $e:expr, Days) => { $e };
    (@get $e:expr, Score) => { $e };
}

/// Mediation indicators, in the order of the Ministry of Justice cases form
/// (`docs/forms/moj-grassroots-mediation.md`): total = carried over + received = results + in
/// progress; out of scope is outside the total.
pub const MEDIATION: &[Def] = defs! {
    mediation.total: Count, "Tổng số vụ, việc hòa giải", "Total cases";
    mediation.carried_over: Count, "Kỳ trước chuyển sang", "Carried over";
    mediation.received: Count, "Mới tiếp nhận", "Newly received";
    mediation.mediated: Count, "Đã hòa giải (thành và không thành)", "Mediated (successful or not)";
    mediation.successful: Count, "Hòa giải thành", "Successful";
    mediation.unsuccessful: Count, "Hòa giải không thành", "Unsuccessful";
    mediation.stopped: Count, "Dừng hòa giải", "Stopped";
    mediation.referred: Count, "Chuyển cơ quan có thẩm quyền", "Referred";
    mediation.in_progress: Count, "Đang hòa giải", "In progress";
    mediation.out_of_scope: Count, "Không thuộc phạm vi hòa giải (không tính vào tổng số)", "Out of scope (not in the total)";
    mediation.success_rate: Rate, "Tỷ lệ hòa giải thành", "Success rate";
    mediation.median_days_to_close: Days, "Số ngày giải quyết (trung vị)", "Median days to close";
    mediation.started_late: Count, "Bắt đầu hòa giải quá hạn (vụ, việc mới tiếp nhận)", "Started late (newly received)";
    mediation.violence_risk: Count, "Có nguy cơ bạo lực (vụ, việc mới tiếp nhận)", "Risk of violence (newly received)";
    mediation.agreements_not_carried_out: Count, "Thỏa thuận không được thực hiện", "Agreements not carried out";
    mediation.fees_claimed: Count, "Vụ, việc đề nghị thù lao (mới tiếp nhận)", "Fee claims (newly received)";
    mediation.fees_paid: Count, "Vụ, việc đã chi thù lao (mới tiếp nhận)", "Fees paid (newly received)";
    mediation.fee_amount_vnd: Money, "Số tiền thù lao đề nghị (đồng)", "Fees claimed (VND)";
};

/// People's-inspection indicators.
pub const INSPECTION: &[Def] = defs! {
    inspection.activities: Count, "Số cuộc giám sát, kiểm tra", "Activities";
    inspection.findings: Count, "Số phát hiện", "Findings";
    inspection.violations: Count, "Số vi phạm", "Violations";
    inspection.recommendations: Count, "Số kiến nghị", "Recommendations";
    inspection.answered: Count, "Kiến nghị đã được trả lời", "Answered";
    inspection.answered_on_time: Count, "Trả lời đúng hạn", "Answered on time";
    inspection.overdue: Count, "Kiến nghị quá hạn chưa trả lời", "Overdue";
    inspection.answered_on_time_rate: Rate, "Tỷ lệ trả lời đúng hạn", "Answered on time rate";
    inspection.money_recovered_vnd: Money, "Tiền đã thu hồi (đồng)", "Money recovered (VND)";
    inspection.land_recovered_m2: Area, "Đất đã thu hồi (m²)", "Land recovered (m²)";
    inspection.persons_disciplined: Count, "Số người bị xử lý", "Persons disciplined";
};

/// Grassroots-democracy indicators.
pub const DEMOCRACY: &[Def] = defs! {
    democracy.checks: Count, "Số cuộc kiểm tra", "Checks";
    democracy.communes_checked: Count, "Số xã được kiểm tra", "Communes checked";
    democracy.items_met: Count, "Nội dung đạt", "Items met";
    democracy.items_partly_met: Count, "Nội dung đạt một phần", "Items partly met";
    democracy.items_not_met: Count, "Nội dung không đạt", "Items not met";
    democracy.share_met: Rate, "Tỷ lệ nội dung đạt", "Share of items met";
    democracy.average_score: Score, "Điểm bình quân", "Average score";
    democracy.decisions_taken: Count, "Số quyết định", "Decisions taken";
    democracy.decisions_meeting_threshold: Count, "Quyết định đủ tỷ lệ", "Decisions meeting the threshold";
    democracy.consultations: Count, "Số lần lấy ý kiến", "Consultations";
    democracy.complaints_received: Count, "Khiếu nại, phản ánh nhận được", "Complaints received";
    democracy.complaints_resolved: Count, "Đã giải quyết", "Complaints resolved";
    democracy.complaints_outstanding: Count, "Còn tồn đọng", "Complaints outstanding";
    democracy.dialogues_held: Count, "Số cuộc đối thoại", "Dialogues held";
    democracy.remediation_open: Count, "Khắc phục chưa xong", "Remediation open";
};

/// Citizens' petitions: total = carried over + received = resolved + forwarded + not accepted
/// + withdrawn + in progress.
pub const PETITIONS: &[Def] = defs! {
    petitions.total: Count, "Tổng số đơn phải xử lý", "Petitions to handle";
    petitions.carried_over: Count, "Kỳ trước chuyển sang", "Carried over";
    petitions.received: Count, "Mới tiếp nhận", "Newly received";
    petitions.accepted: Count, "Đã thụ lý trong kỳ", "Accepted in the period";
    petitions.resolved: Count, "Đã giải quyết", "Resolved";
    petitions.resolved_on_time: Count, "Giải quyết đúng hạn", "Resolved on time";
    petitions.resolved_on_time_rate: Rate, "Tỷ lệ giải quyết đúng hạn", "Resolved on time rate";
    petitions.forwarded: Count, "Chuyển cơ quan có thẩm quyền", "Forwarded";
    petitions.not_accepted: Count, "Trả lại, lưu đơn (không thụ lý)", "Returned or filed";
    petitions.withdrawn: Count, "Rút đơn", "Withdrawn";
    petitions.in_progress: Count, "Đang xử lý", "Being handled";
    petitions.overdue: Count, "Quá hạn chưa xử lý xong", "Overdue";
    petitions.extended: Count, "Số lần gia hạn", "Extensions";
    petitions.group: Count, "Đơn đông người", "Group petitions";
};

/// Leaders' dialogues with citizens.
pub const DIALOGUES: &[Def] = defs! {
    dialogues.held: Count, "Số cuộc đối thoại trực tiếp", "Direct dialogues held";
    dialogues.chaired_by_head: Count, "Do người đứng đầu chủ trì", "Chaired by a head";
    dialogues.reception_days: Count, "Buổi tiếp công dân của người đứng đầu", "Leaders' reception days";
    dialogues.communes_holding: Count, "Số xã đã tổ chức đối thoại", "Communes holding a dialogue";
    dialogues.participants: Count, "Lượt người tham dự", "Participants";
    dialogues.issues: Count, "Ý kiến, kiến nghị được nêu", "Issues raised";
    dialogues.answered_on_the_spot: Count, "Trả lời ngay tại buổi đối thoại", "Answered on the spot";
    dialogues.commitments: Count, "Số cam kết", "Commitments made";
    dialogues.kept_on_time: Count, "Cam kết thực hiện đúng hạn", "Commitments kept on time";
    dialogues.kept_late: Count, "Cam kết thực hiện chậm", "Commitments kept late";
    dialogues.commitments_overdue: Count, "Cam kết quá hạn chưa thực hiện", "Commitments overdue";
};

/// The indicators of a record kind.
pub fn of_kind(kind: RecordKind) -> &'static [Def] {
    match kind {
        RecordKind::Mediation => MEDIATION,
        RecordKind::Inspection => INSPECTION,
        RecordKind::Democracy => DEMOCRACY,
        RecordKind::Petition => PETITIONS,
        RecordKind::Dialogue => DIALOGUES,
    }
}

/// A value formatted for people (Vietnamese: `1.234,5`; English: `1,234.5`); `–` when undefined.
pub fn format(v: Option<f64>, f: Format, lang: Lang) -> String {
    let Some(v) = v else {
        return "–".into();
    };
    match f {
        Format::Rate => format!("{}%", number(v * 100.0, 1, lang)),
        Format::Count => number(v, 0, lang),
        Format::Money | Format::Area => number(v, 0, lang),
        Format::Days | Format::Score => number(v, 1, lang),
    }
}

/// A value for machines (CSV): plain decimal with a dot, rates as percentages; empty when
/// undefined.
pub fn plain(v: Option<f64>, f: Format) -> String {
    match (v, f) {
        (None, _) => String::new(),
        (Some(v), Format::Rate) => format!("{:.1}", v * 100.0),
        (Some(v), Format::Count) => format!("{v:.0}"),
        (Some(v), Format::Money | Format::Area) => format!("{v:.0}"),
        (Some(v), _) => format!("{v:.1}"),
    }
}

fn number(v: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let (group, point) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    if v < 0.0 && out.chars().any(|c| c != '0' && c.is_ascii_digit()) {
        out.insert(0, '-');
    }
    out
}

/// Trend of a value against the previous period: arrow and signed difference.
pub fn trend(cur: Option<f64>, prev: Option<f64>, f: Format, lang: Lang) -> (String, &'static str) {
    match (cur, prev) {
        (Some(c), Some(p)) => {
            let d = c - p;
            let (arrow, class) = if d > 1e-9 {
                ("▲", "up")
            } else if d < -1e-9 {
                ("▼", "down")
            } else {
                ("=", "same")
            };
            let shown = format(Some(d.abs()), f, lang);
            (format!("{arrow} {shown}"), class)
        }
        _ => ("–".into(), "same"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_prefixed_by_kind() {
        let mut seen = std::collections::HashSet::new();
        for (kind, defs) in [
            ("mediation", MEDIATION),
            ("inspection", INSPECTION),
            ("democracy", DEMOCRACY),
        ] {
            for d in defs {
                assert!(d.key.starts_with(&format!("{kind}.")), "{}", d.key);
                assert!(seen.insert(d.key), "duplicate {}", d.key);
            }
        }
    }

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(
            format(Some(1234567.0), Format::Count, Lang::Vi),
            "1.234.567"
        );
        assert_eq!(
            format(Some(1234567.0), Format::Count, Lang::En),
            "1,234,567"
        );
        assert_eq!(format(Some(0.755), Format::Rate, Lang::Vi), "75,5%");
        assert_eq!(format(None, Format::Rate, Lang::En), "–");
        assert_eq!(plain(Some(0.5), Format::Rate), "50.0");
        assert_eq!(plain(None, Format::Count), "");
    }

    #[test]
    fn trend_arrows() {
        assert_eq!(
            trend(Some(5.0), Some(3.0), Format::Count, Lang::Vi).0,
            "▲ 2"
        );
        assert_eq!(
            trend(Some(1.0), Some(3.0), Format::Count, Lang::Vi).1,
            "down"
        );
        assert_eq!(trend(Some(3.0), None, Format::Count, Lang::Vi).0, "–");
    }
}
