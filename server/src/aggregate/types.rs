//! The public result types of aggregation: reports, rows, indicators, completeness, locks and
//! rankings. They carry codes and numbers only — never a personal field.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::periods::Period;

pub use crate::storage::agg::Lock;

/// A unit as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnitRef {
    /// Code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Level (`province`, `district`, `commune`, `village`).
    pub level: String,
}

/// Aggregates of a unit's subtree for a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// The unit reported on.
    pub unit: UnitRef,
    /// The first day of the version of `unit` reported on (codes are reused: 11533 is Phường An
    /// Lư until 2025-06-30 and Phường Hòa Bình from 2025-07-01).
    pub unit_from: NaiveDate,
    /// Whether the unit did not exist yet on the cut-off, so the rows are the old units it was
    /// formed from (each holding only what the successor mapping places in it).
    pub predecessors: bool,
    /// The period.
    pub period: Period,
    /// Figures are as of this day: the period's cut-off, or today if that is earlier.
    pub as_of: NaiveDate,
    /// Totals of the whole subtree (every row plus every unallocated line).
    pub totals: Indicators,
    /// Records entered under the unit itself (in no child row), when there are any.
    pub direct: Option<Indicators>,
    /// Direct children as of the cut-off (districts, communes or villages), each with its subtree.
    pub children: Vec<Row>,
    /// "Chưa phân bổ (từ đơn vị cũ X)": records of a split old unit that cannot be placed in one
    /// child; counted once in the totals and in no row.
    pub unallocated: Vec<UnallocatedRow>,
    /// The same figures for the previous period of the same kind (trend).
    pub previous: Option<Indicators>,
    /// Distinct records changed after a lock of this period, in this subtree.
    pub late_amendments: u64,
    /// The lock, when `unit` is a commune that locked this period.
    pub lock: Option<Lock>,
    /// What was withheld because the viewer is above the commune (ADR 0012); `None` for a
    /// viewer who sees the figures whole.
    pub disclosure: Option<super::disclosure::Disclosure>,
}

/// Indicators of the three kinds of record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Indicators {
    /// Mediation cases.
    pub mediation: MediationIndicators,
    /// People's inspection.
    pub inspection: InspectionIndicators,
    /// Grassroots-democracy checks.
    pub democracy: DemocracyIndicators,
    /// Citizens' petitions.
    pub petitions: PetitionIndicators,
    /// Leaders' dialogues with citizens.
    pub dialogues: DialogueIndicators,
}

/// One child unit's figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Row {
    /// The child unit.
    pub unit: UnitRef,
    /// Its subtree's figures.
    pub indicators: Indicators,
    /// Distinct records changed after a lock of this period, in its subtree.
    pub late_amendments: u64,
    /// Its lock, when the child is a commune that locked this period.
    pub lock: Option<Lock>,
}

/// Records of an old unit split between several successors that cannot be allocated to one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnallocatedRow {
    /// The line's own key (`chua-phan-bo:{code}:{first day}`), never a unit code, so a line
    /// never shares a code with a live unit's row.
    pub key: String,
    /// The old unit the records were entered under.
    pub from: UnitRef,
    /// The successors the records may belong to.
    pub candidates: Vec<UnitRef>,
    /// Whether these records are in the report's totals: yes when every candidate lies inside
    /// the reported unit; a line whose candidates reach outside it is shown for information only
    /// (the records are counted in the report of the smallest unit holding every candidate).
    pub in_totals: bool,
    /// Distinct records of this line changed after a lock of the period.
    pub late_amendments: u64,
    /// Their figures.
    pub indicators: Indicators,
}

impl UnallocatedRow {
    /// The key of the line of records from unit version (`code`, `from`).
    pub fn key_of(code: &str, from: NaiveDate) -> String {
        format!("chua-phan-bo:{code}:{from}")
    }

    /// "Chưa phân bổ (từ đơn vị cũ X)" / "Not allocated (from old unit X)".
    pub fn label(&self, lang: danvan_core::Lang) -> String {
        match lang {
            danvan_core::Lang::Vi => format!("Chưa phân bổ (từ đơn vị cũ {})", self.from.name),
            danvan_core::Lang::En => format!("Not allocated (from old unit {})", self.from.name),
        }
    }
}

/// A count by code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CodeCount {
    /// Code (category, subtype, topic, rating).
    pub code: String,
    /// Count (0 when suppressed).
    pub count: u64,
    /// Withheld from a viewer above the commune (a small cell, or one that would give a small
    /// cell away: ADR 0012); `count` is then 0 and pages show "<k".
    pub suppressed: bool,
}

/// Mediation figures of one category; balances like the totals
/// (`total = received + carried_over = successful + unsuccessful + stopped + referred +
/// in_progress`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CategoryRow {
    /// Category code.
    pub code: String,
    /// Received in the period (in scope).
    pub received: u64,
    /// Carried over from earlier periods (in scope).
    pub carried_over: u64,
    /// received + carried_over.
    pub total: u64,
    /// Successful in the period.
    pub successful: u64,
    /// Unsuccessful in the period.
    pub unsuccessful: u64,
    /// Stopped in the period.
    pub stopped: u64,
    /// Referred to a competent authority in the period.
    pub referred: u64,
    /// In progress as of the cut-off.
    pub in_progress: u64,
    /// Withheld from a viewer above the commune (ADR 0012): every number is then 0.
    pub suppressed: bool,
}

/// Mediation indicators (số liệu hòa giải ở cơ sở). See ADR 0004 for each rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MediationIndicators {
    /// Số vụ, việc mới tiếp nhận: received in [start, cut-off], not found out of scope.
    pub received: u64,
    /// Kỳ trước chuyển sang: received before the start and, as of the cut-off, taking part in
    /// the period (open the day before it started, or reopened in it); not out of scope.
    pub carried_over: u64,
    /// Tổng số vụ, việc hòa giải = received + carried_over
    /// = successful + unsuccessful + stopped + referred + in_progress.
    pub total: u64,
    /// Số vụ việc đã hòa giải: successful + unsuccessful.
    pub mediated: u64,
    /// Hòa giải thành: results that took effect in [start, cut-off].
    pub successful: u64,
    /// Hòa giải không thành.
    pub unsuccessful: u64,
    /// Đang hòa giải: open as of the cut-off.
    pub in_progress: u64,
    /// Dừng hòa giải.
    pub stopped: u64,
    /// Chuyển cơ quan có thẩm quyền.
    pub referred: u64,
    /// Không thuộc phạm vi hòa giải (Law 35/2013 art. 3): found out of scope in the period;
    /// not mediation cases, so outside `total`.
    pub out_of_scope: u64,
    /// Tỷ lệ hòa giải thành = successful ÷ mediated.
    pub success_rate: Option<f64>,
    /// Median days from receipt to result, over the period's results.
    pub median_days_to_close: Option<f64>,
    /// Started after the legal time limit (cases received in the period).
    pub started_late: u64,
    /// Flagged for a risk of violence (cases received in the period).
    pub violence_risk: u64,
    /// Agreements not carried out (successful results of the period).
    pub agreements_not_carried_out: u64,
    /// Fee claims made (cases received in the period).
    pub fees_claimed: u64,
    /// Fee claims paid.
    pub fees_paid: u64,
    /// Fee amounts claimed, VND.
    pub fee_amount_vnd: f64,
    /// By category.
    pub by_category: Vec<CategoryRow>,
    /// Received by subtype.
    pub by_subtype: Vec<CodeCount>,
}

/// People's-inspection indicators (thanh tra nhân dân).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InspectionIndicators {
    /// Activities taking part in the period: started in it plus carried over (not closed the
    /// day before it started).
    pub activities: u64,
    /// Activities started in [start, cut-off].
    pub activities_new: u64,
    /// Activities started earlier and not closed the day before the start.
    pub activities_carried_over: u64,
    /// Stock: activities not closed as of the cut-off.
    pub activities_open: u64,
    /// Flow: findings made in [start, cut-off] (each on its own day).
    pub findings: u64,
    /// Flow: findings that are violations.
    pub violations: u64,
    /// Flow: recommendations sent in [start, cut-off].
    pub recommendations: u64,
    /// Flow: first answers to recommendations received in [start, cut-off].
    pub answered: u64,
    /// Flow: of those, received by the recommendation's due date.
    pub answered_on_time: u64,
    /// Stock: recommendations past their due date and not answered as of the cut-off.
    pub overdue: u64,
    /// answered_on_time ÷ answered.
    pub answered_on_time_rate: Option<f64>,
    /// Flow: money actually recovered in [start, cut-off], VND (tiền đã thu hồi).
    pub money_recovered_vnd: f64,
    /// Flow: land actually recovered in [start, cut-off], m² (đất đã thu hồi).
    pub land_recovered_m2: f64,
    /// Flow: persons disciplined in [start, cut-off].
    pub persons_disciplined: u64,
    /// Activities by topic.
    pub by_topic: Vec<CodeCount>,
}

/// Grassroots-democracy indicators (thực hiện dân chủ ở cơ sở).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DemocracyIndicators {
    /// Checks of the period submitted or closed as of the cut-off.
    pub checks: u64,
    /// Distinct communes checked.
    pub communes_checked: u64,
    /// Items met.
    pub items_met: u64,
    /// Items partly met.
    pub items_partly_met: u64,
    /// Items not met.
    pub items_not_met: u64,
    /// Items not applicable.
    pub items_not_applicable: u64,
    /// met ÷ (met + partly + not met).
    pub share_met: Option<f64>,
    /// Checks by rating.
    pub ratings: Vec<CodeCount>,
    /// Average score of scored checks.
    pub average_score: Option<f64>,
    /// People's decisions taken.
    pub decisions_taken: u64,
    /// Decisions meeting the household threshold.
    pub decisions_meeting_threshold: u64,
    /// Consultations held.
    pub consultations: u64,
    /// Complaints received.
    pub complaints_received: u64,
    /// Complaints resolved.
    pub complaints_resolved: u64,
    /// Complaints outstanding.
    pub complaints_outstanding: u64,
    /// Dialogues held.
    pub dialogues_held: u64,
    /// Remediation items still open.
    pub remediation_open: u64,
}

/// Citizens' petitions (đơn thư) handled in a period, as of its cut-off (ADR 0004, table of
/// petition indicators). Every petition of the period is new or carried over, and at the
/// cut-off it is resolved, forwarded, returned or filed, withdrawn (each in the period) or still
/// open: `total = received + carried_over = resolved + forwarded + not_accepted + withdrawn +
/// in_progress`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PetitionIndicators {
    /// Received in the period.
    pub received: u64,
    /// Received earlier and still being handled when the period began.
    pub carried_over: u64,
    /// received + carried over.
    pub total: u64,
    /// Accepted (thụ lý) in the period.
    pub accepted: u64,
    /// Resolved in the period.
    pub resolved: u64,
    /// Of those, within the deadline in force when resolved.
    pub resolved_on_time: u64,
    /// resolved on time ÷ resolved.
    pub resolved_on_time_rate: Option<f64>,
    /// Forwarded to the competent body in the period.
    pub forwarded: u64,
    /// Returned with guidance or filed without acceptance in the period.
    pub not_accepted: u64,
    /// Withdrawn in the period.
    pub withdrawn: u64,
    /// Still being handled at the cut-off.
    pub in_progress: u64,
    /// Of those, past their acceptance or resolution deadline at the cut-off.
    pub overdue: u64,
    /// Extensions decided in the period.
    pub extended: u64,
    /// Group petitions (đơn đông người) among the total.
    pub group: u64,
    /// The total by type (complaint, denunciation, recommendation, reflection).
    pub by_type: Vec<CodeCount>,
    /// The total by field.
    pub by_subject: Vec<CodeCount>,
    /// Received in the period, by channel.
    pub by_channel: Vec<CodeCount>,
    /// Resolved in the period, by outcome.
    pub by_outcome: Vec<CodeCount>,
    /// Forwarded, returned or filed in the period, by reason.
    pub by_reason: Vec<CodeCount>,
}

/// Leaders' dialogues with citizens and citizen-reception days (đối thoại trực tiếp), as of the
/// cut-off.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DialogueIndicators {
    /// Direct dialogues (periodic or on one matter) held in the period.
    pub held: u64,
    /// Of those, chaired by the head of the Party committee or the commune chairman.
    pub chaired_by_head: u64,
    /// Leaders' citizen-reception days held in the period.
    pub reception_days: u64,
    /// Distinct communes that held a dialogue chaired by a head.
    pub communes_holding: u64,
    /// People taking part (all groups).
    pub participants: u64,
    /// Issues raised.
    pub issues: u64,
    /// Answered on the spot.
    pub answered_on_the_spot: u64,
    /// Commitments made.
    pub commitments: u64,
    /// Referred to the competent body.
    pub referred: u64,
    /// Commitments done in the period by their day.
    pub kept_on_time: u64,
    /// Commitments done in the period after their day.
    pub kept_late: u64,
    /// Commitments past their day and not done at the cut-off.
    pub commitments_overdue: u64,
}

/// Whether a commune submitted (locked) a period's report, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Locked by the deadline.
    OnTime,
    /// Locked after the deadline.
    Late,
    /// Not locked and the deadline has passed.
    Missing,
    /// Not locked, deadline not passed yet.
    Open,
}

/// One expected commune's completeness.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompletenessRow {
    /// The commune.
    pub unit: UnitRef,
    /// Its mediation records counted in the period.
    pub mediation_records: u64,
    /// Its inspection records counted in the period.
    pub inspection_records: u64,
    /// Its democracy records counted in the period.
    pub democracy_records: u64,
    /// Its petitions counted in the period.
    pub petition_records: u64,
    /// Its dialogue records counted in the period.
    pub dialogue_records: u64,
    /// Direct dialogues chaired by a head held in the period.
    pub dialogues_held: u64,
    /// Direct dialogues the configured frequency expects in the period.
    pub dialogues_expected: u64,
    /// Leaders' citizen-reception days recorded in the period.
    pub reception_days_held: u64,
    /// Reception days the configured frequency expects in the period (the Party secretary's
    /// and the chairman's, per month, pro rata).
    pub reception_days_expected: u64,
    /// When it locked the period.
    pub locked_at: Option<DateTime<Utc>>,
    /// Submission status.
    pub status: SubmissionStatus,
}

/// Which communes were expected to report, which have records, which locked, on time or late.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Completeness {
    /// The unit reported on.
    pub unit: UnitRef,
    /// The period.
    pub period: Period,
    /// Communes in force on the period's last day in the subtree.
    pub expected: u64,
    /// Of those, with any record counted in the period.
    pub with_records: u64,
    /// Of those, locked.
    pub locked: u64,
    /// Locked by the deadline.
    pub on_time: u64,
    /// Locked after the deadline.
    pub late: u64,
    /// Communes that held fewer direct dialogues than expected.
    pub dialogues_missing: u64,
    /// Communes that recorded fewer leaders' reception days than expected.
    pub reception_days_missing: u64,
    /// One row per expected commune, by code.
    pub rows: Vec<CompletenessRow>,
}

/// Indicators communes can be ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RankIndicator {
    /// Mediation cases received.
    MediationReceived,
    /// Mediation success rate.
    MediationSuccessRate,
    /// Inspection recommendations.
    InspectionRecommendations,
    /// Share of recommendations answered on time.
    InspectionAnsweredOnTimeRate,
    /// Share of democracy checklist items met.
    DemocracyShareMet,
    /// Share of petitions resolved within their deadline.
    PetitionsResolvedOnTimeRate,
    /// Petitions past their deadline at the cut-off.
    PetitionsOverdue,
    /// Dialogue commitments past their day at the cut-off.
    CommitmentsOverdue,
}

/// One commune in a ranking.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RankRow {
    /// 1-based rank; equal values share a rank ("1, 2, 2, 4").
    pub rank: u32,
    /// The commune.
    pub unit: UnitRef,
    /// The indicator's value (`None` when it is undefined, e.g. a rate with no cases; ranked last).
    pub value: Option<f64>,
}
