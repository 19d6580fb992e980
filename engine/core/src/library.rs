//! engram's standard rule library for agent memory (`rules/` in the repository), built into
//! the binary so that `engram init` and `.include "types.dl"` work from any directory.

use crate::sources::Source;

/// The library's files, by file name, in the order `engram init` attaches them (a file after
/// the files it includes).
pub const FILES: &[(&str, &str)] = &[
    ("schema.dl", include_str!("../../../rules/schema.dl")),
    (
        "transitive.dl",
        include_str!("../../../rules/transitive.dl"),
    ),
    ("types.dl", include_str!("../../../rules/types.dl")),
    ("inverse.dl", include_str!("../../../rules/inverse.dl")),
    (
        "neighbours.dl",
        include_str!("../../../rules/neighbours.dl"),
    ),
    ("affinity.dl", include_str!("../../../rules/affinity.dl")),
    ("merge.dl", include_str!("../../../rules/merge.dl")),
    (
        "consolidate.dl",
        include_str!("../../../rules/consolidate.dl"),
    ),
    (
        "constraints.dl",
        include_str!("../../../rules/constraints.dl"),
    ),
    ("memory.dl", include_str!("../../../rules/memory.dl")),
];

/// The library's intermediate relations: steps of its rules (neighbourhoods, pair counts,
/// keys), which `export` leaves out (a query still reads them).
pub const HELPERS: &[&str] = &[
    "neighbour",
    "node",
    "tag_name",
    "hub",
    "spoke",
    "shared_neighbours",
    "hub_tag",
    "tagged",
    "shared_tags",
    "entity_key",
    "overlap",
    "cluster",
    "recent_topic",
    "topic",
];

/// The text of a library file named as `.include` names it (`types.dl`; a directory part is
/// ignored).
pub(crate) fn file(path: &str) -> Option<&'static str> {
    let name = std::path::Path::new(path).file_name()?.to_str()?;
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The rule files `engram init` attaches to a new store: every file of the library but
/// `memory.dl` (which only includes them), each named by its stem (`types`), so that one
/// family can be removed (`engram rules remove affinity`) and the others still find the files
/// they include.
pub fn default_rules() -> Vec<Source> {
    FILES
        .iter()
        .filter(|(name, _)| *name != "memory.dl")
        .map(|(name, text)| Source {
            name: name.trim_end_matches(".dl").to_string(),
            text: text.to_string(),
        })
        .collect()
}

/// Whether `name` is the name `engram init` gives one of the library's files (`schema`,
/// `affinity`, ...): replacing or emptying one changes what every memory derives.
pub fn is_standard(name: &str) -> bool {
    FILES
        .iter()
        .any(|(file, _)| file.trim_end_matches(".dl") == name)
}

/// A library file as a source of a program, named `rules/<file>`.
#[doc(hidden)]
pub fn source(path: &str) -> Option<Source> {
    let name = std::path::Path::new(path).file_name()?.to_str()?;
    Some(Source {
        name: format!("rules/{name}"),
        text: file(name)?.to_string(),
    })
}
