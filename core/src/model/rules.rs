//! Small helpers the three kinds share to report broken rules and overdue items.
//!
//! Messages never contain record content (names, addresses): only what the rule is about.

use crate::lifecycle::Overdue;
use crate::model::common::Date;
use crate::validate::ValidationIssue;

/// Path of a list item: `mediation.parties[<id>]`.
pub(crate) fn item(list: &str, id: &str) -> String {
    format!("{list}[{id}]")
}

/// Push `required` if `value` is blank.
pub(crate) fn require_text(
    out: &mut Vec<ValidationIssue>,
    field: impl Into<String>,
    value: &str,
    vi_name: &str,
    en_name: &str,
) {
    if value.trim().is_empty() {
        out.push(ValidationIssue::required(field, vi_name, en_name));
    }
}

/// Push `required` if `value` is `None` or blank.
pub(crate) fn require_some_text(
    out: &mut Vec<ValidationIssue>,
    field: impl Into<String>,
    value: Option<&String>,
    vi_name: &str,
    en_name: &str,
) {
    require_text(
        out,
        field,
        value.map(String::as_str).unwrap_or(""),
        vi_name,
        en_name,
    );
}

/// A dated field, named in both languages, for date-order rules.
#[derive(Clone, Copy)]
pub(crate) struct Dated<'a> {
    pub on: Option<Date>,
    pub vi: &'a str,
    pub en: &'a str,
}

/// Shorthand for [`Dated`].
pub(crate) fn dated<'a>(on: Option<Date>, vi: &'a str, en: &'a str) -> Dated<'a> {
    Dated { on, vi, en }
}

/// Push `date_order` on `field` if both dates are known and `later` is before `earlier`.
pub(crate) fn not_before(
    out: &mut Vec<ValidationIssue>,
    field: impl Into<String>,
    later: Dated<'_>,
    earlier: Dated<'_>,
) {
    if let (Some(l), Some(e)) = (later.on, earlier.on)
        && l < e
    {
        out.push(ValidationIssue::date_order(
            field,
            &format!("{} không được trước {}.", capitalise(later.vi), earlier.vi),
            &format!(
                "{} must not be before {}.",
                capitalise(later.en),
                earlier.en
            ),
        ));
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Push `negative` if an amount of money is below zero.
pub(crate) fn money(out: &mut Vec<ValidationIssue>, field: impl Into<String>, vnd: i64) {
    if vnd < 0 {
        out.push(ValidationIssue::new(
            field,
            "negative",
            "Số tiền không được âm.",
            "An amount of money must not be negative.",
        ));
    }
}

/// Push `negative` (or `not_a_number`) if an area in m² is below zero or not finite.
pub(crate) fn area(out: &mut Vec<ValidationIssue>, field: impl Into<String>, m2: f64) {
    if !m2.is_finite() {
        out.push(ValidationIssue::new(
            field,
            "not_a_number",
            "Diện tích không hợp lệ.",
            "The area is not a valid number.",
        ));
    } else if m2 < 0.0 {
        out.push(ValidationIssue::new(
            field,
            "negative",
            "Diện tích không được âm.",
            "An area must not be negative.",
        ));
    }
}

/// Push `required` for a list item whose id is blank (ids are how devices merge lists).
pub(crate) fn item_id(out: &mut Vec<ValidationIssue>, list: &str, index: usize, id: &str) {
    if id.trim().is_empty() {
        out.push(ValidationIssue::new(
            format!("{list}[{index}].id"),
            "required",
            "Mục trong danh sách thiếu mã.",
            "A list item has no id.",
        ));
    }
}

/// An [`Overdue`] if `as_of` is after `due_on`.
pub(crate) fn overdue(
    rule: &str,
    field: impl Into<String>,
    due_on: Date,
    as_of: Date,
    vi: &str,
    en: &str,
) -> Option<Overdue> {
    let days_late = due_on.days_until(as_of);
    (days_late > 0).then(|| Overdue {
        rule: rule.to_string(),
        field: field.into(),
        due_on,
        days_late,
        vi: vi.to_string(),
        en: en.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> Option<Date> {
        Date::ymd(2025, 3, day)
    }

    #[test]
    fn date_order_names_both_dates_in_both_languages() {
        let mut out = Vec::new();
        not_before(
            &mut out,
            "x.b",
            dated(d(1), "ngày b", "date b"),
            dated(d(2), "ngày a", "date a"),
        );
        not_before(
            &mut out,
            "x.c",
            dated(d(2), "ngày b", "date b"),
            dated(d(2), "ngày a", "date a"),
        );
        not_before(
            &mut out,
            "x.d",
            dated(None, "ngày b", "date b"),
            dated(d(2), "ngày a", "date a"),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].field, "x.b");
        assert_eq!(out[0].vi, "Ngày b không được trước ngày a.");
        assert_eq!(out[0].en, "Date b must not be before date a.");
    }

    #[test]
    fn overdue_only_strictly_after_the_due_date() {
        let due = d(10).unwrap_or(Date(chrono::NaiveDate::MIN));
        assert!(overdue("r", "f", due, due, "", "").is_none());
        let late = overdue("r", "f", due, due.plus_days(3), "", "");
        assert_eq!(late.map(|o| o.days_late), Some(3));
    }
}
