//! The Merkle tree of the public audit log: RFC 6962 / RFC 9162 hashing,
//! inclusion and consistency proofs, and their verification. No database,
//! no I/O: the store feeds it hashes, the verifier feeds it proofs.
//!
//! Also C2SP signed notes (Ed25519), checkpoints, tile addressing, proofs
//! computed from tiles (`nodes`), which the store and the verifier share,
//! following rotations of the log's key (`rotation`), and a witness's
//! checks and cosignatures (`witness`, C2SP tlog-witness and
//! tlog-cosignature), and the trust policies that say when a checkpoint
//! counts as witnessed (`policy`, C2SP tlog-policy).

pub mod jcs;
pub mod merkle;
pub mod nodes;
pub mod note;
pub mod policy;
pub mod rotation;
pub mod tile;
pub mod witness;

pub use jcs::{canonical, JcsError};
pub use merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, node_hash, root, verify_consistency,
    verify_inclusion, Hash, ProofError,
};
pub use note::{
    key_id, note_signers, note_text, sign_note, Checkpoint, NoteError, NoteSigner, NoteVerifier,
};
pub use tile::{decode_bundle, encode_bundle, tile_hashes, Tile, TILE_WIDTH};
