//! The memory's operations on a store, as methods of [`Store`]: the MCP reference memory
//! server's graph reads and edits, recall, and export in the memory formats.

use crate::graph::{self, Entity, Graph, GraphEntity, GraphRelation, Observations, Relation};
use crate::{
    EditError, GraphCache, Hit, RecallCache, RecallIndex, RecallOptions, export, graph_edit, recall,
};
use engram_store::{ReadError, Store};
use serde_json::Value as Json;

/// A store read and changed as an agent's memory: memories, entities and typed relations as
/// facts of the memory schema (`rules/schema.dl`). Reads cost what they touch; each change
/// takes the writer lock, reads what exists and commits once (all of a call, or nothing).
///
/// ```
/// use engram_memory::{Entity, MemoryExt};
/// use engram_store::Store;
///
/// let mut store = Store::in_memory();
/// store.add_rule_files(&engram_core::library::default_rules())?;
/// store.create_entities(vec![Entity {
///     name: "payments-service".into(),
///     entity_type: "service".into(),
///     observations: vec!["bills customers monthly".into()],
/// }])?;
/// let found = store.search_nodes("bills", false)?;
/// assert_eq!(found.entities[0].entity.name, "payments-service");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait MemoryExt {
    /// The whole graph (`read_graph`); with `inferred`, derived entities and relations too.
    fn read_graph(&mut self, inferred: bool) -> Result<Graph, ReadError>;
    /// The entities at `offset..offset + count` of [`MemoryExt::read_graph`]'s graph and how
    /// many items (entities and relations) it holds, without reading the graph (its order and
    /// size are read from the encoded facts, and only the facts about these entities are
    /// decoded): a page of `read_graph` that ends among the entities. `None` when the window
    /// reaches past the entities.
    #[allow(clippy::type_complexity)]
    fn read_graph_window(
        &mut self,
        inferred: bool,
        offset: usize,
        count: usize,
    ) -> Result<Option<(Vec<GraphEntity>, usize)>, ReadError>;
    /// [`MemoryExt::read_graph_window`] for a process that reads many pages (a server):
    /// `cache` keeps the graph's order and size while the store stays at the same commit, so
    /// a page reads only the facts about its entities.
    #[allow(clippy::type_complexity)]
    fn read_graph_window_with(
        &mut self,
        cache: &mut GraphCache,
        inferred: bool,
        offset: usize,
        count: usize,
    ) -> Result<Option<(Vec<GraphEntity>, usize)>, ReadError>;
    /// `search_nodes`: the entities whose name, type or an observation contains `query`,
    /// ignoring case, and the relations that touch them; with `inferred`, derived ones too.
    fn search_nodes(&mut self, query: &str, inferred: bool) -> Result<Graph, ReadError>;
    /// `open_nodes`: the entities named and the relations that touch them; with `inferred`,
    /// derived ones too.
    fn open_nodes(&mut self, names: &[String], inferred: bool) -> Result<Graph, ReadError>;
    /// The derived relations with an end among `names` that no asserted relation states, most
    /// confident first: what the rules inferred around them.
    fn inferred_around(&mut self, names: &[String]) -> Result<Vec<GraphRelation>, ReadError>;
    /// `create_entities`: creates the entities not yet present; returns the ones it created.
    fn create_entities(&mut self, entities: Vec<Entity>) -> Result<Vec<Entity>, EditError>;
    /// `create_relations`: asserts each relation not yet asserted as written; returns the
    /// ones it created. An empty relation type is refused.
    fn create_relations(&mut self, relations: Vec<Relation>) -> Result<Vec<Relation>, EditError>;
    /// `add_observations`: adds to each entity the observations it does not have; returns the
    /// ones that were new. An entity that does not exist refuses the whole call.
    fn add_observations(&mut self, adds: Vec<Observations>)
    -> Result<Vec<Observations>, EditError>;
    /// `delete_entities`: takes back everything asserted about each named entity or memory
    /// and every relation from or to it; the names that anything was asserted about.
    fn delete_entities(&mut self, names: &[String]) -> Result<Vec<String>, EditError>;
    /// `delete_observations`: takes the named observations from each entity.
    fn delete_observations(&mut self, deletions: &[Observations]) -> Result<(), EditError>;
    /// `delete_relations`: takes back each relation as written.
    fn delete_relations(&mut self, relations: &[Relation]) -> Result<(), EditError>;
    /// An index for [`RecallIndex::recall`], built from the memories, entities and relations
    /// (derived ones included): every one of them, for many questions.
    fn recall_index(&mut self) -> Result<RecallIndex, ReadError>;
    /// The memories and entities that answer `query`, best first, as the index of everything
    /// ranks them ([`RecallIndex::recall`]), read by lookup: the postings of the question's
    /// words, one pass over the documents' encoded facts, and the graph around the best text
    /// matches. No index is built or held.
    fn recall(&mut self, query: &str, options: &RecallOptions) -> Result<Vec<Hit>, ReadError>;
    /// [`MemoryExt::recall`] for a process that asks many questions (a server): `cache`
    /// keeps what one pass over the documents found (their symbols, lengths and fields, no
    /// text) while the store stays at the same commit, so a question reads only what it
    /// reaches.
    fn recall_with(
        &mut self,
        cache: &mut RecallCache,
        query: &str,
        options: &RecallOptions,
    ) -> Result<Vec<Hit>, ReadError>;
    /// Everything the store holds in engram's memory format, one JSON object per line: what
    /// was asserted, in the shapes loading reads, then what the rules derived (marked
    /// `"inferred"`); with `inferred_only`, only the derived lines.
    fn export_memory(&mut self, inferred_only: bool) -> Result<Vec<Json>, ReadError>;
    /// [`MemoryExt::export_memory`] a line at a time: each line goes to `emit` as it is made,
    /// so that exporting millions of derived facts never holds them all. Stops at `emit`'s
    /// first error.
    fn export_memory_each<E: From<ReadError>>(
        &mut self,
        inferred_only: bool,
        emit: impl FnMut(Json) -> Result<(), E>,
    ) -> Result<(), E>;
    /// What was asserted, in the MCP reference memory server's `memory.jsonl` shape.
    fn export_mcp(&mut self) -> Result<Vec<Json>, ReadError>;
}

impl MemoryExt for Store {
    fn read_graph(&mut self, inferred: bool) -> Result<Graph, ReadError> {
        graph::read(self, inferred)
    }

    fn read_graph_window(
        &mut self,
        inferred: bool,
        offset: usize,
        count: usize,
    ) -> Result<Option<(Vec<GraphEntity>, usize)>, ReadError> {
        let mut once = GraphCache::default();
        super::graph_page::entity_window(self, &mut once, inferred, offset, count)
    }

    fn read_graph_window_with(
        &mut self,
        cache: &mut GraphCache,
        inferred: bool,
        offset: usize,
        count: usize,
    ) -> Result<Option<(Vec<GraphEntity>, usize)>, ReadError> {
        super::graph_page::entity_window(self, cache, inferred, offset, count)
    }

    fn search_nodes(&mut self, query: &str, inferred: bool) -> Result<Graph, ReadError> {
        graph::search(self, query, inferred)
    }

    fn open_nodes(&mut self, names: &[String], inferred: bool) -> Result<Graph, ReadError> {
        graph::open(self, names, inferred)
    }

    fn inferred_around(&mut self, names: &[String]) -> Result<Vec<GraphRelation>, ReadError> {
        graph::inferred_around(self, names)
    }

    fn create_entities(&mut self, entities: Vec<Entity>) -> Result<Vec<Entity>, EditError> {
        graph_edit::create_entities(self, entities)
    }

    fn create_relations(&mut self, relations: Vec<Relation>) -> Result<Vec<Relation>, EditError> {
        graph_edit::create_relations(self, relations)
    }

    fn add_observations(
        &mut self,
        adds: Vec<Observations>,
    ) -> Result<Vec<Observations>, EditError> {
        graph_edit::add_observations(self, adds)
    }

    fn delete_entities(&mut self, names: &[String]) -> Result<Vec<String>, EditError> {
        graph_edit::delete_entities(self, names)
    }

    fn delete_observations(&mut self, deletions: &[Observations]) -> Result<(), EditError> {
        graph_edit::delete_observations(self, deletions)
    }

    fn delete_relations(&mut self, relations: &[Relation]) -> Result<(), EditError> {
        graph_edit::delete_relations(self, relations)
    }

    fn recall_index(&mut self) -> Result<RecallIndex, ReadError> {
        let db = self.database_with(recall::RELATIONS)?;
        Ok(RecallIndex::build(db))
    }

    fn recall(&mut self, query: &str, options: &RecallOptions) -> Result<Vec<Hit>, ReadError> {
        crate::recall_lookup::recall(self, &mut RecallCache::default(), query, options)
    }

    fn recall_with(
        &mut self,
        cache: &mut RecallCache,
        query: &str,
        options: &RecallOptions,
    ) -> Result<Vec<Hit>, ReadError> {
        crate::recall_lookup::recall(self, cache, query, options)
    }

    fn export_memory(&mut self, inferred_only: bool) -> Result<Vec<Json>, ReadError> {
        export::export(self, inferred_only)
    }

    fn export_memory_each<E: From<ReadError>>(
        &mut self,
        inferred_only: bool,
        emit: impl FnMut(Json) -> Result<(), E>,
    ) -> Result<(), E> {
        export::export_each(self, inferred_only, emit)
    }

    fn export_mcp(&mut self) -> Result<Vec<Json>, ReadError> {
        export::export_mcp(self)
    }
}
