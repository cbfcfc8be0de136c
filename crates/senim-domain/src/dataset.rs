//! The National AI Platform's data library: datasets and their metadata.
//!
//! A dataset belongs to a data-providing organisation and is kept by its
//! data stewards. Its metadata is public whatever its access level (a
//! closed dataset is described, never served); what it says follows the law:
//! the producer's information in machine-readable form (Law 230-VIII
//! Art. 27), the rightholder's opt-out from AI training (Art. 23 §5),
//! whether it holds personal data and on which legal basis.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::Day;
use crate::clock::Timestamp;
use crate::error::{optional_text, Problems, ValidationError};
use crate::ids::{DatasetId, OrganisationId};
use crate::profile::vocabulary;
use crate::text::LocalizedText;

vocabulary!(
    /// Who may have a dataset's files.
    AccessLevel {
        Open => "open",
        Registered => "registered",
        Restricted => "restricted",
        Closed => "closed",
    }
);

vocabulary!(
    /// Themes, after the EU's data themes (DCAT-AP), in plain words.
    Theme {
        Agriculture => "agriculture",
        Economy => "economy",
        Education => "education",
        Energy => "energy",
        Environment => "environment",
        Government => "government",
        Health => "health",
        International => "international",
        Justice => "justice",
        Regions => "regions",
        Population => "population",
        Science => "science",
        Transport => "transport",
    }
);

impl Theme {
    /// The EU data theme's English label.
    pub fn title_en(self) -> &'static str {
        match self {
            Theme::Agriculture => "Agriculture, fisheries, forestry and food",
            Theme::Economy => "Economy and finance",
            Theme::Education => "Education, culture and sport",
            Theme::Energy => "Energy",
            Theme::Environment => "Environment",
            Theme::Government => "Government and public sector",
            Theme::Health => "Health",
            Theme::International => "International issues",
            Theme::Justice => "Justice, legal system and public safety",
            Theme::Regions => "Regions and cities",
            Theme::Population => "Population and society",
            Theme::Science => "Science and technology",
            Theme::Transport => "Transport",
        }
    }

    /// The EU data theme code (`http://publications.europa.eu/resource/authority/data-theme/<code>`).
    pub fn eu_code(self) -> &'static str {
        match self {
            Theme::Agriculture => "AGRI",
            Theme::Economy => "ECON",
            Theme::Education => "EDUC",
            Theme::Energy => "ENER",
            Theme::Environment => "ENVI",
            Theme::Government => "GOVE",
            Theme::Health => "HEAL",
            Theme::International => "INTR",
            Theme::Justice => "JUST",
            Theme::Regions => "REGI",
            Theme::Population => "SOCI",
            Theme::Science => "TECH",
            Theme::Transport => "TRAN",
        }
    }
}

vocabulary!(
    /// Why personal data in a dataset may be processed.
    LegalBasis {
        Consent => "consent",
        Law => "law",
        Contract => "contract",
        PublicInterest => "public_interest",
        Anonymised => "anonymised",
    }
);

/// A licence the library accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Licence {
    /// The SPDX identifier (`LicenseRef-` for those SPDX does not list).
    pub id: &'static str,
    pub title: &'static str,
    /// Whether it is open in the Open Definition's sense (no restriction on
    /// commercial use or derivatives).
    pub open: bool,
}

/// Licences a dataset may carry.
pub const LICENCES: &[Licence] = &[
    Licence {
        id: "CC0-1.0",
        title: "Creative Commons CCZero",
        open: true,
    },
    Licence {
        id: "CC-BY-4.0",
        title: "Creative Commons Attribution 4.0",
        open: true,
    },
    Licence {
        id: "CC-BY-SA-4.0",
        title: "Creative Commons Attribution Share-Alike 4.0",
        open: true,
    },
    Licence {
        id: "CC-BY-NC-4.0",
        title: "Creative Commons Attribution Non-Commercial 4.0",
        open: false,
    },
    Licence {
        id: "CC-BY-NC-SA-4.0",
        title: "Creative Commons Attribution Non-Commercial Share-Alike 4.0",
        open: false,
    },
    Licence {
        id: "CC-BY-ND-4.0",
        title: "Creative Commons Attribution No-Derivatives 4.0",
        open: false,
    },
    Licence {
        id: "ODbL-1.0",
        title: "Open Data Commons Open Database License 1.0",
        open: true,
    },
    Licence {
        id: "ODC-By-1.0",
        title: "Open Data Commons Attribution License 1.0",
        open: true,
    },
    Licence {
        id: "PDDL-1.0",
        title: "Open Data Commons Public Domain Dedication and License 1.0",
        open: true,
    },
    Licence {
        id: "OGL-UK-3.0",
        title: "Open Government Licence v3.0",
        open: true,
    },
    Licence {
        id: "Apache-2.0",
        title: "Apache License 2.0",
        open: true,
    },
    Licence {
        id: "MIT",
        title: "MIT License",
        open: true,
    },
    Licence {
        id: "LicenseRef-KZ-Open-Data",
        title: "Open data licence of the Republic of Kazakhstan",
        open: true,
    },
    Licence {
        id: "LicenseRef-Proprietary",
        title: "Proprietary licence",
        open: false,
    },
];

/// The licence with this SPDX identifier, if the library accepts it.
pub fn licence(id: &str) -> Option<&'static Licence> {
    LICENCES.iter().find(|l| l.id == id)
}

/// Who produced the data (Law 230-VIII Art. 27: machine-readable when a
/// library is created or transferred).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Producer {
    pub name: String,
    /// The producer's BIN, when an organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// When the data was produced or the library created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Day>,
}

/// The period the data covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Temporal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Day>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Day>,
}

/// A dataset's metadata, as a steward sends it and as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetInput {
    pub title: LocalizedText,
    pub description: LocalizedText,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub themes: Vec<Theme>,
    /// The area covered, in words (e.g. "Almaty region").
    #[serde(default)]
    pub spatial: Option<String>,
    #[serde(default)]
    pub temporal: Option<Temporal>,
    /// An SPDX licence identifier (see [`LICENCES`]).
    pub licence: String,
    pub producer: Producer,
    /// Where the data comes from and what was done to it.
    #[serde(default)]
    pub provenance: Option<String>,
    #[serde(default)]
    pub collection_method: Option<String>,
    pub personal_data: bool,
    /// Required when the dataset holds personal data.
    #[serde(default)]
    pub legal_basis: Option<LegalBasis>,
    /// The rightholder opted out of training AI on the data (Art. 23 §5).
    #[serde(default)]
    pub training_opt_out: bool,
    /// Where the opt-out is expressed (a URL or a document reference).
    #[serde(default)]
    pub opt_out_reference: Option<String>,
    pub access: AccessLevel,
    pub version: String,
    #[serde(default)]
    pub changelog: Option<String>,
    /// The owning organisation; the steward's own when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<OrganisationId>,
}

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;

impl DatasetInput {
    /// Checks every field and reports every problem at once.
    pub fn parse(self) -> Result<DatasetInput, ValidationError> {
        let mut p = Problems::new();
        let mut tp = p.nested("title");
        let title = self.title.parse(500, &mut tp);
        p.absorb(tp);
        let mut dp = p.nested("description");
        let description = self.description.parse(MAX_DESCRIPTION_CHARS, &mut dp);
        p.absorb(dp);
        if self.keywords.len() > 50 {
            p.add("keywords", "must be at most 50");
        }
        let mut keywords = Vec::new();
        for (i, k) in self.keywords.iter().enumerate() {
            if let Some(k) = p.check(&format!("keywords[{i}]"), optional_text(k, 100)) {
                let k = k.to_lowercase();
                if !k.is_empty() && !keywords.contains(&k) {
                    keywords.push(k);
                }
            }
        }
        let mut themes = self.themes.clone();
        themes.sort();
        themes.dedup();
        let short = |p: &mut Problems, field: &str, v: &Option<String>, max: usize| {
            v.as_ref()
                .and_then(|v| p.check(field, optional_text(v, max)))
                .filter(|v| !v.is_empty())
        };
        let spatial = short(&mut p, "spatial", &self.spatial, 500);
        let provenance = short(
            &mut p,
            "provenance",
            &self.provenance,
            MAX_DESCRIPTION_CHARS,
        );
        let collection_method = short(
            &mut p,
            "collection_method",
            &self.collection_method,
            MAX_DESCRIPTION_CHARS,
        );
        let changelog = short(&mut p, "changelog", &self.changelog, MAX_DESCRIPTION_CHARS);
        let opt_out_reference = short(&mut p, "opt_out_reference", &self.opt_out_reference, 1000);
        if licence(&self.licence).is_none() {
            p.add(
                "licence",
                format!(
                    "`{}` is not a licence the library accepts; use an SPDX identifier: {}",
                    self.licence,
                    LICENCES.iter().map(|l| l.id).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        if let Some(t) = &self.temporal {
            if let (Some(a), Some(b)) = (t.start, t.end) {
                if a > b {
                    p.add("temporal.end", "is before temporal.start");
                }
            }
        }
        let producer = Producer {
            name: p
                .check(
                    "producer.name",
                    crate::error::bounded_text(&self.producer.name, 300),
                )
                .unwrap_or_default(),
            bin: match &self.producer.bin {
                Some(b) => p
                    .check("producer.bin", crate::bin::Bin::parse(b))
                    .map(|b| b.as_str().to_string()),
                None => None,
            },
            contact: short(&mut p, "producer.contact", &self.producer.contact, 300),
            created: self.producer.created,
        };
        if self.personal_data && self.legal_basis.is_none() {
            p.add(
                "legal_basis",
                format!(
                    "is required when the dataset holds personal data: one of {}",
                    LegalBasis::NAMES.join(", ")
                ),
            );
        }
        if !self.personal_data && self.legal_basis.is_some() {
            p.add(
                "legal_basis",
                "is given only when the dataset holds personal data",
            );
        }
        let version = p.check("version", crate::error::bounded_text(&self.version, 50));
        p.finish(|| {
            Some(DatasetInput {
                title: title?,
                description: description?,
                keywords,
                themes,
                spatial,
                temporal: self.temporal,
                licence: self.licence,
                producer,
                provenance,
                collection_method,
                personal_data: self.personal_data,
                legal_basis: self.legal_basis,
                training_opt_out: self.training_opt_out,
                opt_out_reference,
                access: self.access,
                version: version?,
                changelog,
                organisation_id: self.organisation_id,
            })
        })
    }
}

/// A dataset in the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Dataset {
    pub id: DatasetId,
    /// The data-providing organisation that owns it.
    pub organisation_id: OrganisationId,
    /// The ETag: updates name the revision they start from.
    pub revision: i64,
    /// The description as the steward gave it (nested, so the input's
    /// strict parsing never meets the record's own fields).
    pub metadata: DatasetInput,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> DatasetInput {
        serde_json::from_value(serde_json::json!({
            "title": {"en": "Hospital admissions 2019-2024"},
            "description": {"en": "Anonymised admissions.", "ru": "Обезличенные госпитализации."},
            "keywords": ["Health", "health", "admissions"],
            "themes": ["health", "population", "health"],
            "licence": "CC-BY-4.0",
            "producer": {"name": "City Hospital No. 1", "bin": "940540000131"},
            "personal_data": true,
            "legal_basis": "anonymised",
            "access": "restricted",
            "version": "1.0"
        }))
        .unwrap()
    }

    #[test]
    fn a_good_dataset_is_cleaned() {
        let d = input().parse().unwrap();
        assert_eq!(d.keywords, vec!["health", "admissions"]);
        assert_eq!(d.themes, vec![Theme::Health, Theme::Population]);
    }

    #[test]
    fn every_problem_is_named() {
        let mut d = input();
        d.licence = "GPL-banana".into();
        d.legal_basis = None;
        d.version = " ".into();
        d.producer.bin = Some("123".into());
        d.temporal = Some(Temporal {
            start: Day::parse("2024-01-01").ok(),
            end: Day::parse("2023-01-01").ok(),
        });
        let fields: Vec<String> = d
            .parse()
            .unwrap_err()
            .0
            .into_iter()
            .map(|f| f.field)
            .collect();
        for f in [
            "licence",
            "legal_basis",
            "version",
            "producer.bin",
            "temporal.end",
        ] {
            assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
        }
    }

    #[test]
    fn unknown_fields_and_levels_are_refused() {
        let r: Result<DatasetInput, _> = serde_json::from_value(serde_json::json!({
            "title": {"en": "x"}, "description": {"en": "x"}, "licence": "MIT",
            "producer": {"name": "x"}, "personal_data": false, "access": "secret", "version": "1"
        }));
        assert!(r.unwrap_err().to_string().contains("secret"));
    }
}

crate::profile::vocabulary!(
    /// A column's type, as detected from the file.
    ColumnType {
        Integer => "integer",
        Number => "number",
        Boolean => "boolean",
        Date => "date",
        Text => "text",
    }
);

/// One column of a tabular file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
}

/// The detected layout of a tabular file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TableSchema {
    pub columns: Vec<Column>,
    pub rows: u64,
}

/// A file of a dataset: stored once by its SHA-256, however many datasets
/// or versions hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Resource {
    pub id: crate::ids::ResourceId,
    pub dataset_id: DatasetId,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
    /// For CSV and Parquet files: the columns and the number of rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<TableSchema>,
    pub created_at: Timestamp,
}

/// Checks a file name: no path, no control characters, at most 255 bytes.
pub fn check_file_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 255 {
        return Err("must be 1 to 255 bytes".into());
    }
    if name.contains(['/', '\\']) || name.starts_with('.') || name.chars().any(char::is_control) {
        return Err(
            "must be a plain file name: no path, no leading dot, no control characters".into(),
        );
    }
    Ok(name.to_string())
}

/// Checks a SHA-256 given as hex; returns it lower-case.
pub fn check_sha256(hex: &str) -> Result<String, String> {
    let hex = hex.trim().to_ascii_lowercase();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("must be a SHA-256: 64 hexadecimal digits".into());
    }
    Ok(hex)
}

impl Resource {
    /// The file's format as open-data catalogues name it (`CSV`, `PARQUET`,
    /// `JSON`...): from the media type when it is a known one, else from the
    /// file name's extension.
    pub fn format(&self) -> String {
        let known = match self.media_type.split(';').next().unwrap_or("").trim() {
            "text/csv" => Some("CSV"),
            "application/vnd.apache.parquet" | "application/x-parquet" => Some("PARQUET"),
            "application/json" => Some("JSON"),
            "application/ld+json" => Some("JSON-LD"),
            "application/geo+json" => Some("GEOJSON"),
            "application/zip" => Some("ZIP"),
            "application/pdf" => Some("PDF"),
            "application/xml" | "text/xml" => Some("XML"),
            "text/plain" => Some("TXT"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some("XLSX"),
            _ => None,
        };
        if let Some(k) = known {
            return k.to_string();
        }
        match self.name.rsplit_once('.') {
            Some((_, ext)) if !ext.is_empty() && ext.len() <= 10 => ext.to_ascii_uppercase(),
            _ => self.media_type.clone(),
        }
    }
}
