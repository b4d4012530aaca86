//! The closed vocabularies of a responsibility list, stored as their upper-case names.

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses a stored value; `None` for anything outside the vocabulary.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary! {
    /// What kind of body a department (部门/单位) is.
    DepartmentKind {
        /// 部门: a county government department.
        Department = "DEPARTMENT",
        /// 内设机构/直属单位: a unit (股, 站) of a department.
        InternalUnit = "INTERNAL_UNIT",
        /// 党的机关: e.g. the discipline commission (纪委).
        PartyOrgan = "PARTY_ORGAN",
        /// 乡镇: a township government.
        Township = "TOWNSHIP",
        /// 上级机关: an upper-level body.
        UpperLevel = "UPPER_LEVEL",
    }
}

vocabulary! {
    /// A department's role in a boundary matter.
    DivisionRole {
        /// 牵头: leads the matter.
        Lead = "LEAD",
        /// 配合: assists.
        Assist = "ASSIST",
    }
}

vocabulary! {
    /// The kind of a section of a supervision regime.
    SectionKind {
        Object = "OBJECT",
        Content = "CONTENT",
        Method = "METHOD",
        Procedure = "PROCEDURE",
        MethodAndProcedure = "METHOD_AND_PROCEDURE",
        Measure = "MEASURE",
        Handling = "HANDLING",
        Standard = "STANDARD",
    }
}

vocabulary! {
    /// How the day limits of a regime are counted.
    DayCount {
        /// 自然日: calendar days.
        Natural = "NATURAL",
        /// 工作日: working days, per the loaded calendar.
        Working = "WORKING",
    }
}

vocabulary! {
    /// Why a list version was published (调整原因).
    ReasonKind {
        /// 法律法规立改废.
        LawChange = "LAW_CHANGE",
        /// 机构改革.
        Reorganisation = "REORGANISATION",
        /// 勘误.
        Correction = "CORRECTION",
        /// 其他.
        Other = "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary__round_trips_every_value() {
        for kind in DepartmentKind::ALL {
            assert_eq!(DepartmentKind::parse(kind.as_str()), Some(*kind));
        }
        for kind in SectionKind::ALL {
            assert_eq!(SectionKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(DivisionRole::parse("牵头"), None);
    }
}
