//! Who takes part: agency kinds, user roles and the phases of a round.

closed_enum! {
    /// Kinds of public agency, as grouped in national results.
    AgencyKind {
        Ministry = "ministry", "กระทรวง", "Ministry";
        Department = "department", "กรม", "Department";
        Province = "province", "จังหวัด", "Province";
        ProvincialAdministration = "pao", "องค์การบริหารส่วนจังหวัด", "Provincial administrative organization";
        CityMunicipality = "city_municipality", "เทศบาลนคร", "City municipality";
        TownMunicipality = "town_municipality", "เทศบาลเมือง", "Town municipality";
        SubdistrictMunicipality = "subdistrict_municipality", "เทศบาลตำบล", "Subdistrict municipality";
        SubdistrictAdministration = "sao", "องค์การบริหารส่วนตำบล", "Subdistrict administrative organization";
        StateEnterprise = "state_enterprise", "รัฐวิสาหกิจ", "State enterprise";
        PublicOrganization = "public_organization", "องค์การมหาชน", "Public organization";
        University = "university", "มหาวิทยาลัย", "University";
        Hospital = "hospital", "โรงพยาบาล", "Hospital";
        School = "school", "โรงเรียน", "School";
        Other = "other", "หน่วยงานอื่น", "Other";
    }
}

impl AgencyKind {
    /// The kind a Thai agency name starts with, longest prefix first
    /// ("องค์การบริหารส่วนตำบลหัวหนอง" is a SAO, not a PAO).
    pub fn from_name_th(name: &str) -> Option<AgencyKind> {
        AgencyKind::ALL
            .iter()
            .copied()
            .filter(|k| *k != AgencyKind::Other && name.trim().starts_with(k.name_th()))
            .max_by_key(|k| k.name_th().len())
    }

    /// Whom a memo to the agency's head is addressed to (เรียน …).
    pub fn head_of_th(self, agency_name: &str) -> String {
        let title = match self {
            AgencyKind::Ministry => "ปลัด",
            AgencyKind::Department => "อธิบดี",
            AgencyKind::Province => "ผู้ว่าราชการ",
            AgencyKind::ProvincialAdministration
            | AgencyKind::CityMunicipality
            | AgencyKind::TownMunicipality
            | AgencyKind::SubdistrictMunicipality
            | AgencyKind::SubdistrictAdministration => "นายก",
            AgencyKind::University => "อธิการบดี",
            AgencyKind::StateEnterprise
            | AgencyKind::PublicOrganization
            | AgencyKind::Hospital
            | AgencyKind::School => "ผู้อำนวยการ",
            AgencyKind::Other => "หัวหน้า",
        };
        format!("{title}{}", agency_name.trim())
    }

    /// The unit that writes the report on the agency's behalf (ส่วนราชการ).
    pub fn report_unit_th(self, agency_name: &str) -> String {
        match self {
            AgencyKind::SubdistrictAdministration
            | AgencyKind::ProvincialAdministration
            | AgencyKind::CityMunicipality
            | AgencyKind::TownMunicipality
            | AgencyKind::SubdistrictMunicipality => format!("สำนักปลัด{}", agency_name.trim()),
            _ => agency_name.trim().to_string(),
        }
    }
}

closed_enum! {
    /// What a signed-in user may do.
    Role {
        CentralAdmin = "central_admin", "ผู้ดูแลระบบส่วนกลาง", "Central administrator";
        Assessor = "assessor", "ผู้ประเมิน", "Assessor";
        AgencyAdmin = "agency_admin", "ผู้ดูแลระบบของหน่วยงาน", "Agency administrator";
    }
}

closed_enum! {
    /// The phases of a round, in order.
    Phase {
        Setup = "setup", "เตรียมการและลงทะเบียน", "Setup and registration";
        Collection = "collection", "เก็บข้อมูล IIT EIT และส่งข้อมูล OIT", "Collection (IIT, EIT, OIT submission)";
        Review1 = "review1", "ตรวจ OIT รอบที่ 1", "OIT review, round 1";
        Revision = "revision", "หน่วยงานแก้ไขข้อมูล OIT", "Agency revision";
        Review2 = "review2", "ตรวจ OIT รอบที่ 2", "OIT review, round 2";
        Publication = "publication", "ประมวลผลและประกาศผล", "Scoring and publication";
        FollowUp = "follow_up", "จัดทำรายงานและติดตามแผน", "Report and plan follow-up";
    }
}

impl Phase {
    /// What an agency admin should do in this phase, in Thai.
    pub fn agency_todo_th(self) -> &'static str {
        match self {
            Phase::Setup => "ตรวจสอบข้อมูลหน่วยงานและกรอกจำนวนบุคลากรสำหรับ IIT",
            Phase::Collection => {
                "เผยแพร่ลิงก์และ QR Code ของ IIT และ EIT ติดตามจำนวนผู้ตอบ และกรอก URL หลักฐาน OIT"
            }
            Phase::Review1 => "รอผลการตรวจ OIT รอบที่ 1",
            Phase::Revision => "แก้ไขข้อมูล OIT ในข้อที่ไม่ผ่านตามความเห็นของผู้ประเมิน",
            Phase::Review2 => "รอผลการตรวจ OIT รอบที่ 2",
            Phase::Publication => "ตรวจสอบผลคะแนนที่ประกาศ",
            Phase::FollowUp => "จัดทำรายงานการวิเคราะห์ผล แผนพัฒนา และติดตามความก้าวหน้ารายเดือน",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;
    use std::str::FromStr;

    #[test]
    fn every_value_has_distinct_codes_and_both_names() {
        fn check<T: Copy + fmt::Display + FromStr + PartialEq + fmt::Debug>(
            all: &[T],
            th: fn(T) -> &'static str,
            en: fn(T) -> &'static str,
        ) {
            let mut seen = std::collections::BTreeSet::new();
            for v in all {
                assert!(seen.insert(v.to_string()), "duplicate code {v}");
                assert!(!th(*v).is_empty() && !en(*v).is_empty());
                assert!(matches!(v.to_string().parse::<T>(), Ok(p) if p == *v));
                assert!(matches!(th(*v).parse::<T>(), Ok(p) if p == *v));
            }
        }
        check(AgencyKind::ALL, AgencyKind::name_th, AgencyKind::name_en);
        check(Role::ALL, Role::name_th, Role::name_en);
        check(Phase::ALL, Phase::name_th, Phase::name_en);
        assert_eq!("อบต".parse::<AgencyKind>().ok(), None);
        assert_eq!(
            AgencyKind::from_name_th("องค์การบริหารส่วนตำบลหัวหนอง"),
            Some(AgencyKind::SubdistrictAdministration)
        );
        assert_eq!(
            AgencyKind::from_name_th("เทศบาลตำบลบ้านไผ่"),
            Some(AgencyKind::SubdistrictMunicipality)
        );
        assert_eq!(AgencyKind::from_name_th("สำนักงาน ก"), None);
        assert_eq!(
            AgencyKind::SubdistrictAdministration.head_of_th("องค์การบริหารส่วนตำบลหัวหนอง"),
            "นายกองค์การบริหารส่วนตำบลหัวหนอง"
        );
        assert_eq!(
            "องค์การบริหารส่วนตำบล".parse::<AgencyKind>(),
            Ok(AgencyKind::SubdistrictAdministration)
        );
    }
}
