//! The register of "Dân vận khéo" (skilful mass mobilisation) emulation models: types, input
//! validation and the counts reports use. Decision: `docs/adr/0008-teams-and-mediators.md`,
//! section "Dân vận khéo models".
//!
//! A model (mô hình "Dân vận khéo") is registered under a unit: a commune, or the city or a
//! legacy district for models of higher-level bodies. Like the registry of mediation teams it
//! lives on the server (`storage/dvk.rs`, migration 0008), kept by commune officers (city
//! officers for the city's and legacy districts' models) on the dashboard (`/dvk`) and through
//! `/api/v1/dvk-models` (`web/dvk.rs`). The people and bodies carrying a model out
//! (`participants`) may name individuals: they never leave the commune; above it only the
//! models' names, fields and dates, and [`DvkFigures`].
//!
//! Dates are half-open like the registry's: a model is **in force on d** when it is recognised
//! (`recognised_on <= d`) and not ended (`ended_on` is the first day no longer in force, `d <
//! ended_on`). So for any period and any unit the figures reconcile: in force on the cut-off =
//! in force the day before the start + new (recognised in the period) − ended (in the period).

use chrono::{Days, NaiveDate};
use danvan_core::Coded;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

use crate::aggregate::resolve::{Place, lowest_common_ancestor};
use crate::error::{ApiError, ErrorCode, Result};
use crate::registry::team_place;
use crate::storage::Storage;
use crate::storage::dvk::DvkFact;
use crate::units::{UnitTree, level};

danvan_core::coded_enum! {
    /// Lĩnh vực of a model.
    pub enum DvkField : "dvk.field" {
        /// Kinh tế.
        Economic = ("economic", "Kinh tế", "Economic"),
        /// Văn hóa – xã hội.
        CulturalSocial = ("cultural_social", "Văn hóa – xã hội", "Cultural and social"),
        /// Quốc phòng – an ninh.
        DefenceSecurity = ("defence_security", "Quốc phòng – an ninh", "Defence and security"),
        /// Xây dựng hệ thống chính trị.
        PoliticalSystem = ("political_system", "Xây dựng hệ thống chính trị", "Building the political system"),
    }
}

danvan_core::coded_enum! {
    /// Cấp công nhận: the level of the body that recognised a model.
    pub enum RecognitionLevel : "dvk.recognition_level" {
        /// Cấp xã.
        Commune = ("commune", "Cấp xã", "Commune"),
        /// Cấp huyện (before 1 July 2025, when districts were abolished).
        District = ("district", "Cấp huyện (trước 01/7/2025)", "District (before 1 July 2025)"),
        /// Cấp thành phố (tỉnh).
        City = ("city", "Cấp thành phố", "City (province)"),
        /// Cấp Trung ương.
        Central = ("central", "Cấp Trung ương", "Central"),
    }
}

danvan_core::coded_enum! {
    /// Hình thức khen thưởng.
    pub enum CommendationForm : "dvk.commendation_form" {
        /// Giấy khen.
        CertificateOfMerit = ("certificate_of_merit", "Giấy khen", "Certificate of merit"),
        /// Bằng khen.
        DiplomaOfMerit = ("diploma_of_merit", "Bằng khen", "Diploma of merit"),
        /// Hình thức khác.
        Other = ("other", "Hình thức khác", "Other"),
    }
}

/// The OpenAPI schema of a coded enum: a string, one of its codes.
fn coded_schema<T: Coded>(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description))
        .enum_values(Some(T::all().iter().map(Coded::code)))
        .into()
}

macro_rules! coded_to_schema {
    ($($t:ty => $doc:literal),+ $(,)?) => {$(
        impl utoipa::PartialSchema for $t {
            fn schema() -> RefOr<Schema> {
                coded_schema::<$t>($doc)
            }
        }
        impl utoipa::ToSchema for $t {}
    )+};
}

coded_to_schema! {
    DvkField => "Lĩnh vực: economic (kinh tế), cultural_social (văn hóa – xã hội), defence_security (quốc phòng – an ninh), political_system (xây dựng hệ thống chính trị).",
    RecognitionLevel => "Cấp công nhận: commune, district (before 2025-07-01), city, central.",
    CommendationForm => "Hình thức khen thưởng: certificate_of_merit (giấy khen), diploma_of_merit (bằng khen), other.",
}

/// Longest model name, recognising or commending body, and participant entry, in characters.
pub const MAX_NAME: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 4000;
/// Most participant entries (tập thể, cá nhân) of one model.
pub const MAX_PARTICIPANTS: usize = 100;

/// Earliest accepted date (the "Dân vận khéo" emulation movement began in 2009; older dates
/// are typing mistakes).
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

fn bad_dates(detail: String) -> ApiError {
    ApiError::new(ErrorCode::DvkBadDates).with_detail(detail)
}

/// A date a form or client sent: not before [`EARLIEST`], not after `today + 1 year`
/// (400 `dvk_bad_dates`).
pub fn check_date(d: NaiveDate, today: NaiveDate) -> std::result::Result<NaiveDate, ApiError> {
    let latest = today.checked_add_days(Days::new(366)).unwrap_or(today);
    if d < EARLIEST || d > latest {
        return Err(bad_dates(format!("date {d} out of range")));
    }
    Ok(d)
}

/// Whether a unit level may hold models: a commune, a (legacy) district or the city.
pub fn is_model_level(lvl: &str) -> bool {
    matches!(lvl, level::COMMUNE | level::DISTRICT | level::PROVINCE)
}

/// `code` must be a commune, district or province in force on `on` (400 `not_a_dvk_unit`);
/// returns its level.
pub fn check_unit<'t>(
    tree: &'t UnitTree,
    code: &str,
    on: NaiveDate,
) -> std::result::Result<&'t str, ApiError> {
    match tree.unit(code, on) {
        Some(u) if is_model_level(&u.level) => Ok(u.level.as_str()),
        _ => Err(ApiError::new(ErrorCode::NotADvkUnit).with_detail(format!("{code} on {on}"))),
    }
}

/// The recognition, commendation and end of a model, validated together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DvkDates {
    /// Ngày bắt đầu.
    pub started_on: NaiveDate,
    /// Recognition (level, day), if recognised.
    pub recognised: Option<(RecognitionLevel, NaiveDate)>,
    /// Commendation (form, day), if commended.
    pub commended: Option<(CommendationForm, NaiveDate)>,
    /// First day no longer in force, if ended.
    pub ended_on: Option<NaiveDate>,
}

/// Check a model's dates (400 `dvk_bad_dates`): each in range, recognition and commendation
/// not before the start, the end not before the start nor the recognition.
pub fn check_dates(d: &DvkDates, today: NaiveDate) -> std::result::Result<(), ApiError> {
    check_date(d.started_on, today)?;
    if let Some((_, on)) = d.recognised {
        check_date(on, today)?;
        if on < d.started_on {
            return Err(bad_dates(format!("recognised {on} before start")));
        }
    }
    if let Some((_, on)) = d.commended {
        check_date(on, today)?;
        if on < d.started_on {
            return Err(bad_dates(format!("commended {on} before start")));
        }
    }
    if let Some(end) = d.ended_on {
        check_date(end, today)?;
        let floor = d
            .recognised
            .map_or(d.started_on, |(_, r)| r.max(d.started_on));
        if end < floor {
            return Err(bad_dates(format!("ended {end} before {floor}")));
        }
    }
    Ok(())
}

/// Recognition fields as sent: both the level and the day, or neither
/// (400 `dvk_recognition_incomplete`).
pub fn recognition(
    level: Option<RecognitionLevel>,
    on: Option<NaiveDate>,
    by: &str,
) -> std::result::Result<Option<(RecognitionLevel, NaiveDate)>, ApiError> {
    match (level, on) {
        (Some(l), Some(d)) => Ok(Some((l, d))),
        (None, None) if by.is_empty() => Ok(None),
        _ => Err(ApiError::new(ErrorCode::DvkRecognitionIncomplete)
            .with_detail(format!("level {level:?}, on {on:?}, by {by:?}"))),
    }
}

/// Commendation fields as sent: when `commended`, the form and day (and the body); when not,
/// none of them (400 `dvk_commendation_incomplete`).
pub fn commendation(
    commended: bool,
    form: Option<CommendationForm>,
    on: Option<NaiveDate>,
    by: &str,
) -> std::result::Result<Option<(CommendationForm, NaiveDate)>, ApiError> {
    match (commended, form, on) {
        (true, Some(f), Some(d)) if !by.is_empty() => Ok(Some((f, d))),
        (false, None, None) if by.is_empty() => Ok(None),
        _ => Err(
            ApiError::new(ErrorCode::DvkCommendationIncomplete).with_detail(format!(
                "commended {commended}, form {form:?}, on {on:?}, by {by:?}"
            )),
        ),
    }
}

/// Participant entries (one body or person each): trimmed, empty lines dropped, each at most
/// [`MAX_NAME`] characters without control characters, at most [`MAX_PARTICIPANTS`] of them
/// (400 `invalid_text`). Stored one per line.
pub fn clean_participants(list: &[String]) -> std::result::Result<Vec<String>, ApiError> {
    let mut out = Vec::with_capacity(list.len());
    for p in list {
        let p = crate::text::clean_text(p, MAX_NAME, false, false)?;
        if !p.is_empty() {
            out.push(p);
        }
    }
    if out.len() > MAX_PARTICIPANTS {
        return Err(ApiError::new(ErrorCode::InvalidText).with_detail("too many participants"));
    }
    Ok(out)
}

/// The stored participants text as a list.
pub fn participants_of(stored: &str) -> Vec<String> {
    stored
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// In-force models of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldCount {
    /// Lĩnh vực.
    pub field: DvkField,
    /// Models of this field in force on the cut-off.
    pub in_force: u64,
}

/// "Dân vận khéo" models of a unit's subtree as of a cut-off, for a period `[start, cut-off]`.
///
/// `in_force` = in force the day before the start + `new_in_period` − `ended_in_period`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DvkFigures {
    /// In force on the cut-off, by field (every field, in [`DvkField`] order).
    pub by_field: Vec<FieldCount>,
    /// In force on the cut-off (the sum of `by_field`): recognised on or before it, not ended.
    pub in_force: u64,
    /// Recognised in `[start, cut-off]`.
    pub new_in_period: u64,
    /// Commended (khen thưởng) in `[start, cut-off]`.
    pub commended_in_period: u64,
    /// Recognised models that ended (first day no longer in force) in `[start, cut-off]`.
    pub ended_in_period: u64,
}

impl Default for DvkFigures {
    fn default() -> Self {
        DvkFigures {
            by_field: DvkField::all()
                .iter()
                .map(|&field| FieldCount { field, in_force: 0 })
                .collect(),
            in_force: 0,
            new_in_period: 0,
            commended_in_period: 0,
            ended_in_period: 0,
        }
    }
}

impl DvkFigures {
    /// Add another unit's figures.
    pub fn add(&mut self, o: &DvkFigures) {
        for (a, b) in self.by_field.iter_mut().zip(&o.by_field) {
            a.in_force += b.in_force;
        }
        self.in_force += o.in_force;
        self.new_in_period += o.new_in_period;
        self.commended_in_period += o.commended_in_period;
        self.ended_in_period += o.ended_in_period;
    }

    /// In force on the cut-off in `field`.
    pub fn in_force_of(&self, field: DvkField) -> u64 {
        self.by_field
            .iter()
            .find(|c| c.field == field)
            .map_or(0, |c| c.in_force)
    }

    fn count(&mut self, m: &DvkFact, start: NaiveDate, cut: NaiveDate) {
        let within = |d: NaiveDate| start <= d && d <= cut;
        let Some(recognised) = m.recognised_on else {
            // Not recognised: not (yet) a "Dân vận khéo" model; it counts nowhere.
            return;
        };
        if recognised <= cut && m.ended_on.is_none_or(|e| cut < e) {
            self.in_force += 1;
            if let Some(f) = DvkField::from_code(&m.field) {
                for c in &mut self.by_field {
                    if c.field == f {
                        c.in_force += 1;
                    }
                }
            }
        }
        self.new_in_period += u64::from(within(recognised));
        self.ended_in_period += u64::from(m.ended_on.is_some_and(within));
        self.commended_in_period += u64::from(m.commended && m.commended_on.is_some_and(within));
    }
}

/// Where a model counts on `cut`: the unit its code (read on `unit_on`) resolves to through
/// successors; a unit split between several is placed at their lowest common ancestor (the
/// `bool` says so: such a model is "not allocated" to one of them).
pub fn model_place(
    tree: &UnitTree,
    unit: &str,
    unit_on: NaiveDate,
    cut: NaiveDate,
) -> Option<(String, bool)> {
    match team_place(tree, unit, unit_on, cut) {
        Place::Unit(c) => Some((c, false)),
        Place::Unallocated { candidates, .. } => {
            lowest_common_ancestor(tree, &candidates, cut).map(|lca| (lca, true))
        }
        Place::Unknown => None,
    }
}

/// The "Dân vận khéo" figures of `unit`'s subtree as of `cutoff`, for the period starting
/// `window_start` (both days inclusive): every model whose unit resolves, on `cutoff`, into
/// `unit`'s subtree — its communes' models and its own (a city's or a legacy district's) —
/// rolled up through the unit tree.
///
/// - A model's unit code is read on its `unit_on` and followed through successors to
///   `cutoff` ([`model_place`]); an old commune split between several new ones counts where
///   all of them lie (their lowest common ancestor), so in the city's figures but in none of
///   the communes'; a code that cannot be placed on `cutoff` counts nowhere.
/// - In force: recognised on or before `cutoff` and not ended by then (`ended_on` is the first
///   day no longer in force); new: recognised in `[window_start, cutoff]`; commended:
///   commended in that window; ended: a recognised model whose `ended_on` falls in it.
///   Unrecognised models count in none.
///
/// So `in_force(cutoff) = in_force(window_start − 1) + new_in_period − ended_in_period`.
pub async fn dvk_figures(
    storage: &dyn Storage,
    units: &UnitTree,
    unit: &str,
    window_start: NaiveDate,
    cutoff: NaiveDate,
) -> Result<DvkFigures> {
    let facts = storage.dvk_facts().await?;
    Ok(count(units, unit, &[], window_start, cutoff, &facts).total)
}

/// Figures of a unit per row (units in force on the cut-off, e.g. its communes), with the
/// unit's own models, those not allocated to one row, and the total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DvkCount {
    /// One per row, in the rows' order.
    pub rows: Vec<DvkFigures>,
    /// Models placed at the unit itself (the city's, a legacy district's that went into it).
    pub own: DvkFigures,
    /// Models placed inside the unit but split between rows (an old commune divided).
    pub unallocated: DvkFigures,
    /// Everything: rows + own + unallocated (what [`dvk_figures`] returns).
    pub total: DvkFigures,
}

/// [`dvk_figures`] with a breakdown by `rows` (codes in force on `cut` within `unit`'s
/// subtree), over facts already read.
pub fn count(
    tree: &UnitTree,
    unit: &str,
    rows: &[String],
    start: NaiveDate,
    cut: NaiveDate,
    facts: &[DvkFact],
) -> DvkCount {
    let mut out = DvkCount {
        rows: vec![DvkFigures::default(); rows.len()],
        ..DvkCount::default()
    };
    for m in facts {
        let Some((place, split)) = model_place(tree, &m.unit, m.unit_on, cut) else {
            tracing::debug!(model = %m.id, unit = %m.unit, %cut,
                "dvk: the model's unit cannot be placed on the cut-off; not counted");
            continue;
        };
        if !tree.is_within(&place, unit, cut) {
            continue;
        }
        let fig = match rows.iter().position(|r| tree.is_within(&place, r, cut)) {
            Some(i) => &mut out.rows[i],
            None if split => &mut out.unallocated,
            None => &mut out.own,
        };
        fig.count(m, start, cut);
    }
    let mut total = out.own.clone();
    total.add(&out.unallocated);
    for r in &out.rows {
        total.add(r);
    }
    out.total = total;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn codes_and_labels() {
        assert_eq!(DvkField::from_code("economic"), Some(DvkField::Economic));
        assert_eq!(
            DvkField::PoliticalSystem.label().vi,
            "Xây dựng hệ thống chính trị"
        );
        assert_eq!(DvkField::all().len(), 4);
        assert_eq!(
            CommendationForm::from_code("diploma_of_merit"),
            Some(CommendationForm::DiplomaOfMerit)
        );
        assert_eq!(RecognitionLevel::from_code("ward"), None);
    }

    #[test]
    fn dates_and_pairs_are_checked() {
        let today = d("2026-06-01");
        let ok = DvkDates {
            started_on: d("2025-01-01"),
            recognised: Some((RecognitionLevel::Commune, d("2025-06-01"))),
            commended: None,
            ended_on: Some(d("2025-06-01")),
        };
        assert!(check_dates(&ok, today).is_ok());
        let early_end = DvkDates {
            ended_on: Some(d("2025-05-31")),
            ..ok
        };
        assert_eq!(
            check_dates(&early_end, today).unwrap_err().code,
            ErrorCode::DvkBadDates
        );
        let before_start = DvkDates {
            recognised: Some((RecognitionLevel::City, d("2024-12-31"))),
            ended_on: None,
            ..ok
        };
        assert!(check_dates(&before_start, today).is_err());
        assert!(check_date(d("1999-12-31"), today).is_err());
        assert!(check_date(d("2027-06-03"), today).is_err());
        assert!(recognition(Some(RecognitionLevel::City), None, "").is_err());
        assert!(recognition(None, None, "UBND").is_err());
        assert!(recognition(None, None, "").unwrap().is_none());
        assert!(commendation(true, Some(CommendationForm::Other), None, "UBND").is_err());
        assert!(commendation(true, Some(CommendationForm::Other), Some(today), "").is_err());
        assert!(commendation(false, None, None, "UBND").is_err());
        assert!(clean_participants(&["a\u{0}".into()]).is_err());
        assert_eq!(
            clean_participants(&[" Hội Phụ nữ ".into(), "".into()]).unwrap(),
            vec!["Hội Phụ nữ".to_string()]
        );
    }
}
