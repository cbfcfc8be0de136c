//! A profile as bits, so that a condition is a mask test.
//!
//! Each list field is a bit set over its vocabulary, each enum field a
//! one-hot bit (bit 0 of `legal_exception` means "not set"), and the booleans
//! one bit each. Compiled conditions compare masks; classifying a profile
//! allocates nothing until the outcome is built.

use senim_domain::profile::{
    Affects, Autonomy, FailureImpact, Function, LegalException, Sector, SpecialCategory,
    VulnerableGroup,
};
use senim_domain::Profile;

/// A field a condition can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    List(ListField),
    Enum(EnumField),
    Bool(BoolField),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListField {
    Sectors = 0,
    Functions = 1,
    Affects = 2,
    VulnerableGroups = 3,
    SpecialCategories = 4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnumField {
    Autonomy = 0,
    FailureImpact = 1,
    /// Optional: bit 0 is "not set", value i is bit i + 1.
    LegalException = 2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BoolField {
    RealTime = 0,
    PublicSpaces = 1,
    ExploitsVulnerability = 2,
    InformedConsent = 3,
    PersonalData = 4,
    CriticalIctOrStateResource = 5,
    NarrowProceduralTask = 6,
}

impl Field {
    pub fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "sectors" => Field::List(ListField::Sectors),
            "functions" => Field::List(ListField::Functions),
            "affects" => Field::List(ListField::Affects),
            "vulnerable_groups" => Field::List(ListField::VulnerableGroups),
            "special_categories" => Field::List(ListField::SpecialCategories),
            "autonomy" => Field::Enum(EnumField::Autonomy),
            "failure_impact" => Field::Enum(EnumField::FailureImpact),
            "legal_exception" => Field::Enum(EnumField::LegalException),
            "real_time" => Field::Bool(BoolField::RealTime),
            "public_spaces" => Field::Bool(BoolField::PublicSpaces),
            "exploits_vulnerability" => Field::Bool(BoolField::ExploitsVulnerability),
            "informed_consent" => Field::Bool(BoolField::InformedConsent),
            "personal_data" => Field::Bool(BoolField::PersonalData),
            "critical_ict_or_state_resource" => Field::Bool(BoolField::CriticalIctOrStateResource),
            "narrow_procedural_task" => Field::Bool(BoolField::NarrowProceduralTask),
            _ => return None,
        })
    }
}

impl ListField {
    /// The field's vocabulary, in bit order.
    pub fn values(self) -> &'static [&'static str] {
        match self {
            ListField::Sectors => Sector::NAMES,
            ListField::Functions => Function::NAMES,
            ListField::Affects => Affects::NAMES,
            ListField::VulnerableGroups => VulnerableGroup::NAMES,
            ListField::SpecialCategories => SpecialCategory::NAMES,
        }
    }
}

impl EnumField {
    /// The field's values, in bit order (after "not set" for the optional one).
    pub fn values(self) -> &'static [&'static str] {
        match self {
            EnumField::Autonomy => Autonomy::NAMES,
            EnumField::FailureImpact => FailureImpact::NAMES,
            EnumField::LegalException => LegalException::NAMES,
        }
    }

    /// The bit for value `index` of [`EnumField::values`].
    pub fn bit(self, index: usize) -> u32 {
        match self {
            EnumField::LegalException => 1 << (index + 1),
            _ => 1 << index,
        }
    }

    /// How many bits the field uses.
    pub fn width(self) -> usize {
        match self {
            EnumField::LegalException => self.values().len() + 1,
            _ => self.values().len(),
        }
    }
}

/// A profile as masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    pub lists: [u32; 5],
    pub enums: [u32; 3],
    pub bools: u32,
}

fn mask<T: Copy + PartialEq>(values: &[T], all: &[T]) -> u32 {
    values
        .iter()
        .filter_map(|v| all.iter().position(|a| a == v))
        .fold(0, |m, i| m | (1 << i))
}

fn one_hot<T: Copy + PartialEq>(value: T, all: &[T]) -> u32 {
    all.iter()
        .position(|a| *a == value)
        .map(|i| 1 << i)
        .unwrap_or(0)
}

impl Facts {
    pub fn of(p: &Profile) -> Facts {
        let legal = match p.legal_exception {
            None => 1,
            Some(v) => one_hot(v, LegalException::ALL) << 1,
        };
        let bools = [
            p.real_time,
            p.public_spaces,
            p.exploits_vulnerability,
            p.informed_consent,
            p.personal_data,
            p.critical_ict_or_state_resource,
            p.narrow_procedural_task,
        ]
        .iter()
        .enumerate()
        .fold(0, |m, (i, b)| if *b { m | (1 << i) } else { m });
        Facts {
            lists: [
                mask(&p.sectors, Sector::ALL),
                mask(&p.functions, Function::ALL),
                mask(&p.affects, Affects::ALL),
                mask(&p.vulnerable_groups, VulnerableGroup::ALL),
                mask(&p.special_categories, SpecialCategory::ALL),
            ],
            enums: [
                one_hot(p.autonomy, Autonomy::ALL),
                one_hot(p.failure_impact, FailureImpact::ALL),
                legal,
            ],
            bools,
        }
    }
}

/// A compiled condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    /// The list field has at least one of the values in the mask.
    ListHasAny(ListField, u32),
    /// The enum field's value is one of the mask's bits.
    EnumIn(EnumField, u32),
    BoolIs(BoolField, bool),
}

impl Cond {
    pub fn holds(&self, f: &Facts) -> bool {
        match self {
            Cond::All(cs) => cs.iter().all(|c| c.holds(f)),
            Cond::Any(cs) => cs.iter().any(|c| c.holds(f)),
            Cond::Not(c) => !c.holds(f),
            Cond::ListHasAny(field, m) => f.lists[*field as usize] & m != 0,
            Cond::EnumIn(field, m) => f.enums[*field as usize] & m != 0,
            Cond::BoolIs(field, v) => (f.bools & (1 << *field as u32) != 0) == *v,
        }
    }

    /// The bits of each field this condition looks at.
    pub(crate) fn mentions(&self, lists: &mut [u32; 5], enums: &mut [bool; 3], bools: &mut u32) {
        match self {
            Cond::All(cs) | Cond::Any(cs) => {
                cs.iter().for_each(|c| c.mentions(lists, enums, bools))
            }
            Cond::Not(c) => c.mentions(lists, enums, bools),
            Cond::ListHasAny(field, m) => lists[*field as usize] |= m,
            Cond::EnumIn(field, _) => enums[*field as usize] = true,
            Cond::BoolIs(field, _) => *bools |= 1 << *field as u32,
        }
    }
}
