//! A transparency log trust policy (C2SP `tlog-policy`): the logs whose
//! checkpoints are accepted, the witnesses, their groups, and the quorum
//! of cosignatures a checkpoint needs to count as witnessed.
//!
//! ```text
//! log <vkey> [<url>]
//! witness <name> <vkey> [<url>]
//! group <name> all|any|<k> <name>...
//! quorum <name>|none
//! ```
//!
//! A group (or the quorum) may only name witnesses and groups defined on
//! lines before it, each at most once; `#` starts a comment line.

use crate::note::{NoteError, NoteVerifier};
use crate::witness::CosignatureVerifier;

/// Why a policy does not read, or a checkpoint does not meet it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    #[error("the policy has no quorum line")]
    NoQuorum,
    #[error("the checkpoint is not signed by a log the policy lists")]
    UnknownLog,
    #[error("the checkpoint is not witnessed as the policy's quorum requires: cosigned by {}", listed(.cosigned))]
    NotWitnessed { cosigned: Vec<String> },
}

fn listed(names: &[String]) -> String {
    if names.is_empty() {
        "no witness it lists".into()
    } else {
        names.join(", ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Debug, Clone)]
struct Group {
    threshold: usize,
    members: Vec<Member>,
}

/// A parsed policy.
#[derive(Debug, Clone)]
pub struct Policy {
    logs: Vec<NoteVerifier>,
    witnesses: Vec<(String, CosignatureVerifier)>,
    groups: Vec<(String, Group)>,
    /// `None` for `quorum none`.
    quorum: Option<Member>,
}

impl Policy {
    /// Reads a policy file's text.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let mut policy = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        };
        let mut quorum_seen = false;
        for (n, raw) in text.split('\n').enumerate() {
            let line = n + 1;
            let fail = |reason: String| PolicyError::Syntax { line, reason };
            if raw.chars().any(|c| c.is_control() && c != '\t') {
                return Err(fail("control characters".into()));
            }
            let words: Vec<&str> = raw.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            let Some(first) = words.first() else {
                continue;
            };
            if first.starts_with('#') {
                continue;
            }
            let key_error = |e: NoteError| fail(e.to_string());
            match (*first, words.len()) {
                ("log", 2 | 3) => {
                    let key = NoteVerifier::parse(words[1]).map_err(key_error)?;
                    if policy
                        .logs
                        .iter()
                        .any(|l| same_key(&l.verifier_key(), &key.verifier_key()))
                    {
                        return Err(fail("a log listed twice".into()));
                    }
                    policy.logs.push(key);
                }
                ("witness", 3 | 4) => {
                    let name = words[1];
                    policy.check_new_name(name).map_err(fail)?;
                    let key = CosignatureVerifier::parse(words[2]).map_err(key_error)?;
                    if policy
                        .witnesses
                        .iter()
                        .any(|(_, w)| same_key(&w.verifier_key(), &key.verifier_key()))
                    {
                        return Err(fail("a witness listed twice".into()));
                    }
                    policy.witnesses.push((name.to_string(), key));
                }
                ("group", n) if n >= 4 => {
                    let name = words[1];
                    policy.check_new_name(name).map_err(fail)?;
                    let mut members = Vec::new();
                    for member in &words[3..] {
                        let m = policy
                            .member(member)
                            .ok_or_else(|| fail(format!("`{member}` is not defined before")))?;
                        if members.contains(&m) {
                            return Err(fail(format!("`{member}` is listed twice")));
                        }
                        members.push(m);
                    }
                    let threshold = match words[2] {
                        "all" => members.len(),
                        "any" => 1,
                        k => k
                            .parse::<usize>()
                            .ok()
                            .filter(|k| {
                                (1..=members.len()).contains(k) && k.to_string() == words[2]
                            })
                            .ok_or_else(|| {
                                fail(format!(
                                    "the threshold must be all, any or 1 to {}",
                                    members.len()
                                ))
                            })?,
                    };
                    policy
                        .groups
                        .push((name.to_string(), Group { threshold, members }));
                }
                ("quorum", 2) => {
                    if quorum_seen {
                        return Err(fail("a second quorum line".into()));
                    }
                    quorum_seen = true;
                    policy.quorum = match words[1] {
                        "none" => None,
                        name => Some(
                            policy
                                .member(name)
                                .ok_or_else(|| fail(format!("`{name}` is not defined before")))?,
                        ),
                    };
                }
                _ => return Err(fail(format!("not a policy line: {raw}"))),
            }
        }
        if !quorum_seen {
            return Err(PolicyError::NoQuorum);
        }
        Ok(policy)
    }

    fn check_new_name(&self, name: &str) -> Result<(), String> {
        if name == "none" {
            return Err("`none` is not a name to define".into());
        }
        if self.member(name).is_some() {
            return Err(format!("`{name}` is defined twice"));
        }
        Ok(())
    }

    fn member(&self, name: &str) -> Option<Member> {
        if let Some(i) = self.witnesses.iter().position(|(n, _)| n == name) {
            return Some(Member::Witness(i));
        }
        self.groups
            .iter()
            .position(|(n, _)| n == name)
            .map(Member::Group)
    }

    /// Whether `note` (a checkpoint with its signature lines) meets the
    /// policy: signed by one of its logs (when it lists any; a caller that
    /// checks the log's key itself may list none), and cosigned as its
    /// quorum requires. The names of the witnesses whose cosignatures
    /// verify.
    pub fn check(&self, note: &str) -> Result<Vec<String>, PolicyError> {
        if !self.logs.is_empty() && !self.logs.iter().any(|l| l.open(note).is_ok()) {
            return Err(PolicyError::UnknownLog);
        }
        let cosigned: Vec<bool> = self
            .witnesses
            .iter()
            .map(|(_, key)| key.verify(note).is_ok())
            .collect();
        let names = self
            .witnesses
            .iter()
            .zip(&cosigned)
            .filter(|(_, ok)| **ok)
            .map(|((name, _), _)| name.clone())
            .collect::<Vec<_>>();
        let met = match self.quorum {
            None => true,
            Some(m) => self.witnessed(m, &cosigned),
        };
        if met {
            Ok(names)
        } else {
            Err(PolicyError::NotWitnessed { cosigned: names })
        }
    }

    fn witnessed(&self, member: Member, cosigned: &[bool]) -> bool {
        match member {
            Member::Witness(i) => cosigned[i],
            Member::Group(g) => {
                let group = &self.groups[g].1;
                group
                    .members
                    .iter()
                    .filter(|m| self.witnessed(**m, cosigned))
                    .count()
                    >= group.threshold
            }
        }
    }
}

/// Whether two vkeys wrap the same public key (their names and ids aside).
fn same_key(a: &str, b: &str) -> bool {
    a.rsplit('+').next() == b.rsplit('+').next()
}
