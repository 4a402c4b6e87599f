//! "Needs attention": which communes an officer above the commune should look at first, and
//! why (issue 16, ADR 0015). Pure rules over each commune's headline figures; the thresholds
//! are the constants below, documented in ADR 0015.

use danvan_core::Lang;

use crate::aggregate::{Indicators, SubmissionStatus};
use crate::web::indicators::{Format, format};

/// A count moved "sharply" when it changed by at least this share of the previous period…
pub const SHARP_SHARE: f64 = 0.5;
/// …and by at least this many (1 → 2 cases is +100 % and says nothing).
pub const SHARP_MIN_CASES: u64 = 5;
/// A rate moved sharply when it changed by at least this many percentage points (as a share)…
pub const SHARP_RATE_POINTS: f64 = 0.20;
/// …over at least this many cases in both periods (the rate's denominator).
pub const RATE_MIN_BASE: u64 = 5;
/// A rate sits "far from the city's median" when it is at least this far below it.
pub const FAR_BELOW_MEDIAN: f64 = 0.25;
/// The median is taken only over communes whose rate rests on at least [`RATE_MIN_BASE`] cases,
/// and only when at least this many communes have one.
pub const MEDIAN_MIN_COMMUNES: usize = 5;

/// Why a commune needs attention.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// The deadline passed and the report was not submitted.
    Missing,
    /// The report was submitted after the deadline.
    Late,
    /// Inspection recommendations past their answer date, unanswered at the cut-off.
    RecommendationsOverdue(u64),
    /// Petitions past their deadline at the cut-off.
    PetitionsOverdue(u64),
    /// Mediation cases received moved sharply against the previous period.
    ReceivedMoved {
        /// Previous period.
        from: u64,
        /// This period.
        to: u64,
    },
    /// The mediation success rate moved sharply against the previous period.
    SuccessRateMoved {
        /// Previous period.
        from: f64,
        /// This period.
        to: f64,
    },
    /// The mediation success rate sits far below the median of the communes.
    SuccessRateBelowMedian {
        /// The commune's rate.
        rate: f64,
        /// The median.
        median: f64,
    },
    /// The share of democracy items met sits far below the median of the communes.
    ShareMetBelowMedian {
        /// The commune's share.
        share: f64,
        /// The median.
        median: f64,
    },
}

impl Reason {
    /// How much it weighs in the order of the list.
    pub fn weight(&self) -> u32 {
        match self {
            Reason::Missing => 3,
            Reason::RecommendationsOverdue(_) | Reason::PetitionsOverdue(_) => 2,
            _ => 1,
        }
    }

    /// A stable code (`data-reason` on the page, and the filter's tests).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Missing => "missing",
            Reason::Late => "late",
            Reason::RecommendationsOverdue(_) => "recommendations_overdue",
            Reason::PetitionsOverdue(_) => "petitions_overdue",
            Reason::ReceivedMoved { .. } => "received_moved",
            Reason::SuccessRateMoved { .. } => "success_rate_moved",
            Reason::SuccessRateBelowMedian { .. } => "success_rate_below_median",
            Reason::ShareMetBelowMedian { .. } => "share_met_below_median",
        }
    }

    /// The reason in words.
    pub fn text(&self, lang: Lang) -> String {
        let rate = |v: f64| format(Some(v), Format::Rate, lang);
        let vi = lang == Lang::Vi;
        match self {
            Reason::Missing => if vi {
                "chưa gửi báo cáo, đã quá hạn"
            } else {
                "report not submitted, past the deadline"
            }
            .into(),
            Reason::Late => if vi {
                "gửi báo cáo muộn"
            } else {
                "report submitted late"
            }
            .into(),
            Reason::RecommendationsOverdue(n) => {
                if vi {
                    format!("{n} kiến nghị quá hạn chưa được trả lời")
                } else {
                    format!("{n} recommendation(s) overdue, unanswered")
                }
            }
            Reason::PetitionsOverdue(n) => {
                if vi {
                    format!("{n} đơn thư quá hạn")
                } else {
                    format!("{n} petition(s) overdue")
                }
            }
            Reason::ReceivedMoved { from, to } => {
                let up = to > from;
                match (vi, up) {
                    (true, true) => format!("vụ việc hòa giải tăng mạnh: {from} → {to}"),
                    (true, false) => format!("vụ việc hòa giải giảm mạnh: {from} → {to}"),
                    (false, true) => format!("mediation cases rose sharply: {from} → {to}"),
                    (false, false) => format!("mediation cases fell sharply: {from} → {to}"),
                }
            }
            Reason::SuccessRateMoved { from, to } => {
                let (from, to) = (rate(*from), rate(*to));
                if vi {
                    format!("tỷ lệ hòa giải thành thay đổi mạnh: {from} → {to}")
                } else {
                    format!("mediation success rate moved sharply: {from} → {to}")
                }
            }
            Reason::SuccessRateBelowMedian { rate: r, median } => {
                let (r, m) = (rate(*r), rate(*median));
                if vi {
                    format!("tỷ lệ hòa giải thành {r}, thấp xa trung vị thành phố {m}")
                } else {
                    format!("mediation success rate {r}, far below the median {m}")
                }
            }
            Reason::ShareMetBelowMedian { share, median } => {
                let (s, m) = (rate(*share), rate(*median));
                if vi {
                    format!("tỷ lệ nội dung dân chủ đạt {s}, thấp xa trung vị {m}")
                } else {
                    format!("democracy items met {s}, far below the median {m}")
                }
            }
        }
    }
}

/// What the rules read of one commune.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Its submission status for the period.
    pub status: SubmissionStatus,
    /// This period's figures.
    pub current: &'a Indicators,
    /// The previous period's figures, when known.
    pub previous: Option<&'a Indicators>,
}

/// A rate with its denominator, when the rate rests on enough cases.
fn success_rate(i: &Indicators) -> Option<f64> {
    (i.mediation.mediated >= RATE_MIN_BASE)
        .then_some(i.mediation.success_rate)
        .flatten()
}

fn share_met(i: &Indicators) -> Option<f64> {
    let d = &i.democracy;
    (d.items_met + d.items_partly_met + d.items_not_met >= RATE_MIN_BASE)
        .then_some(d.share_met)
        .flatten()
}

/// The median of `values`, when there are at least [`MEDIAN_MIN_COMMUNES`].
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.len() < MEDIAN_MIN_COMMUNES {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// The medians the rules compare against: success rate, share of democracy items met.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Medians {
    /// Median mediation success rate.
    pub success_rate: Option<f64>,
    /// Median share of democracy items met.
    pub share_met: Option<f64>,
}

impl Medians {
    /// The medians over every commune's figures.
    pub fn of<'a>(all: impl Iterator<Item = &'a Indicators> + Clone) -> Medians {
        Medians {
            success_rate: median(all.clone().filter_map(success_rate).collect()),
            share_met: median(all.filter_map(share_met).collect()),
        }
    }
}

fn moved_sharply(from: u64, to: u64) -> bool {
    let d = from.abs_diff(to);
    d >= SHARP_MIN_CASES && (d as f64) >= SHARP_SHARE * from as f64
}

/// Every reason `c` needs attention, weightiest first.
pub fn reasons(c: Input<'_>, medians: Medians) -> Vec<Reason> {
    let mut out = Vec::new();
    match c.status {
        SubmissionStatus::Missing => out.push(Reason::Missing),
        SubmissionStatus::Late => out.push(Reason::Late),
        _ => {}
    }
    let cur = c.current;
    if cur.inspection.overdue > 0 {
        out.push(Reason::RecommendationsOverdue(cur.inspection.overdue));
    }
    if cur.petitions.overdue > 0 {
        out.push(Reason::PetitionsOverdue(cur.petitions.overdue));
    }
    if let Some(prev) = c.previous {
        let (from, to) = (prev.mediation.received, cur.mediation.received);
        if moved_sharply(from, to) {
            out.push(Reason::ReceivedMoved { from, to });
        }
        if let (Some(from), Some(to)) = (success_rate(prev), success_rate(cur))
            && (to - from).abs() >= SHARP_RATE_POINTS - 1e-9
        {
            out.push(Reason::SuccessRateMoved { from, to });
        }
    }
    if let (Some(rate), Some(median)) = (success_rate(cur), medians.success_rate)
        && median - rate >= FAR_BELOW_MEDIAN - 1e-9
    {
        out.push(Reason::SuccessRateBelowMedian { rate, median });
    }
    if let (Some(share), Some(median)) = (share_met(cur), medians.share_met)
        && median - share >= FAR_BELOW_MEDIAN - 1e-9
    {
        out.push(Reason::ShareMetBelowMedian { share, median });
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.weight()));
    out
}

/// The weight of a list of reasons (the attention list is ordered by it, heaviest first).
pub fn weight(reasons: &[Reason]) -> u32 {
    reasons.iter().map(Reason::weight).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(received: u64, mediated: u64, successful: u64) -> Indicators {
        let mut i = Indicators::default();
        i.mediation.received = received;
        i.mediation.mediated = mediated;
        i.mediation.successful = successful;
        i.mediation.success_rate = (mediated > 0).then(|| successful as f64 / mediated as f64);
        i
    }

    #[test]
    fn medians_need_enough_communes_and_cases() {
        assert_eq!(median(vec![0.1, 0.2, 0.3, 0.4]), None);
        assert_eq!(median(vec![0.5, 0.1, 0.3, 0.2, 0.4]), Some(0.3));
        assert_eq!(median(vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), Some(0.35));
        // 4 communes with 5 mediated cases, one with 4: no median.
        let v = [
            ind(0, 5, 5),
            ind(0, 5, 4),
            ind(0, 5, 3),
            ind(0, 5, 2),
            ind(0, 4, 0),
        ];
        assert_eq!(Medians::of(v.iter()).success_rate, None);
    }

    #[test]
    fn sharp_moves_need_half_and_five() {
        assert!(moved_sharply(10, 15)); // +5 = 50 %
        assert!(!moved_sharply(10, 14)); // +4
        assert!(!moved_sharply(20, 29)); // +9 < 10
        assert!(moved_sharply(20, 10)); // -10 = 50 %
        assert!(moved_sharply(0, 5));
        assert!(!moved_sharply(1, 4));
    }

    #[test]
    fn reasons_in_order_of_weight() {
        let mut cur = ind(15, 10, 3);
        cur.inspection.overdue = 2;
        let prev = ind(10, 10, 8);
        let medians = Medians {
            success_rate: Some(0.7),
            share_met: None,
        };
        let r = reasons(
            Input {
                status: SubmissionStatus::Late,
                current: &cur,
                previous: Some(&prev),
            },
            medians,
        );
        let codes: Vec<_> = r.iter().map(Reason::code).collect();
        assert_eq!(
            codes,
            [
                "recommendations_overdue",
                "late",
                "received_moved",
                "success_rate_moved",
                "success_rate_below_median"
            ]
        );
        assert_eq!(weight(&r), 2 + 1 + 1 + 1 + 1);
        assert!(r[0].text(Lang::Vi).contains("2 kiến nghị"));
        // 30 % against a median of 50 %: 20 points, not far enough.
        let r = reasons(
            Input {
                status: SubmissionStatus::OnTime,
                current: &ind(0, 10, 3),
                previous: None,
            },
            Medians {
                success_rate: Some(0.5),
                share_met: None,
            },
        );
        assert!(r.is_empty(), "{r:?}");
    }
}
