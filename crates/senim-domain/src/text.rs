//! Text in Kazakh, Russian and English.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{optional_text, Problems};

/// A name or title in the three languages of the service; at least one is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalizedText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ru: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl LocalizedText {
    /// Trims each language, drops empty ones, and requires at least one.
    pub fn parse(&self, max: usize, problems: &mut Problems) -> Option<LocalizedText> {
        let mut out = LocalizedText::default();
        let mut ok = true;
        for (lang, value, slot) in [
            ("kk", &self.kk, &mut out.kk),
            ("ru", &self.ru, &mut out.ru),
            ("en", &self.en, &mut out.en),
        ] {
            if let Some(v) = value {
                match optional_text(v, max) {
                    Ok(t) if t.is_empty() => {}
                    Ok(t) => *slot = Some(t),
                    Err(reason) => {
                        problems.add(lang, reason);
                        ok = false;
                    }
                }
            }
        }
        if ok && out.kk.is_none() && out.ru.is_none() && out.en.is_none() {
            problems.add("", "needs at least one of kk, ru, en");
            return None;
        }
        ok.then_some(out)
    }

    /// The text in `lang`, falling back to the others in a fixed order.
    pub fn get(&self, lang: &str) -> &str {
        let preferred = match lang {
            "kk" => &self.kk,
            "ru" => &self.ru,
            _ => &self.en,
        };
        preferred
            .as_deref()
            .or(self.en.as_deref())
            .or(self.ru.as_deref())
            .or(self.kk.as_deref())
            .unwrap_or("")
    }

    /// All languages joined, for search.
    pub fn joined(&self) -> String {
        [&self.kk, &self.ru, &self.en]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }
}
