//! Answer types that more than one resource's handlers return.

use serde::Serialize;
use utoipa::ToSchema;

use crate::store::NoteStats;

#[derive(Serialize, ToSchema)]
pub struct NoteStatsView {
    pub notes: i64,
    pub error_notes: i64,
    pub general_notes: i64,
    /// Links from the caller's notes to other users' notes.
    pub links_to_others: i64,
    /// Links from other users' public notes to the caller's.
    pub backlinks_from_others: i64,
    /// Resolved errors in the caller's projects that have a note.
    pub resolved_errors_with_notes: i64,
}

impl From<NoteStats> for NoteStatsView {
    fn from(s: NoteStats) -> Self {
        NoteStatsView {
            notes: s.notes,
            error_notes: s.error_notes,
            general_notes: s.general_notes,
            links_to_others: s.links_to_others,
            backlinks_from_others: s.backlinks_from_others,
            resolved_errors_with_notes: s.resolved_errors_with_notes,
        }
    }
}
