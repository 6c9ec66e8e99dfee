//! Policy drift: a found site's statically known params against its domain's preset.
//! (Filled in with the policy engine; until then nothing is compared.)

use crate::finding::Finding;

/// `Some(true)` when the site's known params equal its domain preset, `Some(false)` when they differ,
/// `None` when the site has no params to compare.
pub fn conforms(_f: &Finding) -> Option<bool> {
    None
}
