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

vocabulary! {
    /// The outcome of a finding on a checklist item (检查结果).
    Outcome {
        /// 合格.
        Compliant = "COMPLIANT",
        /// 不合格.
        Noncompliant = "NONCOMPLIANT",
        /// 未检查.
        NotChecked = "NOT_CHECKED",
    }
}

vocabulary! {
    /// The kind of a supervision document (执法监督文书).
    DocumentKind {
        /// 《行政执法监督通知书》
        Notice = "NOTICE",
        /// 《行政执法监督决定书》
        Decision = "DECISION",
    }
}

vocabulary! {
    /// The measure a supervision document orders (监督措施).
    Measure {
        /// 责令限期改正
        OrderCorrection = "ORDER_CORRECTION",
        /// 采取相应补救措施
        RemedialMeasures = "REMEDIAL_MEASURES",
        /// 确认违法
        ConfirmIllegal = "CONFIRM_ILLEGAL",
        /// 撤销
        Revoke = "REVOKE",
    }
}

vocabulary! {
    /// The decision on a review request (复查结果).
    ReviewOutcome {
        /// 维持
        Upheld = "UPHELD",
        /// 变更
        Amended = "AMENDED",
        /// 撤销
        Revoked = "REVOKED",
    }
}

vocabulary! {
    /// The kind of a lexicon entry (词条类别).
    LexiconKind {
        /// 简称/别称: an abbreviation or alias (两非, 计生).
        Alias = "ALIAS",
        /// 俗称: a citizen's word for an official one (堕胎药 → 终止妊娠药物).
        Colloquial = "COLLOQUIAL",
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
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(*outcome));
        }
        assert_eq!(LexiconKind::parse("ALIAS"), Some(LexiconKind::Alias));
        assert_eq!(Measure::parse("REVOKE"), Some(Measure::Revoke));
    }
}
