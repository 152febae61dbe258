//! Deterministic tag extraction: keywords and synonyms (several languages) to inventory tags.
//!
//! Tags are short ASCII codes: services (`van`, `wheelchair`, `driver`), places (`city:lisbon`)
//! and days (`day:saturday`). Text is folded (lowercase, Latin accents removed) and split into
//! words; a synonym is a sequence of 1..=4 words that must appear as whole consecutive words, so
//! `vanilla` is not a `van` and `cadeira de rodas` matches only as a phrase.
//!
//! Matching a request to a vendor (see [`TagSet::matches_request`]):
//! - at least one *service* tag (no `:` namespace) in common;
//! - when the request names cities, the vendor serves at least one of them (a place is a hard
//!   constraint, not a ranking hint);
//! - `day:` tags are kept on the request for the vendor to read but never decide a match.

use std::collections::BTreeSet;
use std::fmt;

use crate::text::{fold, words};

/// Why a tag or a synonyms table was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("a tag must be 1 to 40 characters of [a-z0-9_-], optionally after one `namespace:`")]
    BadTag,
    #[error("a synonym must be 1 to 4 words of at most 40 characters in total")]
    BadPhrase,
    #[error("a synonyms table may hold at most 2000 entries")]
    TooManyEntries,
}

/// Why an operator's tag list was refused. Names the entry by position, never its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TagListError {
    #[error("entry {position} is not valid: {source}")]
    BadEntry {
        /// 1-based, counting empty entries.
        position: usize,
        source: TagError,
    },
    #[error("needs at least one service tag (e.g. van), not only city:/day: tags")]
    NoServiceTag,
}

/// An inventory tag, e.g. `van` or `city:lisbon`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    pub const MAX_LEN: usize = 40;

    pub fn new(raw: &str) -> Result<Self, TagError> {
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(TagError::BadTag);
        }
        let (namespace, name) = match raw.split_once(':') {
            Some((ns, name)) => (Some(ns), name),
            None => (None, raw),
        };
        let part_ok = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        };
        if !part_ok(name) || namespace.is_some_and(|ns| !part_ok(ns)) {
            return Err(TagError::BadTag);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `city:lisbon` → `Some("city")`.
    pub fn namespace(&self) -> Option<&str> {
        self.0.split_once(':').map(|(ns, _)| ns)
    }

    pub fn is_city(&self) -> bool {
        self.namespace() == Some("city")
    }

    /// A service tag has no namespace: it is what a vendor offers.
    pub fn is_service(&self) -> bool {
        self.namespace().is_none()
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({})", self.0)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A sorted set of tags.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagSet(BTreeSet<Tag>);

impl TagSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, tag: Tag) -> bool {
        self.0.insert(tag)
    }

    pub fn contains(&self, tag: &Tag) -> bool {
        self.0.contains(tag)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.0.iter()
    }

    /// Whether the request has at least one service tag: without one it cannot match anyone.
    pub fn has_service(&self) -> bool {
        self.0.iter().any(Tag::is_service)
    }

    /// Service tags in common with `request`, or `None` when this vendor's set does not match the
    /// request at all (no common service, or none of the request's cities). See the module docs.
    pub fn matches_request(&self, request: &TagSet) -> Option<usize> {
        let overlap = request
            .iter()
            .filter(|t| t.is_service() && self.contains(t))
            .count();
        if overlap == 0 {
            return None;
        }
        let mut cities = request.iter().filter(|t| t.is_city()).peekable();
        if cities.peek().is_some() && !cities.any(|c| self.contains(c)) {
            return None;
        }
        Some(overlap)
    }

    /// `van,wheelchair,city:lisbon`: how the store keeps a vendor's tags and operators list them
    /// (what [`TagSet::parse_vendor_tags`] reads back).
    pub fn comma_separated(&self) -> String {
        self.0.iter().map(Tag::as_str).collect::<Vec<_>>().join(",")
    }

    /// `van, wheelchair, city:lisbon` for humans.
    pub fn joined(&self) -> String {
        self.0
            .iter()
            .map(Tag::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl TagSet {
    /// A vendor's inventory as operators write it: comma-separated tags, case-insensitive,
    /// empty entries skipped; at least one service tag (a vendor offering only a city offers
    /// nothing).
    pub fn parse_vendor_tags(raw: &str) -> Result<Self, TagListError> {
        let mut tags = Self::new();
        for (i, t) in raw.split(',').map(str::trim).enumerate() {
            if t.is_empty() {
                continue;
            }
            let tag = Tag::new(&t.to_lowercase()).map_err(|source| TagListError::BadEntry {
                position: i + 1,
                source,
            })?;
            tags.insert(tag);
        }
        if !tags.has_service() {
            return Err(TagListError::NoServiceTag);
        }
        Ok(tags)
    }
}

impl FromIterator<Tag> for TagSet {
    fn from_iter<I: IntoIterator<Item = Tag>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Extra synonyms an operator configures, added to (never replacing) the default table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagConfig {
    /// `(phrase, tag)`, e.g. `("tuk tuk", "tuktuk")` or `("evora", "city:evora")`.
    pub synonyms: Vec<(String, String)>,
    /// Leave out the built-in table (tests, or an operator who wants full control).
    pub without_defaults: bool,
}

/// The built-in synonyms: `(tag, phrases)`. English, Portuguese, Spanish, French, German,
/// Italian and Dutch; phrases are written folded (no accents, lowercase).
const DEFAULT_SYNONYMS: &[(&str, &[&str])] = &[
    (
        "van",
        &[
            "van",
            "vans",
            "minibus",
            "minibuses",
            "minivan",
            "minivans",
            "people carrier",
            "carrinha",
            "carrinhas",
            "furgoneta",
            "furgonetas",
            "monovolume",
            "monovolumen",
            "monospace",
            "kleinbus",
            "pulmino",
            "busje",
        ],
    ),
    (
        "wheelchair",
        &[
            "wheelchair",
            "wheelchairs",
            "accessible",
            "accessibility",
            "reduced mobility",
            "cadeira de rodas",
            "acessivel",
            "mobilidade reduzida",
            "silla de ruedas",
            "accesible",
            "movilidad reducida",
            "fauteuil roulant",
            "pmr",
            "rollstuhl",
            "rollstuhlgerecht",
            "barrierefrei",
            "sedia a rotelle",
            "accessibile",
            "rolstoel",
            "toegankelijk",
        ],
    ),
    (
        "car",
        &[
            "car", "cars", "carro", "coche", "voiture", "sedan", "saloon",
        ],
    ),
    ("taxi", &["taxi", "taxis", "cab", "cabs"]),
    (
        "driver",
        &[
            "driver",
            "chauffeur",
            "motorista",
            "conductor",
            "fahrer",
            "autista",
        ],
    ),
    (
        "airport",
        &[
            "airport",
            "aeroporto",
            "aeropuerto",
            "aeroport",
            "flughafen",
            "luchthaven",
        ],
    ),
    (
        "guide",
        &[
            "guide",
            "tour guide",
            "guia",
            "guia turistico",
            "reisefuhrer",
            "fremdenfuhrer",
            "gids",
        ],
    ),
    (
        "translator",
        &[
            "translator",
            "interpreter",
            "tradutor",
            "interprete",
            "traductor",
            "traducteur",
            "dolmetscher",
            "ubersetzer",
            "traduttore",
            "tolk",
        ],
    ),
    (
        "accommodation",
        &[
            "hotel",
            "hostel",
            "apartment",
            "accommodation",
            "alojamento",
            "alojamiento",
            "hebergement",
            "unterkunft",
            "alloggio",
        ],
    ),
    (
        "nurse",
        &[
            "nurse",
            "caregiver",
            "carer",
            "enfermeira",
            "enfermeiro",
            "cuidador",
            "enfermera",
            "infirmiere",
            "pflegekraft",
            "infermiera",
        ],
    ),
    (
        "city:lisbon",
        &["lisbon", "lisboa", "lisbonne", "lissabon", "lisbona"],
    ),
    ("city:porto", &["porto", "oporto"]),
    ("city:faro", &["faro"]),
    ("city:sintra", &["sintra"]),
    ("city:cascais", &["cascais"]),
    ("city:coimbra", &["coimbra"]),
    ("city:madrid", &["madrid"]),
    ("city:barcelona", &["barcelona"]),
    ("city:seville", &["seville", "sevilla"]),
    ("city:paris", &["paris", "parigi", "parijs"]),
    ("city:london", &["london", "londres", "londra", "londen"]),
    ("city:berlin", &["berlin", "berlim", "berlino", "berlijn"]),
    ("city:rome", &["rome", "roma", "rom"]),
    ("city:amsterdam", &["amsterdam", "amsterda", "amsterdao"]),
    (
        "day:monday",
        &[
            "monday",
            "segunda",
            "segunda feira",
            "lunes",
            "lundi",
            "montag",
            "lunedi",
            "maandag",
        ],
    ),
    (
        "day:tuesday",
        &[
            "tuesday",
            "terca",
            "terca feira",
            "martes",
            "mardi",
            "dienstag",
            "martedi",
            "dinsdag",
        ],
    ),
    (
        "day:wednesday",
        &[
            "wednesday",
            "quarta",
            "quarta feira",
            "miercoles",
            "mercredi",
            "mittwoch",
            "mercoledi",
            "woensdag",
        ],
    ),
    (
        "day:thursday",
        &[
            "thursday",
            "quinta feira",
            "jueves",
            "jeudi",
            "donnerstag",
            "giovedi",
            "donderdag",
        ],
    ),
    (
        "day:friday",
        &[
            "friday",
            "sexta",
            "sexta feira",
            "viernes",
            "vendredi",
            "freitag",
            "venerdi",
            "vrijdag",
        ],
    ),
    (
        "day:saturday",
        &[
            "saturday", "sabado", "samedi", "samstag", "sabato", "zaterdag",
        ],
    ),
    (
        "day:sunday",
        &[
            "sunday", "domingo", "dimanche", "sonntag", "domenica", "zondag",
        ],
    ),
];

/// Folded phrase words → tag.
#[derive(Debug, Clone)]
pub struct TagExtractor {
    entries: Vec<(Vec<String>, Tag)>,
}

impl TagExtractor {
    pub const MAX_PHRASE_WORDS: usize = 4;
    pub const MAX_PHRASE_LEN: usize = 40;
    pub const MAX_ENTRIES: usize = 2000;
    /// A request keeps at most this many tags: a text listing every keyword cannot match every
    /// vendor with a huge overlap.
    pub const MAX_TAGS: usize = 12;

    /// The default table plus `config`'s synonyms.
    ///
    /// # Errors
    /// [`TagError`] when a configured tag or phrase is malformed or the table is too large.
    pub fn new(config: &TagConfig) -> Result<Self, TagError> {
        let mut entries = Vec::new();
        if !config.without_defaults {
            for (tag, phrases) in DEFAULT_SYNONYMS {
                let tag = Tag::new(tag)?;
                for phrase in *phrases {
                    entries.push((phrase_words(phrase)?, tag.clone()));
                }
            }
        }
        if entries.len().saturating_add(config.synonyms.len()) > Self::MAX_ENTRIES {
            return Err(TagError::TooManyEntries);
        }
        for (phrase, tag) in &config.synonyms {
            entries.push((phrase_words(phrase)?, Tag::new(tag)?));
        }
        // Longest phrases first, so `cadeira de rodas` is tried before a one-word synonym.
        entries.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
        entries.dedup();
        Ok(Self { entries })
    }

    /// Every tag whose synonym appears in `text` as whole words, at most [`Self::MAX_TAGS`]
    /// (the first found, in text order). Deterministic and total.
    pub fn extract(&self, text: &str) -> TagSet {
        let folded = fold(text);
        let words = words(&folded);
        let mut found = TagSet::new();
        for start in 0..words.len() {
            for (phrase, tag) in &self.entries {
                let end = start.saturating_add(phrase.len());
                let Some(window) = words.get(start..end) else {
                    continue;
                };
                if window.iter().zip(phrase).all(|(w, p)| *w == p.as_str()) {
                    if found.len() >= Self::MAX_TAGS && !found.contains(tag) {
                        return found;
                    }
                    found.insert(tag.clone());
                }
            }
        }
        found
    }
}

fn phrase_words(phrase: &str) -> Result<Vec<String>, TagError> {
    if phrase.len() > TagExtractor::MAX_PHRASE_LEN {
        return Err(TagError::BadPhrase);
    }
    let folded = fold(phrase);
    let ws: Vec<String> = words(&folded).into_iter().map(str::to_owned).collect();
    if ws.is_empty() || ws.len() > TagExtractor::MAX_PHRASE_WORDS {
        return Err(TagError::BadPhrase);
    }
    Ok(ws)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tags(text: &str) -> Vec<String> {
        TagExtractor::new(&TagConfig::default())
            .unwrap()
            .extract(text)
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect()
    }

    #[test]
    fn extracts_service_city_and_day_in_english() {
        assert_eq!(
            tags("I need a wheelchair-accessible van in Lisbon on Saturday"),
            ["city:lisbon", "day:saturday", "van", "wheelchair"]
        );
    }

    #[test]
    fn extracts_the_same_tags_in_portuguese_spanish_french_german() {
        let want = ["city:lisbon", "van", "wheelchair"];
        assert_eq!(
            tags("Preciso de uma carrinha para cadeira de rodas em Lisboa"),
            want
        );
        assert_eq!(tags("Necesito una furgoneta accesible en Lisboa"), want);
        assert_eq!(
            tags("Je cherche un minibus pour fauteuil roulant à Lisbonne"),
            want
        );
        assert_eq!(tags("Kleinbus mit Rollstuhl in LISSABON"), want);
    }

    #[test]
    fn keywords_match_whole_words_only() {
        assert!(tags("vanilla ice cream in caravan").is_empty());
        assert!(tags("cadeira").is_empty());
    }

    #[test]
    fn configured_synonyms_extend_the_defaults() {
        let config = TagConfig {
            synonyms: vec![
                ("tuk tuk".into(), "tuktuk".into()),
                ("Évora".into(), "city:evora".into()),
            ],
            without_defaults: false,
        };
        let ex = TagExtractor::new(&config).unwrap();
        assert_eq!(
            ex.extract("a TUK-TUK in evora").joined(),
            "city:evora, tuktuk"
        );
        assert_eq!(ex.extract("van").joined(), "van");
    }

    #[test]
    fn malformed_config_is_rejected() {
        for (phrase, tag) in [
            ("", "x"),
            ("a b c d e", "x"),
            ("ok", "Bad"),
            ("ok", "a:b:c"),
            ("ok", ""),
        ] {
            let config = TagConfig {
                synonyms: vec![(phrase.into(), tag.into())],
                without_defaults: true,
            };
            assert!(TagExtractor::new(&config).is_err(), "{phrase:?} {tag:?}");
        }
    }

    #[test]
    fn request_city_is_a_hard_constraint() {
        let ex = TagExtractor::new(&TagConfig::default()).unwrap();
        let request = ex.extract("van in Lisbon");
        let porto_van = ex.extract("van porto");
        let lisbon_van = ex.extract("van lisbon wheelchair");
        assert_eq!(porto_van.matches_request(&request), None);
        assert_eq!(lisbon_van.matches_request(&request), Some(1));
        // A city alone matches nobody: it would reach every vendor in town.
        assert_eq!(lisbon_van.matches_request(&ex.extract("Lisbon")), None);
    }

    proptest! {
        #[test]
        fn extraction_is_total_and_bounded(s in "\\PC{0,300}") {
            let ex = TagExtractor::new(&TagConfig::default()).unwrap();
            prop_assert!(ex.extract(&s).len() <= TagExtractor::MAX_TAGS);
        }
    }
}
