//! Versioned checklist templates for democracy checks.
//!
//! A template is data: criteria (grouped by the law's groups), each with items that carry a
//! legal reference. Templates change when the law or the city's guidance changes; a check keeps
//! the `code` and `version` it was filled against, and is validated against exactly that
//! version. The built-in registry ([`builtin_templates`]) ships `dcs-2023` version 1, derived
//! from Law 10/2022/QH15 (in force 1 July 2023). Templates are serde types so that a city can
//! later ship its own as JSON.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::ChecklistGroup;
use crate::model::common::Date;

/// A text in Vietnamese and English (owned, unlike [`crate::Label`], so templates can be data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BiText {
    /// Vietnamese.
    pub vi: String,
    /// English.
    pub en: String,
}

/// One item to assess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateItem {
    /// Stable code, unique in the template (`pub_budget`).
    pub code: String,
    /// What is checked.
    pub title: BiText,
    /// Legal reference (`Luật 10/2022/QH15, Điều 11`).
    pub legal_ref: String,
}

/// A criterion: a group of items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// Stable code, unique in the template.
    pub code: String,
    /// The law's group it belongs to.
    pub group: ChecklistGroup,
    /// Title.
    pub title: BiText,
    /// Items, in display order.
    pub items: Vec<TemplateItem>,
}

/// A versioned checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistTemplate {
    /// Stable code of the template family (`dcs-2023`).
    pub code: String,
    /// Version within the family; a changed item list is a new version.
    pub version: u32,
    /// First day checks may use it.
    pub valid_from: Date,
    /// Criteria, in display order.
    pub criteria: Vec<Criterion>,
}

impl ChecklistTemplate {
    /// Every item, in display order, with its criterion.
    pub fn items(&self) -> impl Iterator<Item = (&Criterion, &TemplateItem)> {
        self.criteria
            .iter()
            .flat_map(|c| c.items.iter().map(move |i| (c, i)))
    }

    /// The item with `code` and its criterion.
    pub fn item(&self, code: &str) -> Option<(&Criterion, &TemplateItem)> {
        self.items().find(|(_, i)| i.code == code)
    }
}

/// Code of the built-in template derived from Law 10/2022/QH15.
pub const DCS_2023: &str = "dcs-2023";

/// The templates this build knows.
pub fn builtin_templates() -> &'static [ChecklistTemplate] {
    static ALL: LazyLock<Vec<ChecklistTemplate>> = LazyLock::new(|| vec![dcs_2023_v1()]);
    &ALL
}

/// The built-in template `code` at `version`.
pub fn find_template(code: &str, version: u32) -> Option<&'static ChecklistTemplate> {
    builtin_templates()
        .iter()
        .find(|t| t.code == code && t.version == version)
}

/// The newest built-in version of `code` valid on `on`.
pub fn current_template(code: &str, on: Date) -> Option<&'static ChecklistTemplate> {
    builtin_templates()
        .iter()
        .filter(|t| t.code == code && t.valid_from <= on)
        .max_by_key(|t| t.version)
}

const LAW: &str = "Luật 10/2022/QH15";

fn it(code: &str, vi: &str, en: &str, article: &str) -> TemplateItem {
    TemplateItem {
        code: code.into(),
        title: BiText {
            vi: vi.into(),
            en: en.into(),
        },
        legal_ref: format!("{LAW}, {article}"),
    }
}

fn crit(
    code: &str,
    group: ChecklistGroup,
    vi: &str,
    en: &str,
    items: Vec<TemplateItem>,
) -> Criterion {
    Criterion {
        code: code.into(),
        group,
        title: BiText {
            vi: vi.into(),
            en: en.into(),
        },
        items,
    }
}

fn dcs_2023_v1() -> ChecklistTemplate {
    use ChecklistGroup::*;
    let a11 = "Điều 11";
    let a15 = "Điều 15";
    let a25 = "Điều 25";
    ChecklistTemplate {
        code: DCS_2023.into(),
        version: 1,
        valid_from: Date::ymd(2023, 7, 1).unwrap_or(Date(chrono::NaiveDate::MIN)),
        criteria: vec![
            crit(
                "publication",
                Publication,
                "Công khai thông tin để Nhân dân biết",
                "Publication",
                vec![
                    it(
                        "pub_plan",
                        "Kế hoạch phát triển kinh tế - xã hội của xã",
                        "Socio-economic development plan",
                        a11,
                    ),
                    it(
                        "pub_budget",
                        "Dự toán, tình hình thực hiện (quý, 6 tháng, năm) và quyết toán ngân sách xã",
                        "Commune budget: estimates, quarterly / 6-month / annual execution, final accounts",
                        a11,
                    ),
                    it(
                        "pub_investment_land",
                        "Dự án, công trình đầu tư; thu hồi đất, bồi thường, hỗ trợ, tái định cư; quy hoạch, kế hoạch sử dụng đất",
                        "Investment projects, land recovery, compensation and resettlement, land-use plans",
                        a11,
                    ),
                    it(
                        "pub_procedures",
                        "Thủ tục hành chính và việc giải quyết công việc của người dân",
                        "Administrative procedures",
                        a11,
                    ),
                    it(
                        "pub_social_funds",
                        "Quản lý, sử dụng các quỹ, nguồn hỗ trợ, kinh phí thực hiện chính sách xã hội",
                        "Social-policy funds and support",
                        a11,
                    ),
                    it(
                        "pub_inspection_complaints",
                        "Kết quả thanh tra, kiểm tra, giải quyết khiếu nại, tố cáo",
                        "Inspection results and complaint handling",
                        a11,
                    ),
                    it(
                        "pub_contributions",
                        "Các khoản huy động, đóng góp của Nhân dân và việc sử dụng",
                        "People's contributions and their use",
                        a11,
                    ),
                    it(
                        "pub_rules_conventions",
                        "Quy chế thực hiện dân chủ ở xã; hương ước, quy ước của thôn, tổ dân phố",
                        "The commune's democracy rules and village conventions",
                        a11,
                    ),
                    it(
                        "pub_forms",
                        "Công khai đúng hình thức: niêm yết tại trụ sở, truyền thanh, trang thông tin điện tử, qua trưởng thôn",
                        "Published in the required forms (office, loudspeaker, website, village head)",
                        "Điều 11, 12",
                    ),
                ],
            ),
            crit(
                "people_decide",
                PeopleDecide,
                "Nhân dân bàn và quyết định",
                "People discuss and decide",
                vec![
                    it(
                        "dec_community_works",
                        "Chủ trương, mức đóng góp xây dựng công trình công cộng do Nhân dân đóng góp",
                        "Community-funded works and household contributions",
                        a15,
                    ),
                    it(
                        "dec_community_assets",
                        "Quản lý, sử dụng tiền, tài sản do cộng đồng dân cư quản lý",
                        "Money and assets the community manages",
                        a15,
                    ),
                    it(
                        "dec_conventions",
                        "Xây dựng, sửa đổi hương ước, quy ước của thôn, tổ dân phố",
                        "Village conventions (hương ước, quy ước)",
                        a15,
                    ),
                    it(
                        "dec_village_head",
                        "Bầu, cho thôi làm trưởng thôn, tổ trưởng tổ dân phố",
                        "Electing or dismissing the village head",
                        a15,
                    ),
                    it(
                        "dec_boards",
                        "Bầu, cho thôi làm thành viên Ban Thanh tra nhân dân, Ban Giám sát đầu tư của cộng đồng",
                        "Electing the inspection board and the community investment supervision board",
                        a15,
                    ),
                    it(
                        "dec_meetings_threshold",
                        "Hội nghị thôn hoặc phát phiếu lấy ý kiến hộ gia đình; nội dung được quá nửa đại diện hộ gia đình tán thành",
                        "Decided by a meeting or household ballot approved by more than half of households",
                        a15,
                    ),
                ],
            ),
            crit(
                "people_comment",
                PeopleComment,
                "Nhân dân tham gia ý kiến",
                "People comment",
                vec![
                    it(
                        "com_plans",
                        "Lấy ý kiến dự thảo kế hoạch phát triển kinh tế - xã hội",
                        "Consultation on draft socio-economic plans",
                        a25,
                    ),
                    it(
                        "com_land_compensation",
                        "Lấy ý kiến dự thảo quy hoạch, kế hoạch sử dụng đất, phương án bồi thường, hỗ trợ, tái định cư",
                        "Consultation on land use and compensation plans",
                        a25,
                    ),
                    it(
                        "com_rules",
                        "Lấy ý kiến dự thảo quy chế thực hiện dân chủ ở xã",
                        "Consultation on the draft democracy rules",
                        a25,
                    ),
                    it(
                        "com_units",
                        "Lấy ý kiến về thành lập, nhập, chia, đặt tên, đổi tên đơn vị hành chính",
                        "Consultation on unit mergers and renamings",
                        a25,
                    ),
                    it(
                        "com_explanation",
                        "Tổng hợp, giải trình, tiếp thu ý kiến của Nhân dân",
                        "Report explaining comments received and accepted",
                        a25,
                    ),
                ],
            ),
            crit(
                "people_supervise",
                PeopleSupervise,
                "Nhân dân kiểm tra, giám sát",
                "People check and supervise",
                vec![
                    it(
                        "sup_inspection_board",
                        "Ban Thanh tra nhân dân được kiện toàn, có chương trình và hoạt động theo chương trình",
                        "The people's inspection board is in place and works to its programme",
                        "Điều 36–40",
                    ),
                    it(
                        "sup_investment_board",
                        "Ban Giám sát đầu tư của cộng đồng được thành lập và hoạt động đối với công trình, dự án trên địa bàn",
                        "The community investment supervision board works on local projects",
                        "Điều 30–40",
                    ),
                    it(
                        "sup_dialogue",
                        "Tổ chức hội nghị đối thoại giữa chính quyền xã với Nhân dân",
                        "Dialogue conferences between the commune government and the people",
                        "Điều 30–40",
                    ),
                    it(
                        "sup_citizen_reception",
                        "Tiếp công dân; tiếp nhận, xử lý phản ánh, kiến nghị, khiếu nại, tố cáo",
                        "Citizen reception and handling of complaints and petitions",
                        "Điều 30–40",
                    ),
                ],
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn builtin_template_codes_are_unique_and_every_item_cites_the_law() {
        for t in builtin_templates() {
            let crits: BTreeSet<_> = t.criteria.iter().map(|c| &c.code).collect();
            assert_eq!(crits.len(), t.criteria.len());
            let items: Vec<_> = t.items().map(|(_, i)| &i.code).collect();
            let unique: BTreeSet<_> = items.iter().collect();
            assert_eq!(
                unique.len(),
                items.len(),
                "duplicate item code in {}",
                t.code
            );
            assert!(
                t.items()
                    .all(|(_, i)| i.legal_ref.starts_with(LAW) && i.legal_ref.contains("Điều"))
            );
        }
        let t = find_template(DCS_2023, 1).map(|t| t.items().count());
        assert_eq!(t, Some(24));
    }

    #[test]
    fn current_template_respects_valid_from() {
        let before = Date::ymd(2023, 6, 30).unwrap_or(Date(chrono::NaiveDate::MIN));
        assert!(current_template(DCS_2023, before).is_none());
        let after = Date::ymd(2025, 1, 1).unwrap_or(Date(chrono::NaiveDate::MIN));
        assert_eq!(
            current_template(DCS_2023, after).map(|t| t.version),
            Some(1)
        );
    }
}
