//! engram-tests' integration tests, one binary (one link instead of one per file): each
//! module is what was a test file of its own.

mod best_first;
mod confidence;
mod conformance;
mod exec_plan;
mod faults;
mod functors;
mod fuzz;
mod gene_ontology;
mod golden;
mod graph_reads;
mod group_commit;
mod independent;
mod library;
mod limits;
mod loops;
mod memory_incremental;
mod merge;
mod namespaces;
mod plan_errors;
mod preprocessor;
mod recall;
mod recall_lookup;
mod records;
mod reference;
mod rules;
mod souffle_constructs;
mod souffle_semantics;
mod store;
mod store_counts;
mod store_equivalence;
mod store_refresh;
mod subsumption;
mod supersession;
mod text_search;
